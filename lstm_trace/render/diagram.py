"""The cell drawn as text, like the familiar figure, with the live values on its wires.

    Cₜ₋₁ ───⊗──── keep ────⊕──────────┬──► Cₜ        the cell-state line along the top
            │              │        (tanh)
            │        iₜ ┌──⊗ write    │
            │           │  │    oₜ ┌──⊗──► hₜ
          ┌─┴─┐       ┌─┴─┐ ┌┴───┐  ┌─┴─┐
          │ σ │       │ σ │ │tanh│  │ σ │             the four blocks: W·z + b inside
          └─┬─┘       └─┬─┘ └┬───┘  └─┬─┘
    hₜ₋₁ ─[;]─ z ───────┴───┴─────────┘               [;] joins hₜ₋₁ and xₜ: a concatenation
           │ xₜ

A wire with at most MAX_LISTED units lists its values top to bottom (unit 0 first);
a longer one shows min, mean, max and its norm. The highlighted stage is drawn with
heavy lines (so it shows without colour too) and in colour.

Diagrams are registered per cell variant (`DIAGRAMS`); `diagram_view` picks the one
for a trace. A variant adds a builder with `@register_diagram("peephole")`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.text import Text
from rich.cells import cell_len

from ..errors import UsageError
from ..stages import INPUT_QUANTITIES, QUANTITIES, STAGE_BY_NAME, STAGE_NAMES
from ..trace import StepTrace, Trace
from .canvas import HEAVY, LIGHT, Canvas, Cell
from .numbers import format_number, style_for

MAX_WIDTH = 100  # columns; the diagram lowers its precision until it fits
MAX_LISTED = 8  # units a wire lists one by one; beyond it, a summary
SUMMARY: tuple[tuple[str, Callable[[np.ndarray], float]], ...] = (
    ("min", np.min), ("avg", np.mean), ("max", np.max), ("‖·‖", np.linalg.norm),
)  # fmt: skip


@dataclass(frozen=True)
class DiagramOptions:
    precision: int = 4
    highlight: str | None = None  # a stage name from stages.py
    revealed: frozenset[str] | None = None  # stages whose values are drawn; None: every stage


DiagramBuilder = Callable[[Trace, StepTrace, DiagramOptions], RenderableType]
DIAGRAMS: dict[str, DiagramBuilder] = {}


def register_diagram(variant: str) -> Callable[[DiagramBuilder], DiagramBuilder]:
    def register(builder: DiagramBuilder) -> DiagramBuilder:
        DIAGRAMS[variant] = builder
        return builder

    return register


def variant_of(trace: Trace) -> str:
    """The cell variant a trace was made with; plain LSTM traces say nothing and mean "lstm"."""
    return getattr(trace, "variant", None) or trace.weights.get("variant") or "lstm"


def diagram_view(trace: Trace, options: DiagramOptions = DiagramOptions(), step: StepTrace | None = None) -> RenderableType:
    variant = variant_of(trace)
    if variant not in DIAGRAMS:
        raise UsageError(f"There is no diagram for the {variant!r} cell yet; diagrams exist for: {', '.join(DIAGRAMS)}.")
    return DIAGRAMS[variant](trace, step or trace.steps[0], options)


@register_diagram("lstm")
def lstm_diagram(trace: Trace, step: StepTrace, options: DiagramOptions) -> RenderableType:
    return LSTMDiagram(step, options)


# The wires that carry a value, and the stage that computes it.
WIRES: dict[str, str] = {
    "c_prev": "cell", "keep": "cell", "write": "cell", "c": "cell",
    "forget.act": "forget", "input.act": "input", "candidate.act": "candidate", "output.act": "output",
    "c_tanh": "hidden", "h": "hidden", "h_prev": "concat", "x": "concat",
}  # fmt: skip


@dataclass(frozen=True)
class ValueBlock:
    """A wire's label and the lines of values printed beside it."""

    label: str
    lines: tuple[tuple[str, str], ...]  # (text, style), right-aligned to one width

    @property
    def width(self) -> int:
        return max([cell_len(self.label), *(cell_len(text) for text, _ in self.lines)])


