"""The sequence engine: any cell over a whole sequence, for a batch of B sequences at once.

    run_cell(weights, xs, h0, c0, cell=...)            states only: h_t of every step, the last h and C
    trace_cell(...)                                     every value of every step, as one SequenceTrace
    trace_cell_chunks(..., chunk_steps=S)               the same, S steps at a time: any T in bounded memory

xs is (T, B, I); h0 is (B, P) (P = H without a projection) and c0 (B, H), zeros when
omitted; a GRU takes no c0. `reverse=True` reads the sequence backwards (t = T first),
as the reverse cell of a bidirectional stack does (`sequence_stack.py` runs stacks).

Each step is the cell's own step (`cells.step.cell_step`: `lstm_step`, `gru_step`) on the
B rows of the batch at once, so a sequence computes what `step` computes, line for line.
The plain LSTM also has a fused loop (`fused_lstm.py`, `fused_lstm_trace.py`), several
times faster, used for the cells `fused_lstm.supports`; the tests check it against
`lstm_step` at every step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..cells.step import cell_step, check_weights_fit
from ..errors import UsageError, shape_text
from ..traces.sequence import SequenceTrace, from_row_steps, stored_quantities
from ..weights.gru_weights import GRUWeights
from ..weights.lstm_weights import LSTMWeights
from . import fused_lstm
from .fused_lstm import PackedCell, pack
from .fused_lstm_trace import TraceBuffers

__all__ = ["CellRun", "PackedCell", "chunk_steps_for", "pack", "run_cell", "trace_cell", "trace_cell_chunks"]

Weights = LSTMWeights | GRUWeights | PackedCell
CHUNK_BYTES = 32 * 2**20  # the values of one chunk of steps, when streaming


@dataclass(frozen=True)
class CellRun:
    outputs: np.ndarray  # (T, B, P)  h_t for every t, in time order (may be a strided view)
    h_n: np.ndarray  # (B, P)  the state after the last computed step
    c_n: np.ndarray | None  # (B, H); None for a GRU
    trace: SequenceTrace | None = None


def run_cell(
    weights: Weights,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    cell: CellOptions = PLAIN,
    reverse: bool = False,
) -> CellRun:
    """Run `cell` over xs (T, B, I) keeping only the states: h_t of every step and the last C_t."""
    xs, h, c = check_sequence(weights, cell, xs, h0, c0)
    if fused_lstm.supports(cell):
        outputs, h_n, c_n = fused_lstm.run_states(pack(weights), xs, h, c, reverse)
        return CellRun(outputs=outputs, h_n=h_n, c_n=c_n)
    outputs = np.empty((*xs.shape[:2], h.shape[1]), xs.dtype)  # (T, B, P)
    for t in _positions(len(xs), reverse):
        step = cell_step(weights, xs[t - 1], h, c, cell, int(t))  # (B, ·) rows
        h, c = step.h, step.c
        outputs[t - 1] = h
    return CellRun(outputs=outputs, h_n=h, c_n=c)


def trace_cell(
    weights: Weights,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    cell: CellOptions = PLAIN,
    reverse: bool = False,
    layer: int | None = None,
) -> CellRun:
    """Run `cell` over xs (T, B, I) keeping every value of every step."""
    chunk = next(trace_cell_chunks(weights, xs, h0, c0, cell=cell, reverse=reverse, chunk_steps=None, layer=layer))
    c = chunk.arrays.get("c")
    return CellRun(outputs=chunk.in_time_order("h"), h_n=chunk["h"][-1], c_n=None if c is None else c[-1], trace=chunk)


def trace_cell_chunks(
    weights: Weights,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    cell: CellOptions = PLAIN,
    reverse: bool = False,
    chunk_steps: int | None = 1024,
    layer: int | None = None,
) -> Iterator[SequenceTrace]:
    """Yield the trace `chunk_steps` steps at a time (all T at once for None), in the order computed.

    The fused loop reuses its buffers: a yielded chunk is valid until the next one is
    asked for (`SequenceTrace.copy()` keeps one).
    """
    xs, h, c = check_sequence(weights, cell, xs, h0, c0)
    T = len(xs)
    S = T if chunk_steps is None else max(1, min(chunk_steps, T))
    chunks = _fused_chunks if fused_lstm.supports(cell) else _cell_step_chunks
    yield from chunks(weights, cell, xs, h, c, S, reverse, layer)


def _cell_step_chunks(weights, cell, xs, h, c, S: int, reverse: bool, layer: int | None) -> Iterator[SequenceTrace]:
    """The cell's own step on the B rows of each step, its values stacked a chunk of S steps at a time."""
    positions = _positions(len(xs), reverse)
    for start in range(0, len(xs), S):
        steps = []
        for t in positions[start : start + S]:
            steps.append(cell_step(weights, xs[t - 1], h, c, cell, int(t)))  # (B, ·) rows
            h, c = steps[-1].h, steps[-1].c
        yield from_row_steps(steps, layer, "reverse" if reverse else "forward")


