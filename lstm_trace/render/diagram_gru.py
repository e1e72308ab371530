"""The GRU cell (PyTorch's r, z, n) as a figure with the live values on its wires.

    hₜ₋₁ ─┬──────⊗───── keep ────────⊕─────► hₜ    no cell state: hₜ₋₁ runs along the top
          │      ├─[1−]──────────────⊗ write        (1 − zₜ) ⊙ nₜ, and zₜ ⊙ hₜ₋₁ at the first ⊗
          │      │ zₜ   ┌──────┐     │ nₜ
          │      │      │ rₜ   │     │              rₜ rises beside its values and goes over
          │    ┌─┴─┐  ┌─┴─┐    │ ┌───┴──────────┐
          │    │ σ │  │ σ │    │ │     tanh     │
          │    │   │  │   │    │ │W_in·xₜ + b_in│  rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)
          │    │   │  │   │    └─⊗  + rₜ ⊙ (…)  │  rₜ enters the new state's block at ⊗
          │    └─┬─┘  └─┬─┘      └───┬──────────┘
          └─[;]──┴──────┴────────────┘              [;]: σ_z, σ_r and the n block see hₜ₋₁ and xₜ
             │ xₜ

The update gate comes first (left) so that no wire crosses another: its output rises to
the top line and branches into [1−]; the reset gate's output goes over into the n block.
With --gru-reset-before the n block reads W_hn·(rₜ ⊙ hₜ₋₁) + b_hn and the product beside
it is rₜ ⊙ hₜ₋₁. Symbols and labels come from the GRU's registry (`stages/gru.py`).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text

from ..cell_options import CellOptions
from ..stages.lstm_options import ACTIVATION_SYMBOLS
from .canvas import Canvas
from .figure import CellFigure, DiagramOptions, ValueBlock, value_block
from .lstm_figure_layout import Box

LEFT_LABEL = "hₜ₋₁ "
ONE_MINUS = "[1−]"
GATES = ("update", "reset", "new")  # left to right


class GRUDiagram(CellFigure):
    @property
    def cell(self) -> CellOptions:
        return self.options.cell or CellOptions(variant="gru")

    def wires(self) -> dict[str, str | None]:
        """The value names drawn, and the stage that computes each (None: an input, always known)."""
        product = "reset_h" if self.cell.gru_reset_before else "new.gated"
        return {
            "h_prev": None, "x": None, "keep": "hidden", "write": "hidden", "h": "hidden",
            "update.act": "update", "reset.act": "reset", "new.act": "new", product: "new",
        }  # fmt: skip

    def boxes(self) -> dict[str, Box]:
        quantities = self.options.layout.quantities
        sigma = ACTIVATION_SYMBOLS[self.cell.gate_activation]
        clip = (f"clip±{self.cell.preact_clip:g}",) if self.cell.preact_clip is not None else ()
        preact = quantities["new.preact"]  # "W_in·xₜ + b_in" over "+ rₜ ⊙ (…)": the registry's two-line header
        return {
            "update": Box((sigma, *clip)),
            "reset": Box((sigma, *clip)),
            "new": Box((ACTIVATION_SYMBOLS[self.cell.cell_activation], *clip, preact.symbol, preact.formula)),
        }

    gaps = (2, 1)

    def draw(self, precision: int, gap: int = 2) -> Canvas:
        quantities = self.options.layout.quantities
        blocks = {}
        for name, stage in self.wires().items():
            label = None
            if name == "new.gated":  # spelled out: rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)
                label = f"{quantities['reset.act'].symbol} ⊙ ({quantities['new.h_part'].symbol})"
            shown = stage is None or self.options.shows(stage)
            blocks[name] = value_block(self.step, name, precision, shown, label, quantities)
        at = _GRULayout(blocks, self.boxes(), gap)
        canvas = Canvas(at.rows, at.columns)
        _draw_wires(canvas, at, self.options)
        _draw_boxes(canvas, at, self.options)
        _draw_nodes_and_blocks(canvas, at, blocks, self.wires())
        return canvas

    def caption(self) -> Text:
        H, I = self.step.hidden_size, self.step.input_size
        caption, listed = self.caption_title(), self.values_listed()
        where = "before W_hn: rₜ ⊙ hₜ₋₁" if self.cell.gru_reset_before else "after W_hn: rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)"
        caption.append(
            f"\nH = {H}, I = {I}; values per wire: {listed}. No cell state: hₜ₋₁ runs along the top and is the "
            f"whole memory. [;] feeds hₜ₋₁ and xₜ to every block. rₜ enters the n block at ⊗, {where}. "
            "[1−] gives 1 − zₜ. ⊗ and ⊕ are element-wise.",
            style="dim",
        )
        return caption


class _GRULayout:
    """Columns from the widths of the value blocks and the n block; rows from the blocks' heights."""

    def __init__(self, blocks: dict[str, ValueBlock], boxes: dict[str, Box], gap: int = 2) -> None:
        self.boxes, self.GAP = boxes, gap
        self.product = "reset_h" if "reset_h" in blocks else "new.gated"

        def span(*names: str) -> int:
            return max(blocks[name].width for name in names)

        def place(minimum: int, gate: str, free_from: int) -> int:
            return max(minimum, free_from + (boxes[gate].width - 1) // 2)

        self.left = max(span("h_prev"), cell_len(LEFT_LABEL))
        self.drop = self.left + 1  # hₜ₋₁ drops from the top line to the [;] node
        self.concat = self.drop + 4
        self.update = place(self.concat + 5, "update", self.concat + 3)
        self.reset = place(self.update + 2 + span("keep", "update.act") + self.GAP, "reset", boxes["update"].right(self.update) + 2)
        # rₜ rises beside its values, goes over them and comes down left of the n block: enter = its left − 2.
        self.new = place(
            self.update + 2 + cell_len(ONE_MINUS) + 2, "new",
            max(boxes["reset"].right(self.reset) + 4, self.reset + 2 + span("reset.act") + self.GAP + 2),
        )  # fmt: skip
        self.arrow = self.new + 2 + span("write", "new.act") + self.GAP
        self.right = self.arrow + 2
        self.product_column = boxes["new"].right(self.new) + 2
        self.columns = max(self.right + span("h"), self.product_column + span(self.product))

        k = len(blocks["h"].lines)
        self.write_row = k + 2  # ⊗ where 1 − zₜ meets nₜ
        self.band = self.write_row + 1  # the gate values
        self.lane = self.band  # rₜ goes over its values to the n block
        self.box_row = self.band + k + 2
        self.box_height = max(len(box.lines) for box in boxes.values()) + 2
        self.entry = self.box_row + self.box_height - 2  # the ⊗ where rₜ enters the n block
        self.bus = self.box_row + self.box_height
        self.x_lines = len(blocks["x"].lines)
        self.rows = max(self.bus + self.x_lines + 2, self.box_row + k + 1)

    @property
    def gates(self) -> tuple[tuple[str, int], ...]:
        return tuple((gate, getattr(self, gate)) for gate in GATES)


def _draw_wires(canvas: Canvas, at: _GRULayout, options: DiagramOptions) -> None:
    weight = options.weight
    # The top line: hₜ₋₁, ⊗ keeps zₜ ⊙ hₜ₋₁, ⊕ adds (1 − zₜ) ⊙ nₜ, out comes hₜ.
    canvas.hline(0, cell_len(LEFT_LABEL), at.arrow - 1, weight("hidden"), "hidden")
    canvas.vline(at.drop, 0, at.bus)  # hₜ₋₁ down to the [;] node
    canvas.hline(at.bus, at.drop, at.concat - 2)
    canvas.hline(at.bus, at.concat + 2, at.new)
    canvas.vline(at.concat, at.bus, at.bus + at.x_lines + 1)
    # zₜ rises to the keep ⊗ and branches into [1−], whose output meets nₜ at the write ⊗.
    canvas.vline(at.update, 0, at.box_row, weight("update"), "update")
    canvas.hline(at.write_row, at.update, at.new, weight("hidden"), "hidden")
    canvas.vline(at.new, 0, at.write_row, weight("hidden"), "hidden")
    canvas.vline(at.new, at.write_row, at.box_row, weight("new"), "new")
    # rₜ goes over into the n block, entering at ⊗.
    enter = at.boxes["new"].left(at.new) - 2
    canvas.vline(at.reset, at.lane, at.box_row, weight("reset"), "reset")
    canvas.hline(at.lane, at.reset, enter, weight("reset"), "reset")
    canvas.vline(enter, at.lane, at.entry, weight("reset"), "reset")
    canvas.hline(at.entry, enter, enter + 2, weight("reset"), "reset")
    for gate, column in at.gates:
        canvas.vline(column, at.box_row + at.box_height - 1, at.bus, weight(gate), gate)


def _draw_boxes(canvas: Canvas, at: _GRULayout, options: DiagramOptions) -> None:
    for gate, column in at.gates:
        box = at.boxes[gate]
        left, right = box.left(column), box.right(column)
        canvas.box(at.box_row, left, at.box_row + at.box_height - 1, right, options.weight(gate), gate)
        for offset, line in enumerate(box.lines):
            indent = (box.width - 2 - cell_len(line)) // 2
            canvas.text(at.box_row + 1 + offset, left + 1 + indent, line, gate, "node")


def _draw_nodes_and_blocks(canvas: Canvas, at: _GRULayout, blocks: dict[str, ValueBlock], wires: dict) -> None:
    canvas.text(0, 0, LEFT_LABEL.strip(), None, "label")
    canvas.text(0, at.update, "⊗", "hidden", "node")
    canvas.text(0, at.new, "⊕", "hidden", "node")
    canvas.text(0, at.arrow, "► hₜ", "hidden", "label")
    canvas.text(at.write_row, at.update + 2, ONE_MINUS, "hidden", "node")
    canvas.text(at.write_row, at.new, "⊗", "hidden", "node")
    canvas.text(at.entry, at.boxes["new"].left(at.new), "⊗", "new", "node")
    canvas.text(at.bus, at.concat - 1, "[;]", None, "node")

    def put(name: str, row: int, column: int, labelled: bool = True) -> None:
        blocks[name].draw(canvas, row, column, wires[name], labelled)

    put("h_prev", 1, 0, labelled=False)
    put("keep", 1, at.update + 2)
    put("write", 1, at.new + 2)
    put("h", 1, at.right, labelled=False)
    for gate, column in at.gates:
        put(f"{gate}.act", at.band + (gate == "reset"), column + 2)  # rₜ's under the wire that takes it over
    put(at.product, at.box_row, at.product_column)
    put("x", at.bus + 1, at.concat + 2)
