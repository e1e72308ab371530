"""One GRU step in PyTorch's convention (torch.nn.GRUCell), written the way the equations are.

    r_t = σ(W_ir·x_t + W_hr·h_{t-1} + b_r)                 reset gate, (H,)
    z_t = σ(W_iz·x_t + W_hz·h_{t-1} + b_z)                 update gate
    n_t = tanh(W_in·x_t + b_in + r_t ⊙ (W_hn·h_{t-1} + b_hn))   new (candidate) state
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}                  z_t ≈ 1 keeps the old state

W_r = [W_hr | W_ir] is stored like an LSTM gate's W_g, H × (H+I) with columns
[h_{t-1} | x_t]; the step splits it because the reset gate must reach the hidden
side of n alone. With `gru_reset_before` (Cho et al. 2014, ONNX
linear_before_reset=0, Keras reset_after=False) r scales h_{t-1} before the
product instead: n_t = tanh(W_in·x_t + b_in + W_hn·(r_t ⊙ h_{t-1}) + b_hn).
There is no cell state: h_t is the whole memory.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError, shape_text
from ..traces import StepTrace
from ..weights.gru import GRUWeights
from .activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS, Activation
from .options import GRU, CellOptions


def gru_step(
    weights: GRUWeights,
    x: np.ndarray,
    h_prev: np.ndarray | None = None,
    cell: CellOptions = GRU(),
    t: int = 1,
) -> StepTrace:
    """One GRU step; every intermediate kept by name."""
    x, h_prev = _inputs(weights, x, h_prev)
    gate_act = GATE_ACTIVATIONS[cell.gate_activation]  # σ, or hard σ (ONNX f)
    new_act = CELL_ACTIVATIONS[cell.cell_activation]  # tanh, or another (ONNX g)
    clip = cell.preact_clip
    H = weights.hidden_size
    W_h = {g: w[:, :H] for g, w in weights.W.items()}  # (H, H)  W_hr, W_hz, W_hn
    W_x = {g: w[:, H:] for g, w in weights.W.items()}  # (H, I)  W_ir, W_iz, W_in
    b = weights.b

    r = _gate(W_x["reset"] @ x, W_h["reset"] @ h_prev, b["reset"], gate_act, clip)
    z = _gate(W_x["update"] @ x, W_h["update"] @ h_prev, b["update"], gate_act, clip)
    reset_h = None
    if cell.gru_reset_before:
        reset_h = r["act"] * h_prev  # Cho et al.: r scales h_{t-1} before the matrix product
        n = _new_reset_before(W_x["new"] @ x, b["new"], W_h["new"] @ reset_h, weights.b_hn, new_act, clip)
    else:
        n = _new(W_x["new"] @ x, b["new"], W_h["new"] @ h_prev, weights.b_hn, r["act"], new_act, clip)
    keep = z["act"] * h_prev  # element-wise
    write = (1 - z["act"]) * n["act"]
    h = write + keep

    values = {"x": x, "h_prev": h_prev}
    for name, block in (("reset", r), ("update", z), ("new", n)):
        values.update({f"{name}.{part}": value for part, value in block.items()})
    values.update(keep=keep, write=write, h=h)
    if reset_h is not None:
        values["reset_h"] = reset_h
    return StepTrace(values, cell, t)


def _gate(wx, wh, bias, activation: Activation, clip: float | None) -> dict[str, np.ndarray]:
    return _activate({"wx": wx, "wh": wh, "bias": bias}, wx + wh + bias, activation, clip)


def _new(wx, bias, wh, bias_h, r, activation: Activation, clip: float | None) -> dict[str, np.ndarray]:
    h_part = wh + bias_h  # W_hn·h_{t-1} + b_hn: the whole hidden side, bias included
    gated = r * h_part  # the reset gate reaches the hidden side only
    parts = {"wx": wx, "wh": wh, "bias": bias, "bias_h": bias_h, "h_part": h_part, "gated": gated}
    return _activate(parts, wx + bias + gated, activation, clip)


def _new_reset_before(wx, bias, wh, bias_h, activation: Activation, clip: float | None) -> dict[str, np.ndarray]:
    # wh = W_hn·(r ⊙ h_{t-1}): the reset already happened
    return _activate({"wx": wx, "wh": wh, "bias": bias, "bias_h": bias_h}, wx + bias + wh + bias_h, activation, clip)


def _activate(parts: dict, preact: np.ndarray, activation: Activation, clip: float | None) -> dict[str, np.ndarray]:
    parts["preact"] = preact
    if clip is not None:
        parts["clipped"] = preact = np.clip(preact, -clip, clip)
    parts["act"] = activation(preact)
    return parts


def _inputs(weights: GRUWeights, x, h_prev) -> tuple[np.ndarray, np.ndarray]:
    dtype, H, I = weights.dtype, weights.hidden_size, weights.input_size
    x = np.asarray(x, dtype=dtype)
    h_prev = np.zeros(H, dtype) if h_prev is None else np.asarray(h_prev, dtype)
    for name, value, expected in (("x", x, (I,)), ("h_prev", h_prev, (H,))):
        if value.shape != expected:
            raise UsageError(
                f"{name} has shape {shape_text(value.shape)}, but the GRU weights ({weights.source}) have "
                f"hidden size H = {H} and input size I = {I}, so {name} must have shape {shape_text(expected)}."
            )
    return x, h_prev
