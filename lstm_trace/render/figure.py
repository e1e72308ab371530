"""What every cell figure shares: options, the blocks of values beside a wire, and fitting to the width.

A variant's diagram (see `diagram.py`) subclasses `CellFigure`: it says how to draw
itself at a given precision (`draw`) and what its caption says; `CellFigure` picks the
highest precision that fits the terminal (at most MAX_WIDTH columns) and styles the
highlighted stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.text import Text

from ..cell_options import PLAIN, CellOptions
from ..stages import QUANTITIES, STAGE_NAMES, Layout, layout_for
from ..traces.step import StepTrace
from .canvas import HEAVY, LIGHT, Canvas, Cell
from .numbers import format_number, style_for

MAX_WIDTH = 100  # columns; a figure lowers its precision until it fits
MAX_LISTED = 8  # units a wire lists one by one; beyond it, a summary
SUMMARY: tuple[tuple[str, Callable[[np.ndarray], float]], ...] = (
    ("min", np.min), ("avg", np.mean), ("max", np.max), ("‖·‖", np.linalg.norm),
)  # fmt: skip


@dataclass(frozen=True)
class DiagramOptions:
    precision: int = 4
    highlight: str | None = None  # a stage name from stages.py
    revealed: frozenset[str] | None = None  # stages whose values are drawn; None: every stage
    cell: CellOptions | None = None  # the trace's cell (variant and options); `diagram_view` fills it in

    @property
    def layout(self) -> Layout:
        """The registry of the cell drawn: stage names, symbols, equations."""
        return layout_for(self.cell or PLAIN)

    def weight(self, stage: str) -> int:
        """Heavy lines for the highlighted stage: it shows without colour too."""
        return HEAVY if stage == self.highlight else LIGHT

    def shows(self, stage: str) -> bool:
        return self.revealed is None or stage in self.revealed


def stages_up_to(stage: str, names: tuple[str, ...] = STAGE_NAMES) -> frozenset[str]:
    """The stages computed once `stage` is done, in the registry's order (a variant's: `layout.stage_names`)."""
    return frozenset(names[: names.index(stage) + 1])


@dataclass(frozen=True)
class ValueBlock:
    """A wire's label and the lines of values printed beside it."""

    label: str
    lines: tuple[tuple[str, str], ...]  # (text, style), right-aligned to one width

    @property
    def width(self) -> int:
        return max([cell_len(self.label), *(cell_len(text) for text, _ in self.lines)])

    def draw(self, canvas, row: int, column: int, wire: str | None, labelled: bool = True) -> None:
        """On `canvas` at (row, column), in the colour of `wire`: the label (unless the figure names the wire
        already), then the values beneath it."""
        if labelled:
            canvas.text(row, column, self.label, wire, "label")
            row += 1
        for offset, (text, style) in enumerate(self.lines):
            canvas.text(row + offset, column, text, wire, style or "value")


def value_block(
    step: StepTrace, name: str, precision: int, shown: bool, label: str | None = None, quantities=QUANTITIES
) -> ValueBlock:
    """The values of quantity `name` (every unit, or a summary beyond MAX_LISTED); dots until `shown`.

    `quantities` is the registry of the cell drawn (`layout.quantities`): its symbols label the wires."""
    values = step[name]
    kind = quantities[name].kind
    label = quantities[name].symbol if label is None else label
    if len(values) <= MAX_LISTED:
        rows = [(format_number(float(v), precision), style_for(float(v), kind)) for v in values]
    else:
        numbers = [_summary_number(float(reduce(values)), precision) for _, reduce in SUMMARY]
        width = max(map(len, numbers))
        rows = [(f"{word} {number:>{width}}", "") for (word, _), number in zip(SUMMARY, numbers)]
    width = max(cell_len(text) for text, _ in rows)
    if not shown:  # as wide as the values to come, so the figure keeps its shape stage after stage
        return ValueBlock(label, (("·".ljust(width), "dim"),) * len(rows))
    return ValueBlock(label, tuple((text.rjust(width), style) for text, style in rows))


def _summary_number(value: float, precision: int) -> str:
    """Fixed decimals: a mean of 3e-17 is a zero mean, and the exponent would only widen the figure."""
    if abs(value) >= 1e4:
        return format_number(value, precision)
    text = f"{value:.{precision}f}"
    return text.lstrip("-") if float(text) == 0 else text


class CellFigure:
    """A Rich renderable that lays itself out for the width it is given."""

    def __init__(self, step: StepTrace, options: DiagramOptions) -> None:
        self.step, self.options = step, options

    gaps: tuple[int, ...] = (2,)  # columns between a block of values and the next wire; a figure may list tighter ones

    def draw(self, precision: int, gap: int = 2) -> Canvas:
        raise NotImplementedError

    def caption(self) -> Text:
        raise NotImplementedError

    def caption_title(self) -> Text:
        """The caption's first line, which every figure shares: the cell, t, and the highlighted stage."""
        layout = self.options.layout
        name, _, options = layout.title.partition(" (")
        caption = Text(f"{name} cell{' (' + options if options else ''}, t = {self.step.t}", style="bold")
        stage = layout.stage_by_name.get(self.options.highlight or "")
        if stage is not None:
            caption.append(f"   ▶ {stage.title}: {stage.equation}", style="bold yellow")
        return caption

    def values_listed(self) -> str:
        """How a wire's values are printed: every unit when few, else a summary."""
        if max(self.step.hidden_size, self.step.input_size) <= MAX_LISTED:
            return "unit 0 first, top down"
        return "min, avg (mean), max and ‖·‖ (norm)"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.caption()
        width = min(options.max_width, MAX_WIDTH)
        canvas = self.fit(width)
        if canvas.columns > width:  # not even one decimal fits: say so rather than cut values silently
            yield Text(
                f"The figure needs {canvas.columns} columns and has {width}: what lies past the right edge is cut "
                f"(Cₜ and hₜ among it). Widen the terminal, or set COLUMNS={canvas.columns}.",
                style="bold yellow",
            )
        yield canvas.to_text(self.style)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self.fit(min(options.max_width, MAX_WIDTH)).columns
        return Measurement(width, max(width, options.max_width))

    def fit(self, width: int) -> Canvas:
        """The highest precision (up to the asked one) whose drawing fits in `width` columns, with the
        figure's usual gaps, then with its tighter ones; else the narrowest drawing (cropped on screen
        rather than wrapped into a mess)."""
        canvases = []
        for gap in self.gaps:
            for precision in range(max(self.options.precision, 1), 0, -1):
                canvases.append(self.draw(precision, gap))
                if canvases[-1].columns <= width:
                    return canvases[-1]
        return min(canvases, key=lambda canvas: canvas.columns)

    def style(self, cell: Cell) -> str:
        """Wires and nodes of the highlighted stage in bold yellow, the rest dimmed; values keep their colour."""
        highlighted = self.options.highlight is not None and cell.tag == self.options.highlight
        if cell.arms and not cell.text or cell.style == "node":
            if highlighted:
                return "bold yellow"
            return "dim" if self.options.highlight else ""
        if highlighted:
            return f"{cell.style} bold".strip() if cell.style != "label" else "bold yellow"
        return "" if cell.style in ("label", "node") else cell.style
