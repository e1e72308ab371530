"""A cell's weights laid out for the sequence loops, and the checks of a sequence's shapes.

The four gates become one block of 4H rows, [i | f | o | C̃]: the three sigmoids side by
side, so one tanh covers all four through σ(a) = 0.5 + 0.5·tanh(a/2), and [i ; f] lines
up with [C̃ ; C_{t-1}] so that one product gives [write ; keep].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import UsageError, shape_text
from .weights.lstm_weights import LSTMWeights

# The block order: the three sigmoids side by side, then tanh; input before forget so that
# [i ; f] lines up with [C̃ ; C_{t-1}] and one product gives [write ; keep] (see _run_states).
GATE_ORDER = ("input", "forget", "output", "candidate")
SIGMOID_GATES = 3
COLUMN_MAJOR_MAX_WEIGHTS = 2**19  # 4H·H up to H = 362: beyond it the row-major kernel is as fast (H = 1024)


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


def checked_inputs(weights, xs: np.ndarray) -> np.ndarray:
    """xs as (T, B, I) in the weights' dtype, or a UsageError naming the shape expected (any cell's weights)."""
    I = weights.input_size
    xs = np.asarray(xs, dtype=weights.dtype)
    if xs.ndim != 3 or xs.shape[2] != I or xs.shape[0] == 0 or xs.shape[1] == 0:
        raise UsageError(
            f"The input sequence has shape {shape_text(xs.shape)}, but the weights ({weights.source}) "
            f"have input size I = {I}: expected (T, B, {I}) with T ≥ 1 and B ≥ 1."
        )
    return xs


def check_sequence(weights: LSTMWeights | PackedCell, xs: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None):
    """xs as (T, B, I) and the initial states as (B, H), in the weights' dtype; zeros when omitted."""
    dtype, H = weights.dtype, weights.hidden_size
    xs = checked_inputs(weights, xs)
    B = xs.shape[1]
    states = []
    for name, state in (("h_0", h0), ("c_0", c0)):
        state = np.zeros((B, H), dtype) if state is None else np.asarray(state, dtype=dtype)
        if state.shape != (B, H):
            raise UsageError(
                f"{name} has shape {shape_text(state.shape)}; for B = {B} sequences and hidden size "
                f"H = {H} it must have shape ({B}, {H})."
            )
        states.append(state)
    return xs, states[0], states[1]


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
