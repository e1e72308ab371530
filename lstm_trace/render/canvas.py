"""A character canvas for line drawings: wires meet and cross with the right box-drawing glyphs.

Each cell is either text (a label, a value, a node such as ⊗) or a set of wire arms
(up, down, left, right), each light or heavy. The glyph for a set of arms is looked up
when the canvas is turned into Rich Text, so a heavy (highlighted) wire that joins a
light one gets the mixed glyph (┸, ┯, ...) instead of a broken line. Every cell also
carries a tag (a stage name), which is how a diagram highlights one stage.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Callable

from rich.text import Text

LIGHT, HEAVY = 1, 2
DIRECTIONS = ("up", "down", "left", "right")


def _parse_box_name(name: str) -> dict[str, int] | None:
    """'BOX DRAWINGS UP HEAVY AND HORIZONTAL LIGHT' -> {up: 2, left: 1, right: 1}.

    Unicode names read either 'WEIGHT DIRECTIONS' or 'DIRECTIONS WEIGHT'; dashed,
    double, rounded and diagonal glyphs are not line joins and are left out.
    """
    words = name.removeprefix("BOX DRAWINGS ").split()
    if any(word in {"DOUBLE", "DASH", "ARC", "DIAGONAL", "SINGLE", "TRIPLE", "QUADRUPLE"} for word in words):
        return None
    spans = {"UP": ("up",), "DOWN": ("down",), "LEFT": ("left",), "RIGHT": ("right",),
             "VERTICAL": ("up", "down"), "HORIZONTAL": ("left", "right")}  # fmt: skip
    weights = {"LIGHT": LIGHT, "HEAVY": HEAVY}
    arms: dict[str, int] = {}
    pending: list[str] = []
    current: int | None = None
    for word in words:
        if word in weights:
            if pending:
                arms.update(dict.fromkeys(pending, weights[word]))
                pending = []
            else:
                current = weights[word]
        elif word in spans:
            if current is not None:
                arms.update(dict.fromkeys(spans[word], current))
            else:
                pending.extend(spans[word])
    return arms if arms and not pending else None


def _glyph_table() -> dict[tuple[int, int, int, int], str]:
    table = {}
    for code in range(0x2500, 0x2580):
        arms = _parse_box_name(unicodedata.name(chr(code), ""))
        if arms:
            table.setdefault(tuple(arms.get(d, 0) for d in DIRECTIONS), chr(code))
    return table


GLYPHS = _glyph_table()


def glyph(arms: dict[str, int]) -> str:
    """The box-drawing character for a set of arms; a lone arm is drawn as a full line."""
    up, down, left, right = (arms.get(d, 0) for d in DIRECTIONS)
    if not (left or right):
        up = down = max(up, down)
    elif not (up or down):
        left = right = max(left, right)
    return GLYPHS.get((up, down, left, right), "+")


@dataclass
class Cell:
    text: str | None = None  # a grapheme: one base character plus any combining marks
    arms: dict[str, int] = field(default_factory=dict)
    tag: str | None = None
    style: str = ""


class Canvas:
    def __init__(self, rows: int, columns: int) -> None:
        self.rows, self.columns = rows, columns
        self.cells = [[Cell() for _ in range(columns)] for _ in range(rows)]

    def text(self, row: int, column: int, text: str, tag: str | None = None, style: str = "") -> None:
        """Write text left to right; a combining mark (the tilde of C̃) joins the character before it."""
        for grapheme in _graphemes(text):
            if 0 <= row < self.rows and 0 <= column < self.columns:
                self.cells[row][column] = Cell(grapheme, tag=tag, style=style)
            column += 1

    def hline(self, row: int, first: int, last: int, weight: int = LIGHT, tag: str | None = None) -> None:
        for column in range(first, last + 1):
            if column > first:
                self._arm(row, column, "left", weight, tag)
            if column < last:
                self._arm(row, column, "right", weight, tag)

    def vline(self, column: int, first: int, last: int, weight: int = LIGHT, tag: str | None = None) -> None:
        for row in range(first, last + 1):
            if row > first:
                self._arm(row, column, "up", weight, tag)
            if row < last:
                self._arm(row, column, "down", weight, tag)

    def box(self, top: int, left: int, bottom: int, right: int, weight: int = LIGHT, tag: str | None = None) -> None:
        self.hline(top, left, right, weight, tag)
        self.hline(bottom, left, right, weight, tag)
        self.vline(left, top, bottom, weight, tag)
        self.vline(right, top, bottom, weight, tag)

    def _arm(self, row: int, column: int, direction: str, weight: int, tag: str | None) -> None:
        cell = self.cells[row][column]
        cell.arms[direction] = max(weight, cell.arms.get(direction, 0))
        # A junction shared by two stages belongs to the highlighted (heavy) one.
        if cell.tag is None or weight == HEAVY:
            cell.tag = tag

    def to_text(self, style_for: Callable[[Cell], str]) -> Text:
        """Rows joined by newlines, trailing blanks trimmed; `style_for` styles each cell."""
        text = Text(no_wrap=True, overflow="crop")
        for number, row in enumerate(self.cells):
            last = max((k for k, cell in enumerate(row) if (cell.text or "").strip() or cell.arms), default=-1)
            for cell in row[: last + 1]:
                character = cell.text or (glyph(cell.arms) if cell.arms else " ")
                text.append(character, style_for(cell) or None)
            if number < self.rows - 1:
                text.append("\n")
        return text


def _graphemes(text: str) -> list[str]:
    graphemes: list[str] = []
    for character in text:
        if graphemes and unicodedata.combining(character):
            graphemes[-1] += character
        else:
            graphemes.append(character)
    return graphemes
