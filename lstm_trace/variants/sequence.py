"""The variant cells over whole sequences: lstm with options, peephole, cifg and the GRU.

`trace_variant_chunks` is the variants' twin of `sequence.trace_cell_chunks`: it
yields `VariantSequenceTrace` chunks of S steps (every value of every step, for a
batch of B sequences), in the order computed, carrying the state from chunk to
chunk, so memory stays bounded for any T. `stack.open_stream` runs it for every
cell of a stack when the cell is not the plain LSTM; `run_stack` is the Python API,
what `torch.nn.GRU` / `torch.nn.LSTM(proj_size=P)` compute, with every trace.

Correctness comes first here: one step is a few dozen NumPy calls on (B, H) rows
(the loops in `sequence_lstm.py` and `sequence_gru.py`). The plain LSTM has the
fast engine (`sequence.py`), tuned to within a small factor of PyTorch.
"""

from __future__ import annotations

from functools import partial
from typing import Iterator, Mapping

import numpy as np

from ..errors import UsageError, shape_text
from ..packed_cell import checked_inputs
from ..weights.gru_weights import GRUWeights
from ..weights.lstm_weights import LSTMWeights
from ..cells.options import CellOptions
from .sequence_trace import VariantSequenceTrace
from ..cells.step import check_weights_fit


def trace_variant_chunks(
    weights: LSTMWeights | GRUWeights,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    cell: CellOptions,
    reverse: bool = False,
    chunk_steps: int | None = 1024,
    layer: int | None = None,
) -> Iterator[VariantSequenceTrace]:
    """Yield the trace of xs (T, B, I) `chunk_steps` steps at a time (all T at once for None).

    h0 is (B, P) (P = H without a projection), c0 (B, H); a GRU takes no c0. Zeros when omitted.
    """
    check_weights_fit(cell.check(), weights)
    xs, h, c = check_variant_sequence(weights, cell, xs, h0, c0)
    T = xs.shape[0]
    S = T if chunk_steps is None else max(1, min(chunk_steps, T))
    positions = np.arange(T, 0, -1) if reverse else np.arange(1, T + 1)  # t of each step, in order computed
    direction = "reverse" if reverse else "forward"
    for start in range(0, T, S):
        times = positions[start : start + S]
        steps = xs[times - 1]  # (S', B, I) in the order computed (a copy: the trace keeps it)
        arrays = _trace_steps(weights, cell, steps, h, c)
        chunk = VariantSequenceTrace(times=times.copy(), arrays=arrays, layer=layer, direction=direction, cell=cell)
        h = chunk["h"][-1]
        c = chunk["c"][-1] if cell.has_cell_state else None
        yield chunk


def variant_engine(cell: CellOptions):
    """The chunked engine for `cell`, called like `sequence.trace_cell_chunks`."""
    return partial(trace_variant_chunks, cell=cell)


def _trace_steps(weights, cell: CellOptions, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray | None):
    if cell.variant == "gru":
        from .sequence_gru import trace_gru

        return trace_gru(weights, cell, xs, h0)
    from .sequence_lstm import trace_lstm_family

    return trace_lstm_family(weights, cell, xs, h0, c0)


def check_variant_sequence(weights, cell: CellOptions, xs, h0, c0):
    """xs as (T, B, I), h0 as (B, P) and c0 as (B, H) (None for a GRU), in the weights' dtype."""
    dtype, H, P = weights.dtype, weights.hidden_size, weights.h_size
    xs = checked_inputs(weights, xs)
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


def run_stack(
    cells: Mapping[tuple[int, str], LSTMWeights | GRUWeights],
    cell: CellOptions,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    batch_first: bool = False,
):
    """What torch.nn.GRU / torch.nn.LSTM (with proj_size, ...) compute, with the trace of every cell.

    xs is (T, I), (T, B, I), or (B, T, I) with batch_first; h0 is (L·D, B, P) (or (L·D, P)),
    c0 (L·D, B, H) and None for a GRU; zeros when omitted. Returns a `stack.StackRun`
    whose traces are `VariantSequenceTrace`s (c_n is None for a GRU).
    """
    from ..stack import StackRun, as_time_major, initial_states, open_stream, pytorch_layout, stack_layout

    layout = stack_layout(cells)
    batched = np.ndim(xs) == 3
    xs = as_time_major(xs, batch_first)
    B = xs.shape[1]
    h0 = initial_states(layout, h0, B, "h_0", layout.output_size)
    c0 = initial_states(layout, c0, B, "c_0") if cell.has_cell_state else None
    dtype = next(iter(cells.values())).dtype
    stream = open_stream(cells, xs.astype(dtype), h0.astype(dtype), None if c0 is None else c0.astype(dtype),
                         chunk_steps=None, cell=cell)  # fmt: skip
    traces = {(chunk.layer, chunk.direction): chunk for chunk in stream}  # chunk_steps=None: a chunk per cell
    unbatch = (lambda state: state) if batched else (lambda state: state[:, 0])  # noqa: E731
    return StackRun(
        output=pytorch_layout(stream.output, batched, batch_first),
        h_n=unbatch(stream.h_n),
        c_n=None if stream.c_n is None else unbatch(stream.c_n),
        traces=traces,
    )
