"""`SequenceTrace`: every value of one cell over many steps, as arrays named like its step's values.

A `StepTrace` holds one step as vectors; a `SequenceTrace` holds S steps of a
batch of B sequences as arrays of shape (S, B, size), in the order the steps
were computed, named as the cell's layout names them (`stages.layout_for(cell)`:
a GRU's are x, h_prev, reset.*, update.*, new.*, keep, write, h; a projected
LSTM's h and h_prev have P entries while C keeps H). For a cell that reads the
sequence backwards (the reverse direction of a bidirectional stack) that order
is t = T, T-1, ..., 1; `times` says which position each step is, and
`in_time_order` flips the arrays back.

`step(k, b)` hands out the cell's `StepTrace` of views, so every renderer and
the JSON writer made for one step work on any step of a sequence unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..stages import layout_for
from .step import StepTrace

DIRECTIONS = ("forward", "reverse")

# Built on demand from other arrays rather than stored: z = [h_{t-1} ; x_t] is a copy of both.
DERIVED = ("concat",)


@dataclass(frozen=True)
class SequenceTrace:
    """S computed steps of one cell for B sequences at once."""

    times: np.ndarray  # (S,) 1-based position t of each step, in the order computed
    arrays: Mapping[str, np.ndarray]  # quantity name -> (S, B, size); gate biases may be broadcast views
    layer: int | None = None  # set when the cell is one layer of a stack read from a file
    direction: str = "forward"
    cell: CellOptions = PLAIN  # the cell that made the steps: which names the arrays have follows from it

    def __getitem__(self, name: str) -> np.ndarray:
        if name == "concat":
            return np.concatenate([self.arrays["h_prev"], self.arrays["x"]], axis=-1)  # (S, B, H+I)
        return self.arrays[name]

    @property
    def steps(self) -> int:
        return int(self.times.shape[0])

    @property
    def batch_size(self) -> int:
        return int(self.arrays["h"].shape[1])

    @property
    def hidden_size(self) -> int:
        """H, the cell's units: C's length where there is a C (h has P < H entries with a projection)."""
        return int(self.arrays["c" if "c" in self.arrays else "h"].shape[2])

    @property
    def input_size(self) -> int:
        return int(self.arrays["x"].shape[2])

    @property
    def dtype(self) -> np.dtype:
        return self.arrays["h"].dtype

    def in_time_order(self, name: str) -> np.ndarray:
        """The array for `name` with steps sorted by t (a view; reversed for the reverse direction)."""
        values = self[name]
        return values[::-1] if self.direction == "reverse" else values

    def step(self, k: int, b: int = 0) -> StepTrace:
        """The k-th computed step of batch element b, as views into these arrays."""
        vector = {name: self.arrays[name][k, b] for name in self.arrays}
        if "concat" in layout_for(self.cell).quantities:
            vector["concat"] = np.concatenate([vector["h_prev"], vector["x"]])  # (H+I,), (P+I,) with a projection
        return StepTrace(vector, self.cell, int(self.times[k]))

    def copy(self) -> "SequenceTrace":
        """A trace that owns its arrays, for keeping a chunk whose buffers the engine reuses."""
        return self.take(np.arange(self.steps))

    def take(self, ks) -> "SequenceTrace":
        """The computed steps `ks` only, in arrays of their own."""
        ks = np.asarray(ks, dtype=np.intp)
        arrays = {name: values[ks] for name, values in self.arrays.items()}  # fancy indexing copies
        return replace(self, times=self.times[ks], arrays=arrays)  # and a subclass keeps its own fields


def stored_quantities(cell: CellOptions = PLAIN) -> tuple[str, ...]:
    """Every quantity a SequenceTrace of `cell` stores: its layout's, except the derived ones."""
    return tuple(name for name in layout_for(cell).quantities if name not in DERIVED)


def from_steps(
    steps: list[StepTrace], batch_size: int, cell: CellOptions = PLAIN, layer: int | None = None,
    direction: str = "forward",
) -> SequenceTrace:  # fmt: skip
    """Stack StepTraces of one sequence each (step-major, then batch element) back into arrays (S, B, size)."""
    count = len(steps) // batch_size
    arrays: dict[str, np.ndarray] = {}
    for name in stored_quantities(cell):
        values = [step[name] for step in steps]
        if any(value is None for value in values):
            continue  # optional parts (wz, bias, wx, wh) absent from some writers' traces
        arrays[name] = np.stack(values).reshape(count, batch_size, -1)
    times = np.array([step.t for step in steps[::batch_size]])
    return SequenceTrace(times=times, arrays=arrays, layer=layer, direction=direction, cell=cell)


def from_row_steps(steps: list[StepTrace], layer: int | None = None, direction: str = "forward") -> SequenceTrace:
    """Stack StepTraces of B rows each (the cell's step run on a batch, one per step) into arrays (S, B, size)."""
    cell, (S, B) = steps[0].cell, (len(steps), steps[0].h.shape[0])
    arrays: dict[str, np.ndarray] = {}
    for name in stored_quantities(cell):
        first = steps[0][name]
        if first is None:
            continue
        if first.ndim == 1:  # a constant of the cell (a bias) has no batch axis: one view for every step and row
            arrays[name] = np.broadcast_to(first, (S, B, first.shape[0]))
        else:
            arrays[name] = np.stack([step[name] for step in steps])
    times = np.array([step.t for step in steps])
    return SequenceTrace(times=times, arrays=arrays, layer=layer, direction=direction, cell=cell)


@dataclass(frozen=True)
class CellInfo:
    """One cell of a run: where it sits in the stack and what its weights are."""

    layer: int | None  # None for a lone cell that is not a layer of a file's stack
    direction: str
    input_size: int
    weights: Mapping[str, Any]  # the cell's provenance


@dataclass(frozen=True)
class SequenceInfo:
    """Everything about a sequence run but its steps: the JSON trace header."""

    hidden_size: int
    input_size: int  # of the first layer: the width of the input sequence
    dtype: str
    weights: Mapping[str, Any]  # provenance of the whole: {"source": ..., ...}
    sequence_length: int
    batch_size: int | None  # None: one sequence given as (T, I), without a batch dimension
    cells: tuple[CellInfo, ...]  # in the order they run
    batch_first: bool = False
    stacked: bool = False  # the cells are layers/directions of a file, and steps say which
    title: str | None = None
    notes: tuple[str, ...] = ()
    cell: CellOptions = PLAIN  # the cell every step runs

    @property
    def h_size(self) -> int:
        """The length of h: P with a projection, else H."""
        return self.cell.proj_size or self.hidden_size

    @property
    def num_layers(self) -> int:
        return 1 + max((cell.layer or 0) for cell in self.cells)

    @property
    def bidirectional(self) -> bool:
        return any(cell.direction == "reverse" for cell in self.cells)

    @property
    def batch(self) -> int:
        return self.batch_size or 1


def pytorch_layout(outputs: np.ndarray, batched: bool, batch_first: bool) -> np.ndarray:
    """(T, B, D·H) as torch.nn.LSTM returns it: (T, D·H) unbatched, (B, T, D·H) with batch_first."""
    if not batched:
        return outputs[:, 0]
    return outputs.transpose(1, 0, 2) if batch_first else outputs
