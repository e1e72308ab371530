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

from .errors import UsageError, shape_text
from .sequence_trace import SequenceTrace
from .weights.model import LSTMWeights

# The block order: the three sigmoids side by side, then tanh; input before forget so that
# [i ; f] lines up with [C̃ ; C_{t-1}] and one product gives [write ; keep] (see _run_states).
GATE_ORDER = ("input", "forget", "output", "candidate")
SIGMOID_GATES = 3


@dataclass(frozen=True)
class PackedCell:
    """A cell's weights as the loop wants them, one block of rows for all four gates.

    Packing copies the weights once; pass a PackedCell instead of LSTMWeights to run
    the same cell on many sequences without paying for it again (as a torch.nn.LSTM
    module keeps its weights laid out).
    """

    w_x: np.ndarray  # (4H, I)  rows [i | f | o | C̃]
    w_h: np.ndarray  # (4H, H)
    b: np.ndarray  # (4H, 1)
    half: np.ndarray  # (4H, 1)  0.5 for sigmoid rows, 1 for C̃: the a/2 inside σ(a) = 0.5 + 0.5·tanh(a/2)
    # The same with the sigmoid rows halved once, so the states-only loop skips that multiplication.
    # Halving is exact in binary floating point: both loops make the same sums, bit for bit.
    w_x_half: np.ndarray
    w_h_half: np.ndarray
    b_half: np.ndarray
    source: str  # where the weights came from, for error messages

    @property
    def hidden_size(self) -> int:
        return int(self.w_h.shape[1])

    @property
    def input_size(self) -> int:
        return int(self.w_x.shape[1])

    @property
    def dtype(self) -> np.dtype:
        return self.w_h.dtype


def pack(weights: LSTMWeights | PackedCell) -> PackedCell:
    if isinstance(weights, PackedCell):
        return weights
    H = weights.hidden_size
    W = np.concatenate([weights.W[gate] for gate in GATE_ORDER])  # (4H, H+I), columns [h | x]
    b = np.concatenate([weights.b[gate] for gate in GATE_ORDER])[:, None]  # (4H, 1)
    half = np.ones((4 * H, 1), dtype=weights.dtype)
    half[: SIGMOID_GATES * H] = 0.5
    w_x, w_h = np.ascontiguousarray(W[:, H:]), np.ascontiguousarray(W[:, :H])
    return PackedCell(w_x, w_h, b, half, w_x * half, w_h * half, b * half, weights.source)


@dataclass(frozen=True)
class CellRun:
    outputs: np.ndarray  # (T, B, H)  h_t for every t, in time order (may be a strided view)
    h_n: np.ndarray  # (B, H)  the state after the last computed step
    c_n: np.ndarray  # (B, H)
    trace: SequenceTrace | None = None


def check_sequence(weights: LSTMWeights | PackedCell, xs: np.ndarray, h0: np.ndarray | None, c0: np.ndarray | None):
    """xs as (T, B, I) and the initial states as (B, H), in the weights' dtype; zeros when omitted."""
    dtype, H, I = weights.dtype, weights.hidden_size, weights.input_size
    xs = np.asarray(xs, dtype=dtype)
    if xs.ndim != 3 or xs.shape[2] != I or xs.shape[0] == 0 or xs.shape[1] == 0:
        raise UsageError(
            f"The input sequence has shape {shape_text(xs.shape)}, but the weights ({weights.source}) "
            f"have input size I = {I}: expected (T, B, {I}) with T ≥ 1 and B ≥ 1."
        )
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
    xw = input_projection(cell.w_x_half, xs)  # (T, 4H, B)
    xw += cell.b_half
    outputs = np.empty((T, cell.hidden_size, B), xs.dtype)  # column layout, returned as a (T, B, H) view
    order = slice(None, None, -1) if reverse else slice(None)
    h = np.array(h0.T, order="C")  # (H, B), copies: the loop updates c in place
    c = np.array(c0.T, order="C")
    h = _run_states(cell, xw[order], outputs[order], h, c)
    return CellRun(outputs=outputs.transpose(0, 2, 1), h_n=h.T.copy(), c_n=c.T)


