"""The traced loop: every intermediate of every step written into preallocated arrays.

`TraceBuffers` holds the arrays for a chunk of S steps, all carved from one allocation,
and fills them chunk after chunk (`sequence.trace_cell_chunks`). The arithmetic is the
untraced loop's (`sequence._run_states`), step for step, so both give the same bits.
"""

from __future__ import annotations

import numpy as np

from .packed_cell import GATE_ORDER, SIGMOID_GATES, PackedCell, input_projection
from .sequence_trace import SequenceTrace

CHUNK_BYTES = 32 * 2**20  # the traced buffers of one chunk, when streaming


def chunk_steps_for(hidden_size: int, batch: int, dtype: np.dtype) -> int:
    """Steps per chunk so that a chunk's buffers (about 17·H·B values a step) stay near CHUNK_BYTES."""
    per_step = 17 * hidden_size * batch * np.dtype(dtype).itemsize
    return int(np.clip(CHUNK_BYTES // per_step, 16, 1024))


class TraceBuffers:
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
