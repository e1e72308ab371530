"""The GRU over a run of steps, every value kept (PyTorch's r, z, n, as `variants/gru.py`).

The input side W_i·x_t of the three blocks is one matrix product for every step
before the loop; each step then makes the hidden side of r and z in one product,
the new state's in another (it needs r first when r is applied before W_hn), and
runs the rest into preallocated (S, B, size) arrays named as in the GRU's layout.

    r_t = σ(W_ir·x_t + W_hr·h_{t-1} + b_r)      z_t = σ(W_iz·x_t + W_hz·h_{t-1} + b_z)
    n_t = tanh(W_in·x_t + b_in + r_t ⊙ (W_hn·h_{t-1} + b_hn))        (or W_hn·(r_t ⊙ h_{t-1}) + b_hn)
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
"""

from __future__ import annotations

import numpy as np

from ..weights.gru_weights import GRU_GATES, GRUWeights
from ..cells.activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS
from ..cells.options import CellOptions
from .sequence_trace import stored_variant_quantities


def trace_gru(weights: GRUWeights, cell: CellOptions, xs: np.ndarray, h0: np.ndarray) -> dict[str, np.ndarray]:
    """Every value of every step of xs (S, B, I), given in the order to compute them, from h0 (B, H).

    Returns {quantity name: (S, B, size)}; biases are broadcast views.
    """
    S, B, _ = xs.shape
    H = weights.hidden_size
    arrays = _allocate(cell, weights, S, B)
    arrays["x"] = xs
    w_x = np.concatenate([weights.W[g][:, H:] for g in GRU_GATES]).T.copy()  # (I, 3H)  W_ir, W_iz, W_in
    wx = (xs.reshape(S * B, -1) @ w_x).reshape(S, B, 3 * H)  # the input side of every block and step at once
    wh_rz = np.empty((S, B, 2 * H), weights.dtype)  # W_hr·h_{t-1} and W_hz·h_{t-1}, one product a step
    for n, g in enumerate(GRU_GATES):
        arrays[f"{g}.wx"] = wx[:, :, n * H : (n + 1) * H]
    arrays["reset.wh"], arrays["update.wh"] = wh_rz[:, :, :H], wh_rz[:, :, H:]
    w_h_rz = np.concatenate([weights.W["reset"][:, :H], weights.W["update"][:, :H]]).T.copy()  # (H, 2H)
    w_hn = weights.W["new"][:, :H].T.copy()  # (H, H)
    gate_act, new_act = GATE_ACTIVATIONS[cell.gate_activation], CELL_ACTIVATIONS[cell.cell_activation]
    a = arrays
    a["h_prev"][0] = h0
    for k in range(S):
        h_prev = a["h_prev"][k]
        np.dot(h_prev, w_h_rz, out=wh_rz[k])
        r = _gate(a, k, "reset", a["reset.wx"][k] + a["reset.wh"][k], gate_act, cell.preact_clip)
        z = _gate(a, k, "update", a["update.wx"][k] + a["update.wh"][k], gate_act, cell.preact_clip)
        if cell.gru_reset_before:  # Cho et al.: r scales h_{t-1} before the matrix product
            reset_h = np.multiply(r, h_prev, out=a["reset_h"][k])
            wh_n = np.dot(reset_h, w_hn, out=a["new.wh"][k])
            inner = a["new.wx"][k] + a["new.bias"][k] + wh_n + a["new.bias_h"][k]
        else:  # PyTorch: r reaches the hidden side, bias b_hn included, after the product
            wh_n = np.dot(h_prev, w_hn, out=a["new.wh"][k])
            h_part = np.add(wh_n, a["new.bias_h"][k], out=a["new.h_part"][k])
            gated = np.multiply(r, h_part, out=a["new.gated"][k])
            inner = a["new.wx"][k] + a["new.bias"][k] + gated
        a["new.preact"][k] = inner
        n = _activate(a, k, "new", new_act, cell.preact_clip)
        np.multiply(z, h_prev, out=a["keep"][k])
        np.multiply(1 - z, n, out=a["write"][k])
        np.add(a["write"][k], a["keep"][k], out=a["h"][k])
        if k + 1 < S:
            a["h_prev"][k + 1] = a["h"][k]
    return arrays


def _gate(a: dict, k: int, name: str, w_sum: np.ndarray, activation, clip: float | None) -> np.ndarray:
    """r or z: preact = wx + wh + bias, then the activation of it (clipped first with --preact-clip)."""
    np.add(w_sum, a[f"{name}.bias"][k], out=a[f"{name}.preact"][k])
    return _activate(a, k, name, activation, clip)


def _activate(a: dict, k: int, name: str, activation, clip: float | None) -> np.ndarray:
    seen = a[f"{name}.preact"][k]
    if clip is not None:  # ONNX's clip: every pre-activation, before its activation
        seen = np.clip(seen, -clip, clip, out=a[f"{name}.clipped"][k])
    act = a[f"{name}.act"][k]
    act[...] = activation(seen)
    return act


def _allocate(cell: CellOptions, weights: GRUWeights, S: int, B: int) -> dict[str, np.ndarray]:
    H, dtype = weights.hidden_size, weights.dtype
    biases = {**{f"{g}.bias": weights.b[g] for g in GRU_GATES}, "new.bias_h": weights.b_hn}
    arrays: dict[str, np.ndarray] = {}
    for name in stored_variant_quantities(cell):
        if name in biases:
            arrays[name] = np.broadcast_to(biases[name], (S, B, H))
        elif name != "x" and not name.endswith((".wx", "reset.wh", "update.wh")):
            arrays[name] = np.empty((S, B, H), dtype)
    return arrays
