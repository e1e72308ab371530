"""The fused LSTM loop: the plain LSTM over a sequence, the way fast RNN libraries run it.

An optimisation of the sequence engine (`sequence.py`), not a second definition of the
cell: it runs exactly the cells `supports` accepts, the seven equations of
`cells/lstm.py` with σ and tanh, and the tests check it against `lstm_step` at every
step (and against torch.nn.LSTM). The same equations, arranged for speed:

- the four gates are one block of 4H rows, ordered [i | f | o | C̃] so the three
  sigmoids sit side by side, and [i ; f] lines up with [C̃ ; C_{t-1}] so that one
  product gives [write ; keep];
- inside the loop every vector is a column and a batch is B columns side by side:
  h_{t-1} is (H, B) and the gates (4H, B), so each gate is a contiguous block and the
  recurrence is one (4H, H) × (H, B) product (the layout cuDNN uses; with rows of
  4H per sequence instead, both the product and the gate slices run ~1.5x slower);
- the input projections W_x·x_t of all T steps are one matrix product before the loop;
- each step then costs one matrix product for the recurrence, W_h·h_{t-1}, and a
  handful of element-wise NumPy calls into preallocated buffers;
- σ(a) = 0.5 + 0.5·tanh(a/2), so one tanh call covers all four gates (this, and the
  split W_x·x_t + W_h·h_{t-1}, is why its values agree with `lstm_step` to rounding,
  1e-12 in float64, rather than bit for bit).

`run_states` keeps only the states; `fused_lstm_trace.TraceBuffers` keeps every
intermediate, by the same NumPy calls, so both give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell_options import CellOptions, LSTM
from ..weights.lstm_weights import LSTMWeights

# The block order: the three sigmoids side by side, then tanh; input before forget so that
# [i ; f] lines up with [C̃ ; C_{t-1}] and one product gives [write ; keep] (see _loop).
GATE_ORDER = ("input", "forget", "output", "candidate")
SIGMOID_GATES = 3
COLUMN_MAJOR_MAX_WEIGHTS = 2**19  # 4H·H up to H = 362: beyond it the row-major kernel is as fast (H = 1024)
BLOCK_BYTES = 256 * 2**10  # the steps whose bias is added in one call: about what the L2 cache keeps


FUSED_CELL = LSTM()  # σ gates, tanh, no peephole, clip, forget bias or projection


def supports(cell: CellOptions) -> bool:
    """Whether the fused loop computes `cell`: the plain LSTM only, the one whose equations it is built on."""
    return cell == FUSED_CELL


@dataclass(frozen=True)
class PackedCell:
    """A cell's weights as the loop wants them, one block of rows for all four gates.

    Packing copies the weights once; pass a PackedCell instead of LSTMWeights to run
    the same cell on many sequences without paying for it again (as a torch.nn.LSTM
    module keeps its weights laid out).
    """

    # The rows [i | f | o | C̃] with the sigmoid rows halved once: the a/2 inside σ(a) = 0.5 + 0.5·tanh(a/2),
    # so the loops skip that multiplication. Halving is exact in binary floating point: the traced
    # loop doubles its pre-activations back, and both loops make the same sums, bit for bit.
    w_x_half: np.ndarray  # (4H, I)
    w_h_half: np.ndarray  # (4H, H)
    b_half: np.ndarray  # (4H, 1)
    b: np.ndarray  # (4H, 1)  the biases as they are, for the trace to show
    source: str  # where the weights came from, for error messages
    # w_h_half again in column-major order, for one sequence at a time (see `recurrent`); None when large
    w_h_half_columns: np.ndarray | None = None

    def recurrent(self, batch: int) -> np.ndarray:
        """W_h (sigmoid rows halved) in the layout whose product with h_{t-1} (H, batch) is fastest.

        For one sequence the product is a matrix-vector product, and OpenBLAS's kernel for a
        column-major matrix runs it about 10% faster (benchmarks/bench_run.py, H = 64 and 256);
        for a batch, and for matrices beyond the cache, the row-major one is as fast or faster.
        """
        return self.w_h_half_columns if batch == 1 and self.w_h_half_columns is not None else self.w_h_half

    @property
    def hidden_size(self) -> int:
        return int(self.w_h_half.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.w_x_half.shape[1])

    @property
    def h_size(self) -> int:
        return self.hidden_size  # no projection: h has H entries

    @property
    def dtype(self) -> np.dtype:
        return self.w_h_half.dtype


def pack(weights: LSTMWeights | PackedCell) -> PackedCell:
    if isinstance(weights, PackedCell):
        return weights
    H = weights.hidden_size
    W = np.concatenate([weights.W[gate] for gate in GATE_ORDER])  # (4H, H+I), columns [h | x]
    b = np.concatenate([weights.b[gate] for gate in GATE_ORDER])[:, None]  # (4H, 1)
    half = np.ones((4 * H, 1), dtype=weights.dtype)
    half[: SIGMOID_GATES * H] = 0.5
    w_h_half = W[:, :H] * half  # (4H, H), a new C-ordered array
    columns = np.asfortranarray(w_h_half) if w_h_half.size <= COLUMN_MAJOR_MAX_WEIGHTS else None
    return PackedCell(W[:, H:] * half, w_h_half, b * half, b, weights.source, columns)


def input_projection(w_x: np.ndarray, xs: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """W_x·x_t for every step at once: w_x (4H, I), xs (S, B, I) -> (S, 4H, B)."""
    S, B, I = xs.shape
    if out is None:
        out = np.empty((S, w_x.shape[0], B), w_x.dtype)
    if B == 1:  # one (S, I) × (I, 4H) product; for B = 1, (S, 4H) and (S, 4H, 1) are the same memory
        np.matmul(xs.reshape(S, I), w_x.T, out=out.reshape(S, -1))
    else:  # S products (4H, I) × (I, B), reading xs in place through the transposed view
        np.matmul(w_x, xs.transpose(0, 2, 1), out=out)
    return out


def block_steps_for(hidden_size: int, batch: int, dtype: np.dtype) -> int:
    """Steps a block: enough that the calls per block cost little a step, few enough to stay in the cache."""
    per_step = 4 * hidden_size * batch * np.dtype(dtype).itemsize  # one step of pre-activations
    return int(np.clip(BLOCK_BYTES // per_step, 8, 512))


def run_states(
    cell: PackedCell, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray, reverse: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loop without a trace over xs (T, B, I) from h0, c0 (B, H), all checked and in the cell's dtype.

    Returns h_t of every step (T, B, H) in time order (a strided view), and the last h and C (B, H).
    """
    T, B = xs.shape[:2]
    xw = input_projection(cell.w_x_half, xs)  # (T, 4H, B); the loop adds b a block of steps at a time
    outputs = np.empty((T, cell.hidden_size, B), xs.dtype)  # column layout, returned as a (T, B, H) view
    order = slice(None, None, -1) if reverse else slice(None)
    h = np.array(h0.T, order="C")  # (H, B), copies: the loop updates c in place
    c = np.array(c0.T, order="C")
    h = _loop(cell, xw[order], outputs[order], h, c)
    return outputs.transpose(0, 2, 1), h.T.copy(), c.T


def _loop(cell: PackedCell, xw: np.ndarray, outputs: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """xw (S, 4H, B) is W_x·x_t with the sigmoid rows halved (the loop adds b to it in place); writes h_t
    into outputs (S, H, B), updates c (H, B) in place, returns the last h."""
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
