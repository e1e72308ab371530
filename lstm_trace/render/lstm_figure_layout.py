"""Where everything of an LSTM-family figure goes: columns from the widths of the value blocks, rows from their heights.

The plain cell's layout is the familiar one (see `diagram_lstm.py`). What a variant or an
option adds only takes room where it acts: the peephole wires get a column of their own
left of σ_f and left of σ_o, the cifg "[1−]" node and the input peephole a lane just above
the blocks, a cell clip a node on the cell-state line, a projection a node after the output ⊗.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len

from .figure import ValueBlock

GATE_ORDER = ("forget", "input", "candidate", "output")
Z_LABEL = " z "
LEFT_LABEL = "Cₜ₋₁ "


@dataclass(frozen=True)
class Box:
    """A gate's block: its inner lines top to bottom, the activation first, then what acts before it."""

    lines: tuple[str, ...]

    @property
    def width(self) -> int:
        return max(3, *(cell_len(line) for line in self.lines)) + 2

    def left(self, column: int) -> int:
        return column - (self.width - 1) // 2

    def right(self, column: int) -> int:
        return self.left(column) + self.width - 1


@dataclass(frozen=True)
class Parts:
    """What the figure draws beyond the plain cell."""

    boxes: dict[str, Box]  # the gates that have a block (cifg's input gate has none)
    tanh_node: str = "(tanh)"  # the activation on the Cₜ branch
    peephole: bool = False
    coupled: bool = False  # cifg: iₜ = 1 − fₜ, a "[1−]" node instead of σ_i
    cell_clip: str | None = None  # the node on the cell-state line: "[clip ±5]"
    projection: str | None = None  # the node after the output ⊗: "[W_hr·]"
    wires: dict[str, str] = field(default_factory=dict)  # value name -> the stage that computes it

    @property
    def box_height(self) -> int:
        return max(len(box.lines) for box in self.boxes.values()) + 2


class LSTMLayout:
    def __init__(self, blocks: dict[str, ValueBlock], parts: Parts, gap: int = 2) -> None:
        self.parts, self.GAP = parts, gap  # GAP: columns between a block of values and the next wire
        self._columns(blocks, parts)
        self._rows(blocks, parts)

    def _columns(self, blocks: dict[str, ValueBlock], parts: Parts) -> None:
        GAP, boxes = self.GAP, parts.boxes

        def span(*names: str) -> int:
            return max(blocks[name].width for name in names)

        def place(minimum: int, gate: str, free_from: int) -> int:
            """The gate's column: at least `minimum`, with its block's left edge at `free_from` or beyond."""
            return max(minimum, free_from + (boxes[gate].width - 1) // 2)

        self.left = max(span("c_prev", "h_prev"), cell_len(LEFT_LABEL))
        self.concat = self.left + 3  # the ';' of the [;] node
        first = self.concat + 2 + cell_len(Z_LABEL) + 2
        if parts.peephole:  # Cₜ₋₁ drops here to σ_f and, along the lane, to σ_i
            self.trunk = self.left + 1
            first = max(first, self.trunk + 2 + span("forget.peephole", "input.peephole") + 1)
        self.forget = place(first, "forget", self.concat + 5)
        after_forget = self.forget + 2 + span("keep", "forget.act") + GAP
        if parts.coupled:  # no σ_i: the "[1−]" node sits on the lane, from input − 2 to input + 1
            self.input = max(after_forget, boxes["forget"].right(self.forget) + 4)
            candidate_free = self.input + 3
        else:  # the input peephole comes down one column left of σ_i
            self.input = place(after_forget, "input", boxes["forget"].right(self.forget) + (3 if parts.peephole else 2))
            candidate_free = boxes["input"].right(self.input) + 2
        self.candidate = place(self.input + 2 + span("input.act") + GAP, "candidate", candidate_free)
        after_write = self.candidate + 2 + span("write", "candidate.act") + GAP
        clip_end = 0
        if parts.cell_clip:  # the clip node on the cell-state line, what it clips (keep + write) beneath it
            self.clip_node = self.candidate + 2 + span("write") + GAP
            self.unclipped = self.clip_node + 1
            clip_end = max(self.clip_node + cell_len(parts.cell_clip), self.unclipped + span("c_unclipped"))
            # The block may reach over σ_o's column (its wire starts lower down), not over a peephole's.
            after_write = max(after_write, self.clip_node + cell_len(parts.cell_clip) + GAP)
            if parts.peephole:
                after_write = max(after_write, clip_end + GAP)
        output_free = boxes["candidate"].right(self.candidate) + 2
        if parts.peephole:  # the new Cₜ drops here to σ_o; p_o ⊙ Cₜ is printed beside it, above σ_o's wire
            self.tap = after_write
            after_write = self.tap + 3
            output_free = max(output_free, self.tap + 2)
            clip_end = max(clip_end, self.tap + 2 + span("output.peephole"))
        self.output = place(after_write, "output", output_free)
        half_node = (cell_len(parts.tanh_node) - 1) // 2  # "(tanh)" sits on row 1, centred on the branch
        self.tanh = max(self.output + 2 + span("output.act") + GAP, boxes["output"].right(self.output) + 3,
                        self.output + 3 + half_node, clip_end + GAP + half_node)  # fmt: skip
        self.arrow = max(self.tanh + 2 + span("c_tanh") + 1, self.tanh + cell_len(parts.tanh_node) // 2 + 2)
        self.right = self.arrow + 2
        if parts.projection:  # the W_hr node right after the output ⊗, what it projects (mₜ) beneath it
            self.proj_node = self.tanh + 2
            self.unprojected = self.proj_node + 1
            self.arrow = max(self.arrow, self.proj_node + cell_len(parts.projection) + 2)
            self.right = max(self.arrow + 2, self.unprojected + span("h_unprojected") + GAP)
        self.columns = self.right + span("c", "h")

    def _rows(self, blocks: dict[str, ValueBlock], parts: Parts) -> None:
        k = len(blocks["c"].lines)  # value lines of an H-long wire
        self.write_row = k + 2  # ⊗ where iₜ meets C̃ₜ
        self.out_row = k + 3  # ⊗ where oₜ meets tanh(Cₜ)
        self.band = self.out_row + 1  # the gate values
        self.lane = self.band + k + 1 if parts.peephole or parts.coupled else None
        self.box_row = self.band + k + 1 + (self.lane is not None)
        self.box_height = parts.box_height
        self.entry = self.box_row + self.box_height - 2  # a peephole joins each block on its last inner line
        self.bus = self.box_row + self.box_height
        self.x_lines = len(blocks["x"].lines)
        self.rows = max(self.bus + len(blocks["h_prev"].lines) + 1, self.bus + len(blocks["x"].lines) + 2)

    @property
    def gates(self) -> tuple[tuple[str, int], ...]:
        """The gates that have a block, with their columns."""
        return tuple((gate, getattr(self, gate)) for gate in GATE_ORDER if gate in self.parts.boxes)
