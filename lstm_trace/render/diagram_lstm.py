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
widths, the rows from their heights (H values, or a four-line summary); see
`lstm_figure_layout.py`. The same figure draws the LSTM with run-time options, each
marked where it acts: "+B" inside σ_f (forget bias), "clip±V" inside every block
(pre-activation clip), a "[clip ±V]" node on the cell-state line (cell clip), a
"[W_hr·]" node after the output ⊗ (projection), the activations' own names in the
blocks. The peephole and cifg figures (`diagram_peephole.py`, `diagram_cifg.py`)
are this one with their wires switched on.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from ..cell_options import PLAIN, CellOptions
from ..stages import GATES, INPUT_QUANTITIES
from ..stages.lstm_options import ACTIVATION_SYMBOLS
from .canvas import Canvas
from .figure import CellFigure, DiagramOptions, ValueBlock, value_block
from .lstm_figure_layout import LEFT_LABEL, Z_LABEL, Box, LSTMLayout, Parts

# The wires that carry a value, and the stage that computes it.
WIRES: dict[str, str] = {
    "c_prev": "cell", "keep": "cell", "write": "cell", "c": "cell",
    "forget.act": "forget", "input.act": "input", "candidate.act": "candidate", "output.act": "output",
    "c_tanh": "hidden", "h": "hidden", "h_prev": "concat", "x": "concat",
}  # fmt: skip
PEEPHOLE_WIRES = {"forget.peephole": "forget", "input.peephole": "input", "output.peephole": "output"}


class LSTMDiagram(CellFigure):
    peephole = False  # PeepholeDiagram: p ⊙ C wires into σ_f, σ_i, σ_o
    coupled = False  # CIFGDiagram: iₜ = 1 − fₜ from a "[1−]" node
    gaps = (2, 1)  # with every option on and a large H, one column between blocks is what makes it fit

    @property
    def cell(self) -> CellOptions:
        return self.options.cell or PLAIN

    def parts(self) -> Parts:
        return lstm_parts(self.cell, peephole=self.peephole, coupled=self.coupled)

    def draw(self, precision: int, gap: int = 2) -> Canvas:
        parts, quantities = self.parts(), self.options.layout.quantities
        blocks = {
            name: value_block(
                self.step, name, precision, name in INPUT_QUANTITIES or self.options.shows(stage),
                _compact(quantities[name].symbol), quantities,
            )
            for name, stage in parts.wires.items()
        }
        layout = LSTMLayout(blocks, parts, gap)
        canvas = Canvas(layout.rows, layout.columns)
        _draw_wires(canvas, layout, self.options)
        if parts.peephole:
            _draw_peepholes(canvas, layout, self.options)
        _draw_boxes(canvas, layout, self.options)
        _draw_nodes_and_blocks(canvas, layout, blocks)
        return canvas

    def caption(self) -> Text:
        H, I = self.step.hidden_size, self.step.input_size
        caption, listed = self.caption_title(), self.values_listed()
        z = len(self.step.concat)  # H+I, or P+I with a projection
        caption.append(
            f"\nH = {H}, I = {I}; values per wire: {listed}. [;] stacks hₜ₋₁ on xₜ into z ({z} entries): "
            "a concatenation, not a sum. ⊗ and ⊕ are element-wise." + "".join(f" {m}" for m in marks(self.cell, self.parts())),
            style="dim",
        )
        return caption


def _compact(symbol: str) -> str:
    """A wire's label without the spaces around ⊙ and +: "p_f⊙Cₜ₋₁", "keep+write" (the figure is short of columns)."""
    return symbol.replace(" ⊙ ", "⊙").replace(" + ", "+") if len(symbol) > 6 else symbol


