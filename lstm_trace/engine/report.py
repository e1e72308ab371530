"""What the terminal shows of a sequence, gathered chunk by chunk: nothing here renders.

For every cell: the gate behaviour (running aggregates, `summary.py`), the rows of
the compact per-step table, and the steps asked for with `--detail`. Only those
are kept, so `run` and `show` need memory for the table and the heatmap grid, not
for the whole trace, however long the sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stages.sequences import sequence_quantities
from ..traces.sequence import CellInfo, SequenceInfo, SequenceTrace
from ..traces.step import StepTrace
from .summary import GateBehaviour, GateBehaviourAccumulator

VALUES_UP_TO = 4  # up to this many units (or inputs) a row shows every value; beyond it mean, min, max


@dataclass(frozen=True)
class ReportPlan:
    batch_index: int = 0  # the sequence of the batch that is shown
    heatmap_rows: int = 24
    units: slice | None = None  # heatmap columns; None: every unit
    table_rows: int | None = 24  # steps in the per-step table before the middle is elided; None: all
    details: tuple[int, ...] = ()  # positions t shown with every stage
    with_table: bool = True  # --summary-only leaves the per-step table out


@dataclass(frozen=True)
class StepRow:
    t: int
    x: np.ndarray  # x_t itself, or [mean, min, max] when I > VALUES_UP_TO
    values: dict[str, np.ndarray]  # per quantity: the H values, or [mean, min, max] when H > VALUES_UP_TO


@dataclass(frozen=True)
class StepTable:
    rows: list[StepRow | None]  # in time order; None stands for the elided middle
    x_values: bool  # rows hold every x value (else mean, min, max)
    unit_values: bool
    names: tuple[str, ...]  # the columns after t and x


@dataclass(frozen=True)
class CellReport:
    cell: CellInfo
    behaviour: GateBehaviour
    table: StepTable | None
    details: list[StepTrace]


def table_plan(sequence_length: int, max_rows: int | None) -> list[int | None]:
    """Which positions t get a row: all of them, or the first and last few around a None."""
    T = sequence_length
    if max_rows is None or T <= max_rows:
        return list(range(1, T + 1))
    tail = max(2, max_rows // 4)
    return [*range(1, max_rows - tail + 1), None, *range(T - tail + 1, T + 1)]


class _CellCollector:
    def __init__(self, info: SequenceInfo, cell: CellInfo, plan: ReportPlan) -> None:
        self.cell, self.plan = cell, plan
        T, H = info.sequence_length, info.hidden_size
        self.names = sequence_quantities(info.cell).table
        self.behaviour = GateBehaviourAccumulator(T, H, plan.batch_index, plan.heatmap_rows, plan.units or slice(None),
                                                  info.cell)  # fmt: skip
        self.layout = table_plan(T, plan.table_rows) if plan.with_table else []
        self.row_times = np.array([t for t in self.layout if t is not None], dtype=np.int64)
        self.rows: dict[int, StepRow] = {}
        self.detail_times = np.array(sorted(set(plan.details)), dtype=np.int64)
        self.details: dict[int, StepTrace] = {}
        self.x_values, self.unit_values = cell.input_size <= VALUES_UP_TO, H <= VALUES_UP_TO

    def update(self, chunk: SequenceTrace) -> None:
        self.behaviour.update(chunk)
        b = self.plan.batch_index
        for k in np.flatnonzero(np.isin(chunk.times, self.row_times)):
            t = int(chunk.times[k])
            x = chunk["x"][k, b]
            self.rows[t] = StepRow(
                t=t,
                x=np.array(x if self.x_values else _spread(x), dtype=np.float64),
                values={name: np.array(chunk[name][k, b] if self.unit_values else _spread(chunk[name][k, b]),
                                       dtype=np.float64) for name in self.names},  # fmt: skip
            )
        wanted = np.flatnonzero(np.isin(chunk.times, self.detail_times))
        if wanted.size:
            kept = chunk.take(wanted)  # owns its arrays: the engine reuses the chunk's buffers
            for k, t in enumerate(kept.times):
                self.details[int(t)] = kept.step(k, b)

    def report(self) -> CellReport:
        table = None
        if self.plan.with_table:
            rows = [None if t is None else self.rows[t] for t in self.layout]
            table = StepTable(rows=rows, x_values=self.x_values, unit_values=self.unit_values, names=self.names)
        details = [self.details[t] for t in sorted(self.details)]
        return CellReport(cell=self.cell, behaviour=self.behaviour.result(), table=table, details=details)


def _spread(values: np.ndarray) -> np.ndarray:
    return np.array([values.mean(dtype=np.float64), values.min(), values.max()])


class ReportBuilder:
    """Feed it the chunks of every cell, in any order of cells; ask for one report per cell."""

    def __init__(self, info: SequenceInfo, plan: ReportPlan) -> None:
        self.info, self.plan = info, plan
        self.collectors = {(cell.layer, cell.direction): _CellCollector(info, cell, plan) for cell in info.cells}

    def update(self, chunk: SequenceTrace) -> None:
        self.collectors[(chunk.layer, chunk.direction)].update(chunk)

    def reports(self) -> list[CellReport]:
        return [collector.report() for collector in self.collectors.values()]
