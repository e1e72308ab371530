"""The fused LSTM loop, traced: every intermediate of every step written into preallocated arrays.

`TraceBuffers` holds the arrays for a chunk of S steps, all carved from one allocation,
and fills them chunk after chunk (`sequence.trace_cell_chunks`). The loop is the untraced
one (`fused_lstm._loop`), the same nine NumPy calls a step on the same halved sigmoid
rows, writing into the trace instead of scratch, so both give the same bits. What is off
the path from one step to the next is done a block of steps at a time: adding the bias,
and doubling the halved sigmoid rows back. Stored: the pre-activations, the gates, C and h
(10·H·B values a step). Made again on first use instead: keep = f ⊙ C_{t-1}, write = i ⊙ C̃
and tanh(C_t), by the same NumPy calls (so with the loop's bits), and W·z as (W·z + b) − b
(up to rounding at the size of b).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial

import numpy as np

from ..traces.sequence import SequenceTrace
from .fused_lstm import GATE_ORDER, SIGMOID_GATES, PackedCell, block_steps_for, input_projection


class TraceBuffers:
    """Preallocated arrays for S steps of the traced loop, filled chunk after chunk.

    Stored in the loop's column layout (S, size, B); the trace shows them as (S, B, size) views.
    """

    def __init__(self, cell: PackedCell, steps: int, batch: int, dtype: np.dtype, layer: int | None, direction: str):
        H = cell.hidden_size
        self.cell, self.layer, self.direction = cell, layer, direction
        # One allocation for all of them: the C library then hands the same pages back on the
        # next run instead of new ones, which a virtual machine makes slow to touch the first time.
        # The gates and C_{t-1} of a step share one block of rows [i | f | o | C̃ | C_{t-1}], as in the
        # untraced loop: [i ; f] ⊙ [C̃ ; C_{t-1}] is then [write ; keep] in one call, and the C rows of
        # block k+1 are where step k writes C_k. So `gates` has one extra block, whose C rows hold C_S.
        shapes = {"preact": (steps, 4 * H, batch), "gates": (steps + 1, 5 * H, batch)}
        shapes["hs"] = (steps + 1, H, batch)  # row k is h before step k, row k+1 after it
        memory = np.empty(sum(int(np.prod(shape)) for shape in shapes.values()), dtype)
        self.arrays, start = {}, 0
        for name, shape in shapes.items():
            size = int(np.prod(shape))
            self.arrays[name] = memory[start : start + size].reshape(shape)
            start += size
        # The bias is added, and the halved rows doubled back, a block of steps at a time: off the path
        # from one step to the next, while those values are still in the cache.
        self.block_steps = block_steps_for(H, batch, dtype)
        self.rec = np.empty((4 * H, batch), dtype)  # W_h·h_{t-1} of the current step
        # [write ; keep] and tanh(C_t) of the current step only: the trace makes them again from the
        # gates and states it keeps, by the same NumPy calls (see `_trace`).
        self.write_keep = np.empty((2 * H, batch), dtype)
        self.c_tanh = np.empty((H, batch), dtype)
        self.half = np.full((SIGMOID_GATES * H, batch), 0.5, dtype)  # full size: see fused_lstm._loop

    def run(self, xs: np.ndarray, times: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> SequenceTrace:
        """Trace the steps of xs (S', B, I), already in the order to compute them, from h0, c0 (B, H)."""
        S, H = xs.shape[0], self.cell.hidden_size
        # The loop runs on the halved sigmoid rows, as the untraced loop does (see `_loop`).
        input_projection(self.cell.w_x_half, xs, out=self.arrays["preact"][:S])  # W_x·x_t; the loop adds b, W_h·h_{t-1}
        self.arrays["hs"][0], self.arrays["gates"][0, 4 * H :] = h0.T, c0.T
        self._loop(S)
        return self._trace(xs, times, S)

    def _loop(self, S: int) -> None:
        H, w_h = self.cell.hidden_size, self.cell.recurrent(self.half.shape[1])
        sigmoid_half = self.half[: SIGMOID_GATES * H]
        preact, rec = self.arrays["preact"][:S], self.rec
        blocks, hs = self.arrays["gates"][: S + 1], self.arrays["hs"][: S + 1]
        acts, sigmoids = blocks[:S, : 4 * H], blocks[:S, : SIGMOID_GATES * H]
        input_forget, candidate_state = blocks[:S, : 2 * H], blocks[:S, 3 * H :]  # [i ; f] and [C̃ ; C_{t-1}]
        o, c_next = blocks[:S, 2 * H : 3 * H], blocks[1:, 4 * H :]  # C_t goes into the next step's block
        write_keep, c_tanh = self.write_keep, self.c_tanh
        write, keep = write_keep[:H], write_keep[H:]
        dot, add, multiply, tanh = np.dot, np.add, np.multiply, np.tanh  # local names: see fused_lstm._loop
        h_prev = hs[0]
        for start in range(0, S, self.block_steps):
            block = slice(start, start + self.block_steps)
            add(preact[block], self.cell.b_half, preact[block])  # W_x·x_t + b, a block at a time: then in the cache
            for pre_t, act_t, sig_t, if_t, gc_t, c_t, o_t, h_t in zip(
                preact[block], acts[block], sigmoids[block], input_forget[block], candidate_state[block],
                c_next[block], o[block], hs[1:][block],
            ):  # fmt: skip
                dot(w_h, h_prev, rec)  # the one matrix product per step
                add(pre_t, rec, pre_t)  # W·z + b = (W_x·x_t + b) + W_h·h_{t-1}: the very sum the untraced loop makes
                tanh(pre_t, act_t)
                multiply(sig_t, sigmoid_half, sig_t)  # σ(a) = 0.5 + 0.5·tanh(a/2)
                add(sig_t, sigmoid_half, sig_t)
                multiply(if_t, gc_t, write_keep)  # [i ⊙ C̃ ; f ⊙ C_{t-1}]
                add(write, keep, c_t)  # C_t = keep + write
                tanh(c_t, c_tanh)
                multiply(o_t, c_tanh, h_t)  # h_t = o ⊙ tanh(C_t)
                h_prev = h_t
            # Back to whole pre-activations: the sigmoid rows ran halved, a/2 inside σ(a) = 0.5 + 0.5·tanh(a/2).
            # Halving and doubling are exact, so these are the sums the unhalved cell makes, bit for bit.
            multiply(preact[block, : SIGMOID_GATES * H], 2, preact[block, : SIGMOID_GATES * H])

    def _trace(self, xs: np.ndarray, times: np.ndarray, S: int) -> SequenceTrace:
        H, B = self.cell.hidden_size, xs.shape[1]
        rows = lambda array: array.transpose(0, 2, 1)  # noqa: E731  (S, size, B) -> (S, B, size) view
        blocks, hs = self.arrays["gates"][: S + 1], self.arrays["hs"][: S + 1]
        cs = blocks[:, 4 * H :]  # (S+1, H, B): C_0 … C_S
        arrays: dict[str, np.ndarray] = {"x": xs, "h_prev": rows(hs[:-1]), "c_prev": rows(cs[:-1])}
        for k, gate in enumerate(GATE_ORDER):
            block = slice(k * H, (k + 1) * H)
            arrays[f"{gate}.bias"] = np.broadcast_to(self.cell.b[block, 0], (S, B, H))
            arrays[f"{gate}.preact"] = rows(self.arrays["preact"][:S, block])
            arrays[f"{gate}.act"] = rows(blocks[:S, block])
        arrays.update({"c": rows(cs[1:]), "h": rows(hs[1:])})
        remade = {  # each made on first use by the very NumPy call the loop made, so with the loop's bits
            "keep": lambda: np.multiply(arrays["forget.act"], arrays["c_prev"]),
            "write": lambda: np.multiply(arrays["input.act"], arrays["candidate.act"]),
            "c_tanh": lambda: np.tanh(arrays["c"]),
        }
        # W·z itself is never formed: the loop adds b to W_x·x_t before W_h·h_{t-1} arrives, so the
        # trace shows (W·z + b) − b: W·z up to rounding at the size of b and of the pre-activation.
        for gate in GATE_ORDER:
            remade[f"{gate}.wz"] = partial(np.subtract, arrays[f"{gate}.preact"], arrays[f"{gate}.bias"])
        return SequenceTrace(times=times.copy(), arrays=OnDemand(arrays, remade), layer=self.layer, direction=self.direction)


class OnDemand(Mapping):
    """Stored arrays, plus arrays made from them on first use and kept from then on.

    For values that are one elementwise NumPy call on stored ones (keep = f ⊙ C_{t-1}, tanh(C_t)):
    made again they are the loop's very bits (the tests check it), and not storing them saves
    memory and the time to touch it.
    """

    def __init__(self, stored: dict[str, np.ndarray], recipes: dict[str, Callable[[], np.ndarray]]):
        self._stored, self._recipes, self._made = dict(stored), recipes, {}

    def __getitem__(self, name: str) -> np.ndarray:
        if name in self._stored:
            return self._stored[name]
        if name not in self._made:
            self._made[name] = self._recipes[name]()  # KeyError for a name that is neither
        return self._made[name]

    def __contains__(self, name: object) -> bool:
        return name in self._stored or name in self._recipes  # without making anything

    def __iter__(self) -> Iterator[str]:
        return iter([*self._stored, *(name for name in self._recipes if name not in self._stored)])

    def __len__(self) -> int:
        return len(set(self._stored) | set(self._recipes))
