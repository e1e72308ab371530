"""What a sequence report reads, per kind of cell: table columns, heatmaps, the memory gate.

The plain LSTM's are the ones `run` has always shown. A variant of the LSTM shows
the same (cifg's input gate, 1 - f, has no pre-activation of its own to saturate).
A GRU has no forget gate and no cell state; its update gate plays the forget gate's
part: h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}, so z > 0.9 keeps (most of) the old state
("remembering") and z < 0.1 replaces it by the new state n ("forgetting"). It has no
cell state, so "C grows steadily" has no GRU twin and is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .stages import GATE_BY_NAME


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


PLAIN_QUANTITIES = SequenceQuantities(
    table=("forget.act", "input.act", "output.act", "c", "h"),
    heatmap_rows=(("forget.act", "input.act", "output.act"), ("candidate.act", "c", "h")),  # gates, then what they make
    memory_gate="forget.act",
    state="c",
    saturating=tuple(GATE_BY_NAME),
    gate_titles={name: gate.title.lower() for name, gate in GATE_BY_NAME.items()},
)

GRU_QUANTITIES = SequenceQuantities(
    table=("reset.act", "update.act", "new.act", "h"),
    heatmap_rows=(("reset.act", "update.act"), ("new.act", "h")),
    memory_gate="update.act",
    state=None,
    saturating=("reset", "update", "new"),
    gate_titles={"reset": "reset gate", "update": "update gate", "new": "new state"},
)


def sequence_quantities(cell=None) -> SequenceQuantities:
    """The quantities for a cell (a variants.CellOptions; None or the plain cell: the plain LSTM's)."""
    if cell is None or cell.is_plain:
        return PLAIN_QUANTITIES
    if cell.variant == "gru":
        return GRU_QUANTITIES
    if cell.variant == "cifg":  # i = 1 - f has no pre-activation
        return replace(PLAIN_QUANTITIES, saturating=tuple(g for g in GATE_BY_NAME if g != "input"))
    return PLAIN_QUANTITIES
