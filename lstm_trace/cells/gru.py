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
There is no cell state: h_t is the whole memory. As in the LSTM's step, W·x is
written `x @ W.T`: one sequence (x is (I,)) or B at once as rows (B, I).

The backward pass (`gru_backward`), beside the forward lines it undoes:

    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}   ∂L/∂n_t = ∂L/∂h_t ⊙ (1 − z_t),  ∂L/∂z_t = ∂L/∂h_t ⊙ (h_{t-1} − n_t),
                                        ∂L/∂h_{t-1} gets z_t ⊙ ∂L/∂h_t directly: the path that skips every weight
    n_t = g(clip(W_in·x_t + b_in + r_t ⊙ (W_hn·h_{t-1} + b_hn)))
                                        δ_n = ∂L/∂n_t ⊙ g′ ⊙ [−V ≤ a_n ≤ V]
                                        ∂L/∂r_t = δ_n ⊙ (W_hn·h_{t-1} + b_hn),  ∂L/∂(W_hn·h_{t-1} + b_hn) = δ_n ⊙ r_t
       reset before (Cho et al.):       ∂L/∂(r_t ⊙ h_{t-1}) = W_hnᵀ δ_n,  ∂L/∂r_t = that ⊙ h_{t-1}
    r_t, z_t = σ(clip(W_i·x_t + W_h·h_{t-1} + b))   δ = ∂L/∂gate ⊙ σ′ ⊙ [−V ≤ a ≤ V]
    each block                          ∂L/∂W = δ [h_{t-1} ; x_t]ᵀ (the new gate's hidden half from its own δ), ∂L/∂b = δ
"""

from __future__ import annotations

import numpy as np

from ..cell_options import GRU, CellOptions
from ..errors import UsageError, shape_text
from ..traces.step import BackwardTrace, StepTrace
from ..weights.gru_weights import GRUWeights
from .activations import CELL_ACTIVATIONS, CELL_SLOPES, GATE_ACTIVATIONS, GATE_SLOPES, Activation, block_backward, gate_local
from .lstm import upstream


def gru_step(
    weights: GRUWeights,
    x: np.ndarray,
    h_prev: np.ndarray | None = None,
    cell: CellOptions = GRU(),
    t: int = 1,
) -> StepTrace:
    """One GRU step; every intermediate kept by name. x (I,) and h_prev (H,), or B rows of them."""
    x, h_prev = _inputs(weights, x, h_prev)
    gate_act = GATE_ACTIVATIONS[cell.gate_activation]  # σ, or hard σ (ONNX f)
    new_act = CELL_ACTIVATIONS[cell.cell_activation]  # tanh, or another (ONNX g)
    clip = cell.preact_clip
    H = weights.hidden_size
    W_h = {g: w[:, :H] for g, w in weights.W.items()}  # (H, H)  W_hr, W_hz, W_hn
    W_x = {g: w[:, H:] for g, w in weights.W.items()}  # (H, I)  W_ir, W_iz, W_in
    b = weights.b

    r = _gate(x @ W_x["reset"].T, h_prev @ W_h["reset"].T, b["reset"], gate_act, clip)
    z = _gate(x @ W_x["update"].T, h_prev @ W_h["update"].T, b["update"], gate_act, clip)
    reset_h = None
    if cell.gru_reset_before:
        reset_h = r["act"] * h_prev  # Cho et al.: r scales h_{t-1} before the matrix product
        n = _new_reset_before(x @ W_x["new"].T, b["new"], reset_h @ W_h["new"].T, weights.b_hn, new_act, clip)
    else:
        n = _new(x @ W_x["new"].T, b["new"], h_prev @ W_h["new"].T, weights.b_hn, r["act"], new_act, clip)
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
    rows = x.shape[:-1]  # () for one sequence, (B,) for a batch
    h_prev = np.zeros((*rows, H), dtype) if h_prev is None else np.asarray(h_prev, dtype)
    for name, value, expected in (("x", x, (*rows, I)), ("h_prev", h_prev, (*rows, H))):
        if value.shape != expected:
            raise UsageError(
                f"{name} has shape {shape_text(value.shape)}, but the GRU weights ({weights.source}) have "
                f"hidden size H = {H} and input size I = {I}, so {name} must have shape {shape_text(expected)}."
            )
    return x, h_prev


def gru_backward(step: StepTrace, weights: GRUWeights, d_h: np.ndarray, weight_grads: bool = True) -> BackwardTrace:
    """Backpropagate through one GRU step whose forward values are in `step` (made by `gru_step`)."""
    cell, H = step.cell, weights.hidden_size
    d_h = upstream(d_h, "d_h", H, step.h.dtype)
    gate_slope, new_slope = GATE_SLOPES[cell.gate_activation], CELL_SLOPES[cell.cell_activation]
    h_prev, x = step.h_prev, step.x
    r, z, n = step.reset.act, step.update.act, step.new.act
    W_h = {g: w[:, :H] for g, w in weights.W.items()}  # (H, H)
    W_x = {g: w[:, H:] for g, w in weights.W.items()}  # (H, I)

    # h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    d_n = d_h * (1 - z)
    d_z = d_h * (h_prev - n)
    d_h_direct = d_h * z
    # n_t = g(clip(a_n))
    n_local = gate_local(step.new, new_slope, cell.preact_clip)
    delta_n = d_n * n_local
    if cell.gru_reset_before:
        # a_n = W_in·x_t + b_in + W_hn·(r_t ⊙ h_{t-1}) + b_hn
        d_reset_h = W_h["new"].T @ delta_n
        d_r = d_reset_h * h_prev
        d_h_from_new = d_reset_h * r
        d_W_hn_rows, d_b_hn = delta_n, delta_n  # ∂L/∂W_hn = δ_n (r_t ⊙ h_{t-1})ᵀ
        hidden_input = step.reset_h
    else:
        # a_n = W_in·x_t + b_in + r_t ⊙ (W_hn·h_{t-1} + b_hn)
        d_r = delta_n * step.new.h_part
        d_h_part = delta_n * r
        d_h_from_new = W_h["new"].T @ d_h_part
        d_W_hn_rows, d_b_hn = d_h_part, d_h_part  # ∂L/∂W_hn = ∂L/∂(W_hn·h_{t-1} + b_hn) h_{t-1}ᵀ
        hidden_input = h_prev
    d_x_from_new = W_x["new"].T @ delta_n
    # r_t, z_t = σ(clip(W_i·x_t + W_h·h_{t-1} + b))
    r_local = gate_local(step.reset, gate_slope, cell.preact_clip)
    z_local = gate_local(step.update, gate_slope, cell.preact_clip)
    delta_r, delta_z = d_r * r_local, d_z * z_local
    concat = np.concatenate([h_prev, x])
    new = {"d_act": d_n, "local": n_local, "d_preact": delta_n}
    if weight_grads:
        new["d_W"] = np.hstack([np.outer(d_W_hn_rows, hidden_input), np.outer(delta_n, x)])  # [W_hn | W_in]
    new.update(d_b=delta_n, d_z=np.concatenate([d_h_from_new, d_x_from_new]))
    grads = {
        "reset": block_backward(weights.W["reset"], concat, d_r, r_local, delta_r, weight_grads),
        "update": block_backward(weights.W["update"], concat, d_z, z_local, delta_z, weight_grads),
        "new": new,
    }
    d_through_weights = grads["reset"]["d_z"] + grads["update"]["d_z"] + new["d_z"]
    values = {"d_h": d_h}
    for gate, parts in grads.items():
        values.update({f"{gate}.{part}": value for part, value in parts.items()})
    values.update(
        d_z=d_through_weights, d_h_prev=d_h_direct + d_through_weights[:H], d_x=d_through_weights[H:],
        d_b_hn=d_b_hn, d_h_direct=d_h_direct,
    )  # fmt: skip
    return BackwardTrace(values)
