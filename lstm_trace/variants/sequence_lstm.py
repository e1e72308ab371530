"""The LSTM family (lstm with options, peephole, cifg) over a run of steps, every value kept.

The equations of `variants/lstm.py`, arranged for a sequence: the input side W_x·x_t
of every gate and every step is one matrix product before the loop; each step then
adds the recurrent side W_h·h_{t-1} (one product for all gates) and runs the rest
into preallocated (S, B, size) arrays named as in the variant's layout. A batch is
B rows, so a step's values for all sequences come out of the same NumPy calls.

    f_t = σ(clip(W_f·z + p_f ⊙ C_{t-1} + b_f + B))     i_t = σ(clip(W_i·z + p_i ⊙ C_{t-1} + b_i))  (cifg: 1 - f_t)
    C̃_t = g(clip(W_c·z + b_c))                          C_t = clip(f_t ⊙ C_{t-1} + i_t ⊙ C̃_t, ±cell_clip)
    o_t = σ(clip(W_o·z + p_o ⊙ C_t + b_o))              h_t = W_hr·(o_t ⊙ g(C_t))   (W_hr with a projection)
"""

from __future__ import annotations

import numpy as np

from ..weights.lstm_weights import LSTMWeights
from ..cells.activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS
from ..cells.options import CellOptions
from .sequence_trace import stored_variant_quantities

GATE_ORDER = ("forget", "input", "candidate", "output")


def trace_lstm_family(
    weights: LSTMWeights, cell: CellOptions, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray
) -> dict[str, np.ndarray]:
    """Every value of every step of xs (S, B, I), given in the order to compute them, from h0 (B, P), c0 (B, H).

    Returns {quantity name: (S, B, size)}; biases are broadcast views.
    """
    S, B, _ = xs.shape
    H, P = weights.hidden_size, weights.h_size
    gates = tuple(g for g in GATE_ORDER if not (g == "input" and cell.variant == "cifg"))  # cifg: no W_i
    arrays = _allocate(cell, weights, S, B)
    W = np.concatenate([weights.W[g] for g in gates])  # (G·H, P+I), columns [h | x]
    w_h, w_x = W[:, :P].T.copy(), W[:, P:].T.copy()  # (P, G·H), (I, G·H): rows of a batch multiply from the left
    wz = xs.reshape(S * B, -1) @ w_x  # (S·B, G·H)  the input side of every gate and step at once
    wz = wz.reshape(S, B, len(gates) * H)
    for n, g in enumerate(gates):
        arrays[f"{g}.wz"] = wz[:, :, n * H : (n + 1) * H]  # views; the loop adds the recurrent side in place
    arrays["x"] = xs
    arrays["h_prev"][0], arrays["c_prev"][0] = h0, c0
    step = _StepRunner(weights, cell, arrays, w_h, wz)
    for k in range(S):
        step(k)
        if k + 1 < S:
            arrays["h_prev"][k + 1], arrays["c_prev"][k + 1] = arrays["h"][k], arrays["c"][k]
    return arrays


def _allocate(cell: CellOptions, weights: LSTMWeights, S: int, B: int) -> dict[str, np.ndarray]:
    H, P, I, dtype = weights.hidden_size, weights.h_size, weights.input_size, weights.dtype
    widths = {"x": I, "h_prev": P, "h": P}
    arrays: dict[str, np.ndarray] = {}
    for name in stored_variant_quantities(cell):
        head, _, part = name.partition(".")
        if part == "bias":
            arrays[name] = np.broadcast_to(weights.b[head], (S, B, H))
        elif part == "forget_bias":
            arrays[name] = np.broadcast_to(np.full(H, cell.forget_bias, dtype), (S, B, H))
        elif part != "wz" and name != "x":
            arrays[name] = np.empty((S, B, widths.get(name, H)), dtype)
    return arrays


class _StepRunner:
    """One step k, written into the arrays: the same lines as `lstm_variant_step`, on B rows at once."""

    def __init__(self, weights: LSTMWeights, cell: CellOptions, arrays: dict, w_h: np.ndarray, wz: np.ndarray):
        self.arrays, self.cell, self.w_h, self.wz = arrays, cell, w_h, wz
        self.gate_act = GATE_ACTIVATIONS[cell.gate_activation]
        self.cell_act = CELL_ACTIVATIONS[cell.cell_activation]
        self.peepholes = weights.peepholes if cell.variant == "peephole" else None
        self.projection = None if weights.projection is None else weights.projection.T.copy()  # (H, P)

    def __call__(self, k: int) -> None:
        a, cell = self.arrays, self.cell
        self.wz[k] += a["h_prev"][k] @ self.w_h  # W·z = W_x·x_t + W_h·h_{t-1}, every gate
        c_prev = a["c_prev"][k]
        f = self._gate(k, "forget", self.gate_act, c_prev)
        if cell.variant == "cifg":
            np.subtract(1, f, out=a["input.act"][k])  # i = 1 - f: W_i and b_i are not used
        else:
            self._gate(k, "input", self.gate_act, c_prev)
        self._gate(k, "candidate", self.cell_act, None)
        np.multiply(f, c_prev, out=a["keep"][k])
        np.multiply(a["input.act"][k], a["candidate.act"][k], out=a["write"][k])
        c = a["c"][k]
        if cell.cell_clip is None:
            np.add(a["keep"][k], a["write"][k], out=c)
        else:  # TensorFlow's cell_clip: C_t itself is clipped; tanh, o's peephole and the next step see it
            unclipped = np.add(a["keep"][k], a["write"][k], out=a["c_unclipped"][k])
            np.clip(unclipped, -cell.cell_clip, cell.cell_clip, out=c)
        o = self._gate(k, "output", self.gate_act, c)  # the output peephole sees the new C_t
        a["c_tanh"][k] = self.cell_act(c)
        if self.projection is None:
            np.multiply(o, a["c_tanh"][k], out=a["h"][k])
        else:  # PyTorch's proj_size: h_t = W_hr·(o ⊙ g(C_t)), (B, P) = (B, H)·(H, P)
            unprojected = np.multiply(o, a["c_tanh"][k], out=a["h_unprojected"][k])
            np.dot(unprojected, self.projection, out=a["h"][k])

    def _gate(self, k: int, name: str, activation, state: np.ndarray | None) -> np.ndarray:
        """act = activation(clip(wz + p ⊙ state + b (+ forget bias))); returns the gate's act row block."""
        a, cell = self.arrays, self.cell
        preact = a[f"{name}.preact"][k]
        if self.peepholes is not None and state is not None:
            peephole = np.multiply(self.peepholes[name], state, out=a[f"{name}.peephole"][k])
            np.add(a[f"{name}.wz"][k], peephole, out=preact)
            preact += a[f"{name}.bias"][k]
        else:
            np.add(a[f"{name}.wz"][k], a[f"{name}.bias"][k], out=preact)
        if name == "forget" and cell.forget_bias != 0:
            preact += cell.forget_bias  # TensorFlow's forget_bias: added at run time, not stored
        seen = preact
        if cell.preact_clip is not None:  # ONNX's clip: every pre-activation, before its activation
            seen = np.clip(preact, -cell.preact_clip, cell.preact_clip, out=a[f"{name}.clipped"][k])
        act = a[f"{name}.act"][k]
        act[...] = activation(seen)
        return act
