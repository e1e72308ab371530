"""What a sequence report reads of a cell: table columns, heatmaps, the memory gate.

They come from the cell's family and its layout (`stages.layout_for(cell)`). An LSTM of
any options shows its gates, C and h; its gates with a pre-activation can saturate
(cifg's input gate, 1 - f, has none of its own). A GRU has no forget gate and no cell
state; its update gate plays the forget gate's part: h_t = (1 - z) ⊙ n + z ⊙ h_{t-1},
so z > 0.9 keeps (most of) the old state ("remembering") and z < 0.1 replaces it by the
new state n ("forgetting"). It has no cell state, so "C grows steadily" has no GRU twin
and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cell_options import CellOptions
from .layout import layout_for


@dataclass(frozen=True)
class SequenceQuantities:
    table: tuple[str, ...]  # the per-step table's columns
    heatmap_rows: tuple[tuple[str, ...], ...]  # heatmaps, a row of panels each
    memory_gate: str  # near 1 keeps the old state: f of an LSTM, z of a GRU
    state: str | None  # the state whose steady growth is reported: C, or None (a GRU)
    saturating: tuple[str, ...]  # gates whose pre-activations are counted as saturated
    gate_titles: dict[str, str]  # gate name -> how the summary names it

    @property
    def heatmaps(self) -> tuple[str, ...]:
        return tuple(name for row in self.heatmap_rows for name in row)


def sequence_quantities(cell: CellOptions) -> SequenceQuantities:
    """The quantities a sequence report of `cell` reads."""
    layout = layout_for(cell)
    saturating = tuple(gate for gate in layout.gates if f"{gate}.preact" in layout.quantities)
    titles = {gate: layout.stage_by_name[gate].title.lower() for gate in saturating}
    if cell.has_cell_state:  # the LSTM family
        return SequenceQuantities(
            table=("forget.act", "input.act", "output.act", "c", "h"),
            # the gates side by side, then what they make
            heatmap_rows=(("forget.act", "input.act", "output.act"), ("candidate.act", "c", "h")),
            memory_gate="forget.act",
            state="c",
            saturating=saturating,
            gate_titles=titles,
        )
    return SequenceQuantities(
        table=("reset.act", "update.act", "new.act", "h"),
        heatmap_rows=(("reset.act", "update.act"), ("new.act", "h")),
        memory_gate="update.act",
        state=None,
        saturating=saturating,
        gate_titles=titles,
    )