class LSTMDiagram:
    """A Rich renderable: it lays itself out for the width it is given (at most MAX_WIDTH)."""

    def __init__(self, step: StepTrace, options: DiagramOptions) -> None:
        self.step, self.options = step, options

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self._caption()
        yield self.drawing(min(options.max_width, MAX_WIDTH))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        width = self.fit(min(options.max_width, MAX_WIDTH)).columns
        return Measurement(width, max(width, options.max_width))

    def drawing(self, width: int) -> Text:
        return self.fit(width).to_text(self._style)

    def fit(self, width: int) -> Canvas:
        """The highest precision (up to the asked one) whose drawing fits in `width` columns,
        else the narrowest drawing (cropped on screen rather than wrapped into a mess)."""
        canvases = []
        for precision in range(max(self.options.precision, 1), 0, -1):
            canvases.append(_draw(self.step, self.options, precision))
            if canvases[-1].columns <= width:
                return canvases[-1]
        return min(canvases, key=lambda canvas: canvas.columns)

    def _caption(self) -> Text:
        H, I = self.step.hidden_size, self.step.input_size
        caption = Text(f"LSTM cell, t = {self.step.t}", style="bold")
        stage = STAGE_BY_NAME.get(self.options.highlight or "")
        if stage is not None:
            caption.append("   ▶ ", style="bold yellow")
            caption.append(f"{stage.title}: {stage.equation}", style="bold yellow")
        listed = "unit 0 first, top down" if max(H, I) <= MAX_LISTED else "min, avg (mean), max and ‖·‖ (norm)"
        caption.append(
            f"\nH = {H}, I = {I}; values per wire: {listed}. [;] stacks hₜ₋₁ on xₜ into z ({H + I} entries): "
            "a concatenation, not a sum. ⊗ and ⊕ are element-wise.",
            style="dim",
        )
        return caption

    def _style(self, cell: Cell) -> str:
        highlighted = self.options.highlight is not None and cell.tag == self.options.highlight
        if cell.arms and not cell.text or cell.style == "node":
            if highlighted:
                return "bold yellow"
            return "dim" if self.options.highlight else ""
        if highlighted:
            return f"{cell.style} bold".strip() if cell.style != "label" else "bold yellow"
        return "" if cell.style in ("label", "node") else cell.style


def _block(step: StepTrace, name: str, precision: int, shown: bool, label: str | None = None) -> ValueBlock:
    values = step[name]
    kind = QUANTITIES[name].kind
    label = QUANTITIES[name].symbol if label is None else label
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


def _draw(step: StepTrace, options: DiagramOptions, precision: int) -> Canvas:
    revealed = set(STAGE_NAMES) if options.revealed is None else set(options.revealed)
    blocks = {
        name: _block(step, name, precision, name in INPUT_QUANTITIES or stage in revealed) for name, stage in WIRES.items()
    }
    layout = _Layout(step, blocks)
    canvas = Canvas(layout.rows, layout.columns)

    def weight(tag: str) -> int:
        return HEAVY if tag == options.highlight else LIGHT

    _draw_wires(canvas, layout, weight)
    _draw_boxes(canvas, layout, weight)
    _draw_nodes_and_blocks(canvas, layout, blocks)
    return canvas


class _Layout:
    """Where everything goes: columns from the widths of the value blocks, rows from their heights."""

    GAP = 2

    def __init__(self, step: StepTrace, blocks: dict[str, ValueBlock]) -> None:
        self.k = len(blocks["h"].lines)  # value lines of an H-long wire
        self.kx = len(blocks["x"].lines)
        self.z_label = " z "

        def span(*names: str) -> int:
            return max(blocks[name].width for name in names)

        self.left = max(span("c_prev", "h_prev"), cell_len("Cₜ₋₁ "))
        self.concat = self.left + 3  # the ';' of the [;] node
        self.forget = self.concat + 2 + cell_len(self.z_label) + 2
        self.input = self.forget + 2 + span("keep", "forget.act") + self.GAP
        self.candidate = self.input + 2 + span("input.act") + self.GAP
        self.output = self.candidate + 2 + span("write", "candidate.act") + self.GAP
        self.tanh = self.output + 2 + span("output.act") + self.GAP
        self.arrow = self.tanh + 2 + span("c_tanh") + 1
        self.right = self.arrow + 2
        self.columns = self.right + span("c", "h")

        k = self.k
        self.write_row = k + 2  # ⊗ where iₜ meets C̃ₜ
        self.out_row = k + 3  # ⊗ where oₜ meets tanh(Cₜ)
        self.band = self.out_row + 1  # the gate values
        self.box_row = self.band + k + 1
        self.bus = self.box_row + 3
        self.rows = max(self.bus + k + 1, self.bus + self.kx + 2)

    @property
    def gates(self) -> tuple[tuple[str, int], ...]:
        return (("forget", self.forget), ("input", self.input), ("candidate", self.candidate), ("output", self.output))