def _fused_chunks(weights, cell, xs, h, c, S: int, reverse: bool, layer: int | None) -> Iterator[SequenceTrace]:
    """The fused loop, into buffers for S steps that every chunk reuses."""
    positions = _positions(len(xs), reverse)
    buffers = TraceBuffers(pack(weights), S, xs.shape[1], xs.dtype, layer, "reverse" if reverse else "forward")
    for start in range(0, len(xs), S):
        times = positions[start : start + S]
        steps = xs[times - 1] if reverse else xs[start : start + S]  # (S', B, I) in the order computed
        chunk = buffers.run(steps, times, h, c)
        h, c = chunk["h"][-1], chunk["c"][-1]
        yield chunk


def chunk_steps_for(hidden_size: int, batch: int, dtype: np.dtype, cell: CellOptions = PLAIN) -> int:
    """Steps per chunk so that a chunk's values stay near CHUNK_BYTES: about 10·H·B a step in the fused loop;
    with the cell's own step, each of its values (H·B or fewer) twice, in the step and in the chunk's array."""
    values = 10 if fused_lstm.supports(cell) else 2 * len(stored_quantities(cell))
    per_step = values * hidden_size * batch * np.dtype(dtype).itemsize
    return int(np.clip(CHUNK_BYTES // per_step, 16, 1024))


def check_sequence(weights: Weights, cell: CellOptions, xs, h0, c0):
    """xs as (T, B, I), h0 as (B, P) and c0 as (B, H) (None for a GRU), in the weights' dtype; zeros when
    omitted. Checks first that the weights fit the cell."""
    if isinstance(weights, PackedCell):
        if not fused_lstm.supports(cell):
            raise UsageError("A PackedCell holds the plain LSTM's weights laid out for its fused loop; run any "
                             "other cell on its LSTMWeights or GRUWeights.")  # fmt: skip
    else:
        check_weights_fit(cell.check(), weights)
    dtype, H, P, I = weights.dtype, weights.hidden_size, weights.h_size, weights.input_size
    xs = np.asarray(xs, dtype=dtype)
    if xs.ndim != 3 or xs.shape[2] != I or xs.shape[0] == 0 or xs.shape[1] == 0:
        raise UsageError(
            f"The input sequence has shape {shape_text(xs.shape)}, but the weights ({weights.source}) "
            f"have input size I = {I}: expected (T, B, {I}) with T ≥ 1 and B ≥ 1."
        )
    B = xs.shape[1]
    if not cell.has_cell_state and c0 is not None:
        raise UsageError("A GRU has no cell state C, so it takes no c_0; its memory is h alone.")
    states = []
    for name, state, size in (("h_0", h0, P), ("c_0", c0, H)):
        if name == "c_0" and not cell.has_cell_state:
            states.append(None)
            continue
        state = np.zeros((B, size), dtype) if state is None else np.asarray(state, dtype=dtype)
        if state.shape != (B, size):
            letter = "P" if name == "h_0" and P != H else "H"
            raise UsageError(
                f"{name} has shape {shape_text(state.shape)}; for B = {B} sequences and {letter} = {size} "
                f"it must have shape ({B}, {size})."
            )
        states.append(state)
    return xs, states[0], states[1]


def _positions(T: int, reverse: bool) -> np.ndarray:
    """t of each step in the order computed: 1..T, or T..1 for a cell that reads backwards."""
    return np.arange(T, 0, -1) if reverse else np.arange(1, T + 1)
