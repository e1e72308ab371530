"""What the gates do over a sequence, from running aggregates.

`GateBehaviourAccumulator.update` takes one chunk of a `SequenceTrace` at a time
and keeps only per-unit counts and a binned time × unit grid, so a summary of
any T needs no per-step trace (`run --summary-only`). Nothing here renders.

The statistics, for one sequence (batch element) of one cell:
- remembering: share of (unit, step) pairs with f > 0.9: the old memory is kept;
- forgetting: share with f < 0.1: the old memory is dropped;
- memory units: units whose f > 0.9 in at least 90% of the steps;
- steadily growing units: |C| rose in at least 90% of the steps, by at least 0.5 in
  all, and ended at ≥ 1 (past that, tanh(C) starts to flatten: the unit fills up);
- saturated units, per gate: |pre-activation| > 5 in at least half of the steps
  (σ(5) ≈ 0.9933: the gate no longer responds to small changes of its input).

Each cell reads its own quantities (`sequence_quantities.py`): for a GRU the
update gate z stands where f stands (z > 0.9 keeps the old state), and it has no
cell state, so no growing units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..stages.sequences import sequence_quantities
from ..traces.sequence import SequenceTrace

REMEMBER_ABOVE = 0.9
FORGET_BELOW = 0.1
MEMORY_SHARE = 0.9
STEADY_SHARE = 0.9
GROWN_TO = 1.0
GROWTH = 0.5
SATURATED_ABOVE = 5.0
SATURATED_SHARE = 0.5


@dataclass(frozen=True)
class Heatmaps:
    """Each quantity averaged over bins of consecutive steps: values[name] is (rows, units)."""

    values: dict[str, np.ndarray]
    row_spans: list[tuple[int, int]]  # (first t, last t) of each row
    units: np.ndarray  # the unit index of each column
    hidden_size: int


@dataclass(frozen=True)
class GateBehaviour:
    steps: int
    hidden_size: int
    remembering: float  # share of (unit, step) pairs with f > REMEMBER_ABOVE
    forgetting: float
    memory_units: list[int]
    growing_units: list[tuple[int, float, float]]  # (unit, C before the first step, C after the last)
    saturated_units: dict[str, list[int]]  # gate name -> units
    saturated_share: dict[str, float]  # gate name -> share of (unit, step) pairs with |preact| > 5
    heatmaps: Heatmaps


class GateBehaviourAccumulator:
    """Running counts for batch element `batch_index` of one cell; feed it chunks in the order computed."""

    def __init__(self, sequence_length: int, hidden_size: int, batch_index: int = 0, heatmap_rows: int = 24,
                 units: slice = slice(None), cell: CellOptions = PLAIN) -> None:  # fmt: skip
        """The heatmaps keep the columns `units` of every quantity `cell` shows (`sequence_quantities`)."""
        H = hidden_size
        self.quantities = quantities = sequence_quantities(cell)
        self.sequence_length, self.hidden_size, self.batch_index = sequence_length, H, batch_index
        # Heatmap rows: runs of `bin_steps` consecutive steps, all the same length but the last.
        self.bin_steps = -(-sequence_length // heatmap_rows)  # ceil
        self.rows = -(-sequence_length // self.bin_steps)
        self.units = units  # the columns the heatmaps keep
        self.steps = 0
        self.remember_count = np.zeros(H, np.int64)  # (H,) steps with f > 0.9
        self.forget_count = np.zeros(H, np.int64)
        self.growth_count = np.zeros(H, np.int64)  # (H,) steps where |C_t| > |C_{t-1}|
        self.saturated_count = {gate: np.zeros(H, np.int64) for gate in quantities.saturating}
        self.first_c: np.ndarray | None = None  # C before the first step computed
        self.last_c: np.ndarray | None = None  # C after the last step computed
        widths = {name: (cell.proj_size or H) if name == "h" else H for name in quantities.heatmaps}  # h: P entries
        self.heat_sums = {name: np.zeros((self.rows, np.arange(width)[units].size)) for name, width in widths.items()}
        self.heat_counts = np.zeros(self.rows, np.int64)

    def update(self, chunk: SequenceTrace) -> None:
        b = self.batch_index
        forget = chunk[self.quantities.memory_gate][:, b]  # (S, H)  f, or a GRU's z
        self.remember_count += np.count_nonzero(forget > REMEMBER_ABOVE, axis=0)
        self.forget_count += np.count_nonzero(forget < FORGET_BELOW, axis=0)
        for gate, count in self.saturated_count.items():
            count += np.count_nonzero(np.abs(chunk[f"{gate}.preact"][:, b]) > SATURATED_ABOVE, axis=0)
        if self.quantities.state is not None:
            c, c_prev = chunk["c"][:, b], chunk["c_prev"][:, b]
            self.growth_count += np.count_nonzero(np.abs(c) > np.abs(c_prev), axis=0)
            if self.first_c is None:
                self.first_c = np.array(c_prev[0], dtype=np.float64)
            self.last_c = np.array(c[-1], dtype=np.float64)
        self.steps += chunk.steps
        self._bin(chunk)

    def _bin(self, chunk: SequenceTrace) -> None:
        """Add the chunk's values into the time bins. Bins are runs of consecutive t, so a chunk
        (consecutive t, forwards or backwards) covers a few whole runs: one reduceat per quantity."""
        order = np.argsort(chunk.times, kind="stable")  # time order; reverse chunks come backwards
        rows = (chunk.times[order] - 1) // self.bin_steps  # (S,) row of each step
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        bins = rows[starts]
        for name in self.heat_sums:
            values = chunk[name][order, self.batch_index][:, self.units].astype(np.float64)  # (S, units)
            self.heat_sums[name][bins] += np.add.reduceat(values, starts, axis=0)
        self.heat_counts[bins] += np.diff(np.r_[starts, rows.size])

    def result(self) -> GateBehaviour:
        T, H = max(self.steps, 1), self.hidden_size
        pairs = T * H
        counts = np.maximum(self.heat_counts, 1)[:, None]
        spans = [(row * self.bin_steps + 1, min((row + 1) * self.bin_steps, self.sequence_length))
                 for row in range(self.rows)]  # fmt: skip
        first_c = self.first_c if self.first_c is not None else np.zeros(H)
        last_c = self.last_c if self.last_c is not None else np.zeros(H)
        growing = np.flatnonzero(
            (self.growth_count >= STEADY_SHARE * T)
            & (np.abs(last_c) >= GROWN_TO)
            & (np.abs(last_c) - np.abs(first_c) >= GROWTH)
        )
        return GateBehaviour(
            steps=self.steps,
            hidden_size=H,
            remembering=float(self.remember_count.sum() / pairs),
            forgetting=float(self.forget_count.sum() / pairs),
            memory_units=np.flatnonzero(self.remember_count >= MEMORY_SHARE * T).tolist(),
            growing_units=[(int(unit), float(first_c[unit]), float(last_c[unit])) for unit in growing],
            saturated_units={g: np.flatnonzero(n >= SATURATED_SHARE * T).tolist() for g, n in self.saturated_count.items()},
            saturated_share={g: float(n.sum() / pairs) for g, n in self.saturated_count.items()},
            heatmaps=Heatmaps(
                values={name: sums / counts for name, sums in self.heat_sums.items()},
                row_spans=spans,
                units=np.arange(H)[self.units],
                hidden_size=H,
            ),
        )
