"""The plain LSTM cell as the familiar figure, with the live values on its wires.

    Cₜ₋₁ ───⊗──── keep ────⊕──────────┬──► Cₜ        the cell-state line along the top
            │              │        (tanh)
            │        iₜ ┌──⊗ write    │
            │           │  │    oₜ ┌──⊗──► hₜ
          ┌─┴─┐       ┌─┴─┐ ┌┴───┐  ┌─┴─┐
          │ σ │       │ σ │ │tanh│  │ σ │             the four blocks: W·z + b inside
          └─┬─┘       └─┬─┘ └┬───┘  └─┬─┘
    hₜ₋₁ ─[;]─ z ───────┴───┴─────────┘               [;] joins hₜ₋₁ and xₜ: a concatenation
           │ xₜ

Each value block sits to the right of its wire: the columns follow from the blocks'
widths, the rows from their heights (H values, or a four-line summary).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from ..stages import INPUT_QUANTITIES, STAGE_BY_NAME
from .canvas import Canvas
from .figure import MAX_LISTED, CellFigure, DiagramOptions, ValueBlock, value_block

# The wires that carry a value, and the stage that computes it.
WIRES: dict[str, str] = {
    "c_prev": "cell", "keep": "cell", "write": "cell", "c": "cell",
    "forget.act": "forget", "input.act": "input", "candidate.act": "candidate", "output.act": "output",
    "c_tanh": "hidden", "h": "hidden", "h_prev": "concat", "x": "concat",
}  # fmt: skip


class LSTMDiagram(CellFigure):
    def draw(self, precision: int) -> Canvas:
        blocks = {
            name: value_block(self.step, name, precision, name in INPUT_QUANTITIES or self.options.shows(stage))
            for name, stage in WIRES.items()
        }
        layout = _Layout(blocks)
        canvas = Canvas(layout.rows, layout.columns)
        _draw_wires(canvas, layout, self.options)
        _draw_boxes(canvas, layout, self.options)
        _draw_nodes_and_blocks(canvas, layout, blocks)
        return canvas

    def caption(self) -> Text:
        H, I = self.step.hidden_size, self.step.input_size
        caption = Text(f"LSTM cell, t = {self.step.t}", style="bold")
        stage = STAGE_BY_NAME.get(self.options.highlight or "")
        if stage is not None:
            caption.append(f"   ▶ {stage.title}: {stage.equation}", style="bold yellow")
        listed = "unit 0 first, top down" if max(H, I) <= MAX_LISTED else "min, avg (mean), max and ‖·‖ (norm)"
        caption.append(
            f"\nH = {H}, I = {I}; values per wire: {listed}. [;] stacks hₜ₋₁ on xₜ into z ({H + I} entries): "
            "a concatenation, not a sum. ⊗ and ⊕ are element-wise.",
            style="dim",
        )
        return caption


class _Layout:
    """Where everything goes: columns from the widths of the value blocks, rows from their heights."""

    GAP = 2

    def __init__(self, blocks: dict[str, ValueBlock]) -> None:
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


def _draw_wires(canvas: Canvas, at: _Layout, options: DiagramOptions) -> None:
    # The cell-state line: Cₜ₋₁ through ⊗ (keep) and ⊕ (write) to Cₜ.
    canvas.hline(0, cell_len("Cₜ₋₁ "), at.arrow - 1, options.weight("cell"), "cell")
    canvas.vline(at.candidate, 0, at.write_row, options.weight("cell"), "cell")  # write rises to ⊕
    # hₜ: Cₜ branches down through tanh to the output ⊗, then out to the right.
    canvas.vline(at.tanh, 0, at.out_row, options.weight("hidden"), "hidden")
    canvas.hline(at.out_row, at.tanh, at.arrow - 1, options.weight("hidden"), "hidden")
    # Each block's output rises to where it is used.
    canvas.vline(at.forget, 0, at.box_row, options.weight("forget"), "forget")
    canvas.vline(at.input, at.write_row, at.box_row, options.weight("input"), "input")
    canvas.hline(at.write_row, at.input, at.candidate, options.weight("input"), "input")
    canvas.vline(at.candidate, at.write_row, at.box_row, options.weight("candidate"), "candidate")
    canvas.vline(at.output, at.out_row, at.box_row, options.weight("output"), "output")
    canvas.hline(at.out_row, at.output, at.tanh, options.weight("output"), "output")
    # z runs along the bottom and feeds every block from below.
    canvas.hline(at.bus, cell_len("hₜ₋₁ "), at.concat - 2, options.weight("concat"), "concat")
    canvas.hline(at.bus, at.concat + 2, at.output, options.weight("concat"), "concat")
    canvas.vline(at.concat, at.bus, at.bus + at.kx + 1, options.weight("concat"), "concat")
    for gate, column in at.gates:
        canvas.vline(column, at.box_row + 2, at.bus, options.weight(gate), gate)


def _draw_boxes(canvas: Canvas, at: _Layout, options: DiagramOptions) -> None:
    for gate, column in at.gates:
        label = "tanh" if gate == "candidate" else "σ"
        right = column + 3 if label == "tanh" else column + 2
        canvas.box(at.box_row, column - 2, at.box_row + 2, right, options.weight(gate), gate)
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