def _run_states(cell: PackedCell, xw: np.ndarray, outputs: np.ndarray, h: np.ndarray, c: np.ndarray) -> np.ndarray:
    """The loop without a trace. xw (S, 4H, B) is W_x·x_t + b with the sigmoid rows halved;
    writes h_t into outputs (S, H, B), updates c (H, B) in place, returns the last h."""
    H = cell.hidden_size
    w_h = cell.w_h_half
    # The gates and C_{t-1} in one buffer, rows [i | f | o | C̃ | C]: [i ; f] ⊙ [C̃ ; C] is
    # [write ; keep] in one call.
    block = np.empty((5 * H, c.shape[1]), c.dtype)
    gates, sigmoids, state = block[: 4 * H], block[: 3 * H], block[4 * H :]
    input_forget, candidate_state, o = block[: 2 * H], block[3 * H :], block[2 * H : 3 * H]
    state[:] = c
    half = np.full_like(sigmoids, 0.5)  # full size: NumPy broadcasts a scalar or a column more slowly
    write_keep = np.empty_like(input_forget)
    write, keep = write_keep[:H], write_keep[H:]
    scratch = np.empty_like(c)
    # Local names and positional `out` arguments: at small H the loop is mostly call overhead.
    dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh
    for xw_t, h_t in zip(xw, outputs):
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
    buffers = _TraceBuffers(pack(weights), S, xs.shape[1], xs.dtype, layer, "reverse" if reverse else "forward")
    positions = np.arange(T, 0, -1) if reverse else np.arange(1, T + 1)  # t of each step, in order computed
    for start in range(0, T, S):
        times = positions[start : start + S]
        steps = xs[times - 1] if reverse else xs[start : start + S]  # (S', B, I) in the order computed
        chunk = buffers.run(steps, times, h, c)
        h, c = chunk["h"][-1], chunk["c"][-1]
        yield chunk