def _draw_wires(canvas: Canvas, at: _Layout, weight: Callable[[str], int]) -> None:
    # The cell-state line: Cₜ₋₁ through ⊗ (keep) and ⊕ (write) to Cₜ.
    canvas.hline(0, cell_len("Cₜ₋₁ "), at.arrow - 1, weight("cell"), "cell")
    canvas.vline(at.candidate, 0, at.write_row, weight("cell"), "cell")  # write rises to ⊕
    # hₜ: Cₜ branches down through tanh to the output ⊗, then out to the right.
    canvas.vline(at.tanh, 0, at.out_row, weight("hidden"), "hidden")
    canvas.hline(at.out_row, at.tanh, at.arrow - 1, weight("hidden"), "hidden")
    # Each block's output rises to where it is used.
    canvas.vline(at.forget, 0, at.box_row, weight("forget"), "forget")
    canvas.vline(at.input, at.write_row, at.box_row, weight("input"), "input")
    canvas.hline(at.write_row, at.input, at.candidate, weight("input"), "input")
    canvas.vline(at.candidate, at.write_row, at.box_row, weight("candidate"), "candidate")
    canvas.vline(at.output, at.out_row, at.box_row, weight("output"), "output")
    canvas.hline(at.out_row, at.output, at.tanh, weight("output"), "output")
    # z runs along the bottom and feeds every block from below.
    canvas.hline(at.bus, cell_len("hₜ₋₁ "), at.concat - 2, weight("concat"), "concat")
    canvas.hline(at.bus, at.concat + 2, at.output, weight("concat"), "concat")
    canvas.vline(at.concat, at.bus, at.bus + at.kx + 1, weight("concat"), "concat")
    for gate, column in at.gates:
        canvas.vline(column, at.box_row + 2, at.bus, weight(gate), gate)


def _draw_boxes(canvas: Canvas, at: _Layout, weight: Callable[[str], int]) -> None:
    for gate, column in at.gates:
        label = "tanh" if gate == "candidate" else "σ"
        right = column + 3 if label == "tanh" else column + 2
        canvas.box(at.box_row, column - 2, at.box_row + 2, right, weight(gate), gate)
        canvas.text(at.box_row + 1, column - 1 if label == "tanh" else column, label, gate, "node")


def _draw_nodes_and_blocks(canvas: Canvas, at: _Layout, blocks: dict[str, ValueBlock]) -> None:
    canvas.text(0, 0, "Cₜ₋₁", "cell", "label")
    canvas.text(0, at.forget, "⊗", "cell", "node")
    canvas.text(0, at.candidate, "⊕", "cell", "node")
    canvas.text(0, at.arrow, "► Cₜ", "cell", "label")
    canvas.text(at.write_row, at.candidate, "⊗", "cell", "node")
    canvas.text(1, at.tanh - 2, "(tanh)", "hidden", "node")
    canvas.text(at.out_row, at.tanh, "⊗", "hidden", "node")
    canvas.text(at.out_row, at.arrow, "► hₜ", "hidden", "label")
    canvas.text(at.bus, 0, "hₜ₋₁", "concat", "label")
    canvas.text(at.bus, at.concat - 1, "[;]", "concat", "node")
    canvas.text(at.bus, at.concat + 2, at.z_label, "concat", "label")

    def put(name: str, row: int, column: int, labelled: bool = True) -> None:
        block = blocks[name]
        if labelled:
            canvas.text(row, column, block.label, WIRES[name], "label")
            row += 1
        for offset, (text, style) in enumerate(block.lines):
            canvas.text(row + offset, column, text, WIRES[name], style or "value")

    put("c_prev", 1, 0, labelled=False)
    put("keep", 1, at.forget + 2)
    put("write", 1, at.candidate + 2)
    put("c", 1, at.right, labelled=False)
    put("c_tanh", 2, at.tanh + 2)
    put("h", at.out_row + 1, at.right, labelled=False)
    for gate, column in at.gates:
        put(f"{gate}.act", at.band, column + 2)
    put("h_prev", at.bus + 1, 0, labelled=False)
    put("x", at.bus + 1, at.concat + 2)


def stages_up_to(stage: str) -> frozenset[str]:
    """The stages computed once `stage` is done, in the registry's order."""
    return frozenset(STAGE_NAMES[: STAGE_NAMES.index(stage) + 1])


def with_diagram(views: list[RenderableType], trace: Trace, precision: int, stage: str | None) -> list[RenderableType]:
    """`step --diagram`: the figure right after the header (first when only one stage is shown)."""
    at = 0 if stage is not None else 1
    return [*views[:at], diagram_view(trace, DiagramOptions(precision, highlight=stage)), *views[at:]]