def lstm_parts(cell: CellOptions, peephole: bool = False, coupled: bool = False) -> Parts:
    """The blocks, nodes and wires of an LSTM-family figure for `cell`'s options."""
    gate_act, cell_act = ACTIVATION_SYMBOLS[cell.gate_activation], ACTIVATION_SYMBOLS[cell.cell_activation]
    clip = (f"clip±{cell.preact_clip:g}",) if cell.preact_clip is not None else ()
    boxes = {}
    for gate in GATES:
        if coupled and gate.name == "input":
            continue  # cifg: no W_i, no block
        bias = (f"{cell.forget_bias:+g}".replace("-", "−"),) if gate.name == "forget" and cell.forget_bias else ()
        boxes[gate.name] = Box((cell_act if gate.activation == "tanh" else gate_act, *clip, *bias))
    wires = dict(WIRES)
    if peephole:
        wires.update(PEEPHOLE_WIRES)
    if cell.cell_clip is not None:
        wires["c_unclipped"] = "cell"
    if cell.proj_size is not None:
        wires.update(h_unprojected="hidden", h="projection")
    return Parts(
        boxes=boxes,
        tanh_node=f"({cell_act})",
        peephole=peephole,
        coupled=coupled,
        cell_clip=None if cell.cell_clip is None else f"[clip ±{cell.cell_clip:g}]",
        projection=None if cell.proj_size is None else "[W_hr·]",
        wires=wires,
    )


def marks(cell: CellOptions, parts: Parts) -> list[str]:
    """One sentence per thing the plain figure does not have, for the caption."""
    said = []
    if parts.peephole:
        said.append("p ⊙ C: the peepholes, Cₜ₋₁ into σ_f and σ_i, the new Cₜ into σ_o.")
    if parts.coupled:
        said.append("[1−] makes iₜ = 1 − fₜ: there is no W_i.")
    if cell.forget_bias:
        said.append(f"{cell.forget_bias:+g} in σ_f: the forget bias, added before σ.")
    if cell.preact_clip is not None:
        said.append("clip±V in a block: its pre-activation is clipped before the activation.")
    if parts.cell_clip:
        said.append(f"{parts.cell_clip} clips Cₜ.")
    if parts.projection:
        said.append(f"{parts.projection} projects mₜ (H entries) to hₜ (P = {cell.proj_size} entries).")
    return said


def _draw_wires(canvas: Canvas, at: LSTMLayout, options: DiagramOptions) -> None:
    weight = options.weight
    # The cell-state line: Cₜ₋₁ through ⊗ (keep) and ⊕ (write) to Cₜ.
    canvas.hline(0, cell_len(LEFT_LABEL), at.arrow - 1, weight("cell"), "cell")
    canvas.vline(at.candidate, 0, at.write_row, weight("cell"), "cell")  # write rises to ⊕
    # hₜ: Cₜ branches down through tanh to the output ⊗, then out to the right (through W_hr with a projection).
    canvas.vline(at.tanh, 0, at.out_row, weight("hidden"), "hidden")
    if at.parts.projection:
        canvas.hline(at.out_row, at.tanh, at.proj_node - 1, weight("hidden"), "hidden")
        end = at.proj_node + cell_len(at.parts.projection)
        canvas.hline(at.out_row, end, at.arrow - 1, weight("projection"), "projection")
    else:
        canvas.hline(at.out_row, at.tanh, at.arrow - 1, weight("hidden"), "hidden")
    # Each block's output rises to where it is used.
    canvas.vline(at.forget, 0, at.box_row, weight("forget"), "forget")
    if at.parts.coupled:  # fₜ branches off above σ_f into the [1−] node, whose output is iₜ
        canvas.vline(at.input, at.write_row, at.lane - 1, weight("input"), "input")
        canvas.hline(at.lane, at.forget, at.input - 3, weight("input"), "input")
    else:
        canvas.vline(at.input, at.write_row, at.box_row, weight("input"), "input")
    canvas.hline(at.write_row, at.input, at.candidate, weight("input"), "input")
    canvas.vline(at.candidate, at.write_row, at.box_row, weight("candidate"), "candidate")
    canvas.vline(at.output, at.out_row, at.box_row, weight("output"), "output")
    canvas.hline(at.out_row, at.output, at.tanh, weight("output"), "output")
    # z runs along the bottom and feeds every block from below.
    canvas.hline(at.bus, cell_len("hₜ₋₁ "), at.concat - 2, weight("concat"), "concat")
    canvas.hline(at.bus, at.concat + 2, at.output, weight("concat"), "concat")
    canvas.vline(at.concat, at.bus, at.bus + at.x_lines + 1, weight("concat"), "concat")
    for gate, column in at.gates:
        canvas.vline(column, at.box_row + at.box_height - 1, at.bus, weight(gate), gate)