class _TraceBuffers:
    """Preallocated arrays for S steps of the traced loop, filled chunk after chunk.

    Stored in the loop's column layout (S, size, B); the trace shows them as (S, B, size) views.
    """

    def __init__(self, cell: PackedCell, steps: int, batch: int, dtype: np.dtype, layer: int | None, direction: str):
        H = cell.hidden_size
        self.cell, self.layer, self.direction = cell, layer, direction
        # One allocation for all of them: the C library then hands the same pages back on the
        # next run instead of new ones, which a virtual machine makes slow to touch the first time.
        shapes = {name: (steps, 4 * H, batch) for name in ("wz", "preact", "act")}
        shapes.update({name: (steps, H, batch) for name in ("keep", "write", "c_tanh")})
        # h and C with one extra leading row: row k is the state before step k, row k+1 after it.
        shapes.update({name: (steps + 1, H, batch) for name in ("hs", "cs")})
        memory = np.empty(sum(int(np.prod(shape)) for shape in shapes.values()), dtype)
        arrays, start = {}, 0
        for name, shape in shapes.items():
            size = int(np.prod(shape))
            arrays[name] = memory[start : start + size].reshape(shape)
            start += size
        self.blocks = {name: arrays[name] for name in ("wz", "preact", "act")}
        self.singles = {name: arrays[name] for name in ("keep", "write", "c_tanh")}
        self.hs, self.cs = arrays["hs"], arrays["cs"]
        self.rec = np.empty((4 * H, batch), dtype)  # W_h·h_{t-1} of the current step
        self.half = np.broadcast_to(cell.half, (4 * H, batch)).copy()  # full size: see _run_states

    def run(self, xs: np.ndarray, times: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> SequenceTrace:
        """Trace the steps of xs (S', B, I), already in the order to compute them, from h0, c0 (B, H)."""
        S = xs.shape[0]
        wz, preact = self.blocks["wz"][:S], self.blocks["preact"][:S]
        input_projection(self.cell.w_x, xs, out=wz)  # W_x·x_t for the chunk; the loop adds W_h·h_{t-1}
        np.add(wz, self.cell.b, preact)
        self.hs[0], self.cs[0] = h0.T, c0.T
        self._loop(S)
        return self._trace(xs, times, S)

    def _loop(self, S: int) -> None:
        H, w_h, rec, half = self.cell.hidden_size, self.cell.w_h, self.rec, self.half
        sigmoid_half = half[: SIGMOID_GATES * H]
        wz, preact, act = (self.blocks[name][:S] for name in ("wz", "preact", "act"))
        sigmoids = act[:, : SIGMOID_GATES * H]
        gate = {name: act[:, k * H : (k + 1) * H] for k, name in enumerate(GATE_ORDER)}
        f, i, o, c_tilde = gate["forget"], gate["input"], gate["output"], gate["candidate"]
        keep, write, c_tanh = (self.singles[name][:S] for name in ("keep", "write", "c_tanh"))
        hs, cs = self.hs[: S + 1], self.cs[: S + 1]
        dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh  # local names: see _run_states
        for wz_t, pre_t, act_t, sig_t, f_t, i_t, o_t, g_t, keep_t, write_t, tanh_t, h_prev, h_t, c_prev, c_t in zip(
            wz, preact, act, sigmoids, f, i, o, c_tilde, keep, write, c_tanh, hs[:-1], hs[1:], cs[:-1], cs[1:]
        ):
            dot(w_h, h_prev, rec)  # the one matrix product per step
            add(wz_t, rec, wz_t)  # W·z = W_x·x_t + W_h·h_{t-1}
            add(pre_t, rec, pre_t)  # W·z + b: the very sum the untraced loop makes
            multiply(pre_t, half, act_t)
            tanh(act_t, act_t)
            multiply(sig_t, sigmoid_half, sig_t)  # σ(a) = 0.5 + 0.5·tanh(a/2)
            add(sig_t, sigmoid_half, sig_t)
            multiply(f_t, c_prev, keep_t)
            multiply(i_t, g_t, write_t)
            add(keep_t, write_t, c_t)
            tanh(c_t, tanh_t)
            multiply(o_t, tanh_t, h_t)

    def _trace(self, xs: np.ndarray, times: np.ndarray, S: int) -> SequenceTrace:
        H, B = self.cell.hidden_size, xs.shape[1]
        rows = lambda array: array.transpose(0, 2, 1)  # noqa: E731  (S, size, B) -> (S, B, size) view
        arrays: dict[str, np.ndarray] = {"x": xs, "h_prev": rows(self.hs[:S]), "c_prev": rows(self.cs[:S])}
        for k, gate in enumerate(GATE_ORDER):
            block = slice(k * H, (k + 1) * H)
            arrays[f"{gate}.wz"] = rows(self.blocks["wz"][:S, block])
            arrays[f"{gate}.bias"] = np.broadcast_to(self.cell.b[block, 0], (S, B, H))
            arrays[f"{gate}.preact"] = rows(self.blocks["preact"][:S, block])
            arrays[f"{gate}.act"] = rows(self.blocks["act"][:S, block])
        arrays.update({name: rows(self.singles[name][:S]) for name in ("keep", "write")})
        arrays.update({"c": rows(self.cs[1 : S + 1]), "c_tanh": rows(self.singles["c_tanh"][:S]), "h": rows(self.hs[1 : S + 1])})
        return SequenceTrace(times=times.copy(), arrays=arrays, layer=self.layer, direction=self.direction)


CHUNK_BYTES = 32 * 2**20  # the traced buffers of one chunk, when streaming


def chunk_steps_for(hidden_size: int, batch: int, dtype: np.dtype) -> int:
    """Steps per chunk so that a chunk's buffers (about 17·H·B values a step) stay near CHUNK_BYTES."""
    per_step = 17 * hidden_size * batch * np.dtype(dtype).itemsize
    return int(np.clip(CHUNK_BYTES // per_step, 16, 1024))
