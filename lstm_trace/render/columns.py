"""A light table for columns of numbers: aligned text lines, no boxes.

Rich's `Table` measures and wraps every cell; for a few hundred numbers that is
most of `step`'s running time. Numbers never need wrapping, so this renderable
pads cells to the column width and emits one line per row: about ten times
faster, and with the look of `box.SIMPLE_HEAD` (headers, one rule, blank lines
between sections). It offers the part of `Table`'s API the stage tables use.

When the columns are wider than the terminal they are not squeezed or cut:
they continue in a second block below, which repeats the first (label) column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

GAP = 3  # spaces between columns


@dataclass
class _Column:
    header: list[Text]
    justify: str
    style: str | None
    cells: list[Text] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max(cell_len(text.plain) for text in (*self.header, *self.cells))


class ColumnTable:
    def __init__(self, rule: bool = True) -> None:
        self.rule = rule  # the line under the headers; a headerless grid has none
        self.columns: list[_Column] = []
        self.section_ends: set[int] = set()  # row indices followed by a blank line
        self.rows = 0

    def add_column(self, header: str | Text = "", justify: str = "right", style: str | None = None) -> None:
        text = header if isinstance(header, Text) else Text(header)
        self.columns.append(_Column(text.split("\n"), justify, style))

    def add_row(self, *cells: Text | str, end_section: bool = False) -> None:
        for column, cell in zip(self.columns, cells):
            column.cells.append(cell if isinstance(cell, Text) else Text(cell))
        if end_section:
            self.section_ends.add(self.rows)
        self.rows += 1

    def add_section(self) -> None:
        if self.rows:
            self.section_ends.add(self.rows - 1)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        """As wide as its columns side by side (a panel around it fits them), as narrow as two of them."""
        if not self.columns:
            return Measurement(0, 0)
        widths = [column.width for column in self.columns]
        narrowest = widths[0] + (GAP + max(widths[1:]) if len(widths) > 1 else 0)
        return Measurement(narrowest, sum(widths) + GAP * (len(widths) - 1)).clamp(max_width=options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.columns:
            return
        widths = [column.width for column in self.columns]
        for number, block in enumerate(_blocks(widths, options.max_width)):
            if number:
                yield Text("")
            yield Text("\n").join(self._lines(block, widths))

    def _lines(self, block: list[int], widths: list[int]) -> list[Text]:
        lines = []
        if self.rule:
            height = max(len(self.columns[c].header) for c in block)
            for level in range(height):  # headers are bottom-aligned, like Rich's
                lines.append(self._line(block, widths, lambda c: _header_line(self.columns[c].header, level, height)))
            lines.append(Text("─" * (sum(widths[c] for c in block) + GAP * (len(block) - 1)), style="dim"))
        for row in range(self.rows):
            lines.append(self._line(block, widths, lambda c: self.columns[c].cells[row]))
            if row in self.section_ends and row != self.rows - 1:
                lines.append(Text(""))
        return lines

    def _line(self, block: list[int], widths: list[int], cell_of) -> Text:
        line = Text(no_wrap=True, overflow="crop")
        for position, c in enumerate(block):
            column, cell = self.columns[c], cell_of(c)
            padding = " " * (widths[c] - cell_len(cell.plain))
            if position:
                line.append(" " * GAP)
            if column.justify == "right":
                line.append(padding)
            line.append_text(cell if column.style is None else Text.assemble(cell, style=column.style))
            if column.justify != "right":
                line.append(padding)
        return line


def _header_line(header: list[Text], level: int, height: int) -> Text:
    offset = height - len(header)
    return header[level - offset].copy() if level >= offset else Text("")


def _blocks(widths: list[int], max_width: int) -> list[list[int]]:
    """Split columns 1.. into blocks that fit `max_width`, each led by column 0."""
    blocks: list[list[int]] = [[0]]
    used = widths[0]
    for c in range(1, len(widths)):
        if used + GAP + widths[c] > max_width and len(blocks[-1]) > 1:
            blocks.append([0])
            used = widths[0]
        blocks[-1].append(c)
        used += GAP + widths[c]
    return blocks