def _draw_peepholes(canvas: Canvas, at: LSTMLayout, options: DiagramOptions) -> None:
    """Cₜ₋₁ drops from the cell-state line into σ_f and, over the lane, into σ_i; the new Cₜ into σ_o."""
    weight, boxes = options.weight, at.parts.boxes
    canvas.vline(at.trunk, 0, at.lane, weight("input"), "input")  # shared by both peepholes
    canvas.vline(at.trunk, 0, at.entry, weight("forget"), "forget")
    canvas.hline(at.entry, at.trunk, boxes["forget"].left(at.forget), weight("forget"), "forget")
    down = boxes["input"].left(at.input) - 1
    canvas.hline(at.lane, at.trunk, down, weight("input"), "input")  # crosses the fₜ wire
    canvas.vline(down, at.lane, at.entry, weight("input"), "input")
    canvas.hline(at.entry, down, down + 1, weight("input"), "input")
    canvas.vline(at.tap, 0, at.entry, weight("output"), "output")
    canvas.hline(at.entry, at.tap, boxes["output"].left(at.output), weight("output"), "output")


def _draw_boxes(canvas: Canvas, at: LSTMLayout, options: DiagramOptions) -> None:
    for gate, column in at.gates:
        box = at.parts.boxes[gate]
        left, right = box.left(column), box.right(column)
        canvas.box(at.box_row, left, at.box_row + at.box_height - 1, right, options.weight(gate), gate)
        for offset, line in enumerate(box.lines):
            indent = (box.width - 2 - cell_len(line)) // 2
            canvas.text(at.box_row + 1 + offset, left + 1 + indent, line, gate, "node")


def _draw_nodes_and_blocks(canvas: Canvas, at: LSTMLayout, blocks: dict[str, ValueBlock]) -> None:
    wires = at.parts.wires
    canvas.text(0, 0, LEFT_LABEL.strip(), "cell", "label")
    canvas.text(0, at.forget, "⊗", "cell", "node")
    canvas.text(0, at.candidate, "⊕", "cell", "node")
    canvas.text(0, at.arrow, "► Cₜ", "cell", "label")
    canvas.text(at.write_row, at.candidate, "⊗", "cell", "node")
    node = at.parts.tanh_node
    canvas.text(1, at.tanh - (cell_len(node) - 1) // 2, node, "hidden", "node")
    canvas.text(at.out_row, at.tanh, "⊗", "hidden", "node")
    canvas.text(at.out_row, at.arrow, "► hₜ", wires["h"], "label")
    canvas.text(at.bus, 0, "hₜ₋₁", "concat", "label")
    canvas.text(at.bus, at.concat - 1, "[;]", "concat", "node")
    canvas.text(at.bus, at.concat + 2, Z_LABEL, "concat", "label")
    if at.parts.coupled:
        canvas.text(at.lane, at.input - 2, "[1−]", "input", "node")
    if at.parts.cell_clip:
        canvas.text(0, at.clip_node, at.parts.cell_clip, "cell", "node")
    if at.parts.projection:
        canvas.text(at.out_row, at.proj_node, at.parts.projection, "projection", "node")

    def put(name: str, row: int, column: int, labelled: bool = True) -> None:
        blocks[name].draw(canvas, row, column, wires[name], labelled)

    put("c_prev", 1, 0, labelled=False)
    put("keep", 1, at.forget + 2)
    put("write", 1, at.candidate + 2)
    put("c", 1, at.right, labelled=False)
    put("c_tanh", 2, at.tanh + 2)
    put("h", at.out_row + 1, at.right, labelled=False)
    for gate in ("forget", "input", "candidate", "output"):
        put(f"{gate}.act", at.band, getattr(at, gate) + 2)
    put("h_prev", at.bus + 1, 0, labelled=False)
    put("x", at.bus + 1, at.concat + 2)
    if at.parts.peephole:
        put("forget.peephole", 1, at.trunk + 2)
        put("input.peephole", at.band, at.trunk + 2)
        put("output.peephole", 1, at.tap + 2)
    if at.parts.cell_clip:
        put("c_unclipped", 1, at.unclipped)
    if at.parts.projection:
        put("h_unprojected", at.out_row + 1, at.unprojected)
