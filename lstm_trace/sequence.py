"""The fast path: one LSTM cell over a whole sequence, for a batch of sequences at once.

The same equations as `cell.lstm_step`, arranged the way fast RNN libraries run them:

- the four gates are one block of 4H rows, ordered [i | f | o | C̃] so the three
  sigmoids sit side by side;
- inside the loop every vector is a column and a batch is B columns side by side:
  h_{t-1} is (H, B) and the gates (4H, B), so each gate is a contiguous block and the
  recurrence is one (4H, H) × (H, B) product (the layout cuDNN uses; with rows of
  4H per sequence instead, both the product and the gate slices run ~1.5x slower);
- the input projections W_x·x_t of all T steps are one matrix product before the loop;
- each step then costs one matrix product for the recurrence, W_h·h_{t-1}, and a
  handful of element-wise NumPy calls into preallocated buffers;
- σ(a) = 0.5 + 0.5·tanh(a/2), so one tanh call covers all four gates.

`run_cell` keeps only the states (h for every step, the final C); `trace_cell`
keeps every intermediate in (S, B, ·) arrays; `trace_cell_chunks` does the same
a chunk of steps at a time, reusing its buffers, so memory stays bounded for
any T. The tests check all three against `lstm_step` and `torch.nn.LSTM`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .packed_cell import PackedCell, check_sequence, input_projection, pack
from .sequence_trace import SequenceTrace
from .trace_buffers import TraceBuffers, block_steps_for, chunk_steps_for
from .weights.lstm_weights import LSTMWeights

__all__ = ["CellRun", "PackedCell", "chunk_steps_for", "pack", "run_cell", "trace_cell", "trace_cell_chunks"]


@dataclass(frozen=True)
class CellRun:
    outputs: np.ndarray  # (T, B, H)  h_t for every t, in time order (may be a strided view)
    h_n: np.ndarray  # (B, H)  the state after the last computed step
    c_n: np.ndarray  # (B, H)
    trace: SequenceTrace | None = None


def run_cell(
    weights: LSTMWeights | PackedCell,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    reverse: bool = False,
) -> CellRun:
    """Run the cell over xs (T, B, I) keeping only the states: h_t of every step and the last C_t."""
    xs, h0, c0 = check_sequence(weights, xs, h0, c0)
    cell = pack(weights)
    T, B, _ = xs.shape
    xw = input_projection(cell.w_x_half, xs)  # (T, 4H, B); the loop adds b a block of steps at a time
    outputs = np.empty((T, cell.hidden_size, B), xs.dtype)  # column layout, returned as a (T, B, H) view
    order = slice(None, None, -1) if reverse else slice(None)
    h = np.array(h0.T, order="C")  # (H, B), copies: the loop updates c in place
    c = np.array(c0.T, order="C")
    h = _run_states(cell, xw[order], outputs[order], h, c)
    return CellRun(outputs=outputs.transpose(0, 2, 1), h_n=h.T.copy(), c_n=c.T)


def _run_states(cell: PackedCell, xw: np.ndarray, outputs: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The loop without a trace. xw (S, 4H, B) is W_x·x_t with the sigmoid rows halved (the loop adds b
    to it in place); writes h_t into outputs (S, H, B), updates c (H, B) in place, returns the last h."""
    H = cell.hidden_size
    w_h = cell.recurrent(c.shape[1])
    # The gates and C_{t-1} in one buffer, rows [i | f | o | C̃ | C]: [i ; f] ⊙ [C̃ ; C] is
    # [write ; keep] in one call.
    rows = np.empty((5 * H, c.shape[1]), c.dtype)
    gates, sigmoids, state = rows[: 4 * H], rows[: 3 * H], rows[4 * H :]
    input_forget, candidate_state, o = rows[: 2 * H], rows[3 * H :], rows[2 * H : 3 * H]
    state[:] = c
    half = np.full_like(sigmoids, 0.5)  # full size: NumPy broadcasts a scalar or a column more slowly
    write_keep = np.empty_like(input_forget)
    write, keep = write_keep[:H], write_keep[H:]
    scratch = np.empty_like(c)
    # Local names and positional `out` arguments: at small H the loop is mostly call overhead.
    dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh
    block_steps = block_steps_for(H, c.shape[1], c.dtype)
    for start in range(0, len(xw), block_steps):
        steps = slice(start, start + block_steps)
        add(xw[steps], cell.b_half, xw[steps])  # W_x·x_t + b, a block at a time: it is then in the cache
        for xw_t, h_t in zip(xw[steps], outputs[steps]):
            dot(w_h, h, gates)  # the one matrix product per step
            add(gates, xw_t, gates)  # pre-activations (halved for the sigmoid gates)
            tanh(gates, gates)
            multiply(sigmoids, half, sigmoids)  # σ(a) = 0.5 + 0.5·tanh(a/2)
            add(sigmoids, half, sigmoids)
            multiply(input_forget, candidate_state, write_keep)  # [i ⊙ C̃ ; f ⊙ C_{t-1}]
            add(write, keep, state)  # C_t = keep + write
            tanh(state, scratch)
            multiply(o, scratch, h_t)  # h_t = o ⊙ tanh(C_t)
            h = h_t
    c[:] = state
    return h


def trace_cell(
    weights: LSTMWeights | PackedCell,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    reverse: bool = False,
    layer: int | None = None,
) -> CellRun:
    """Run the cell over xs (T, B, I) keeping every intermediate of every step."""
    chunk = next(trace_cell_chunks(weights, xs, h0, c0, reverse=reverse, chunk_steps=None, layer=layer))
    outputs = chunk.in_time_order("h")  # (T, B, H), a view of the trace
    return CellRun(outputs=outputs, h_n=chunk["h"][-1], c_n=chunk["c"][-1], trace=chunk)


def trace_cell_chunks(
    weights: LSTMWeights | PackedCell,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    reverse: bool = False,
    chunk_steps: int | None = 1024,
    layer: int | None = None,
) -> Iterator[SequenceTrace]:
    """Yield the trace `chunk_steps` steps at a time (all T at once for None), in the order computed.

    The buffers are reused: a yielded chunk is valid until the next one is asked for
    (`SequenceTrace.copy()` keeps one).
    """
    xs, h, c = check_sequence(weights, xs, h0, c0)
    T = xs.shape[0]
    S = T if chunk_steps is None else max(1, min(chunk_steps, T))
    buffers = TraceBuffers(pack(weights), S, xs.shape[1], xs.dtype, layer, "reverse" if reverse else "forward")
    positions = np.arange(T, 0, -1) if reverse else np.arange(1, T + 1)  # t of each step, in order computed
    for start in range(0, T, S):
        times = positions[start : start + S]
        steps = xs[times - 1] if reverse else xs[start : start + S]  # (S', B, I) in the order computed
        chunk = buffers.run(steps, times, h, c)
        h, c = chunk["h"][-1], chunk["c"][-1]
        yield chunk
