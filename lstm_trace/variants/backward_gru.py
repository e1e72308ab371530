"""The backward pass of one GRU step (PyTorch's convention), beside the forward lines of `gru.py`:

    hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁    ∂L/∂nₜ = ∂L/∂hₜ ⊙ (1 − zₜ),  ∂L/∂zₜ = ∂L/∂hₜ ⊙ (hₜ₋₁ − nₜ),
                                     ∂L/∂hₜ₋₁ gets zₜ ⊙ ∂L/∂hₜ directly: the path that skips every weight
    nₜ = g(clip(W_in·xₜ + b_in + rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)))
                                     δ_n = ∂L/∂nₜ ⊙ g′ ⊙ [−V ≤ a_n ≤ V]
                                     ∂L/∂rₜ = δ_n ⊙ (W_hn·hₜ₋₁ + b_hn),  ∂L/∂(W_hn·hₜ₋₁ + b_hn) = δ_n ⊙ rₜ
       reset before (Cho et al.):    ∂L/∂(rₜ ⊙ hₜ₋₁) = W_hnᵀ δ_n,  ∂L/∂rₜ = that ⊙ hₜ₋₁
    rₜ, zₜ = σ(clip(W_i·xₜ + W_h·hₜ₋₁ + b))   δ = ∂L/∂gate ⊙ σ′ ⊙ [−V ≤ a ≤ V]
    each block                       ∂L/∂W = δ [hₜ₋₁ ; xₜ]ᵀ (the new gate's hidden half from its own δ), ∂L/∂b = δ
"""

from __future__ import annotations

import numpy as np

from ..backward import _upstream
from ..backward_trace import GateGrad
from ..weights.gru import GRUWeights
from .backward_trace import VariantBackward
from ..cells.options import CellOptions
from .slopes import CELL_SLOPES, GATE_SLOPES, block_backward, gate_local
from ..traces import StepTrace


def gru_backward(
    step: StepTrace, weights: GRUWeights, cell: CellOptions, d_h: np.ndarray, weight_grads: bool = True
) -> VariantBackward:
    """Backpropagate through one GRU step whose forward values are in `step`."""
    H = weights.hidden_size
    d_h = _upstream(d_h, "d_h", H, step.h.dtype)
    gate_slope, new_slope = GATE_SLOPES[cell.gate_activation], CELL_SLOPES[cell.cell_activation]
    h_prev, x = step.h_prev, step.x
    r, z, n = step.reset.act, step.update.act, step.new.act
    W_h = {g: w[:, :H] for g, w in weights.W.items()}  # (H, H)
    W_x = {g: w[:, H:] for g, w in weights.W.items()}  # (H, I)

    # hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁
    d_n = d_h * (1 - z)
    d_z = d_h * (h_prev - n)
    d_h_direct = d_h * z
    # nₜ = g(clip(a_n))
    n_local = gate_local(step.new, new_slope, cell.preact_clip)
    delta_n = d_n * n_local
    if cell.gru_reset_before:
        # a_n = W_in·xₜ + b_in + W_hn·(rₜ ⊙ hₜ₋₁) + b_hn
        d_reset_h = W_h["new"].T @ delta_n
        d_r = d_reset_h * h_prev
        d_h_from_new = d_reset_h * r
        d_W_hn_rows, d_b_hn = delta_n, delta_n  # ∂L/∂W_hn = δ_n (rₜ ⊙ hₜ₋₁)ᵀ
        hidden_input = step.reset_h
    else:
        # a_n = W_in·xₜ + b_in + rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)
        d_r = delta_n * step.new.h_part
        d_h_part = delta_n * r
        d_h_from_new = W_h["new"].T @ d_h_part
        d_W_hn_rows, d_b_hn = d_h_part, d_h_part  # ∂L/∂W_hn = ∂L/∂(W_hn·hₜ₋₁ + b_hn) hₜ₋₁ᵀ
        hidden_input = h_prev
    d_x_from_new = W_x["new"].T @ delta_n
    # rₜ, zₜ = σ(clip(W_i·xₜ + W_h·hₜ₋₁ + b))
    r_local = gate_local(step.reset, gate_slope, cell.preact_clip)
    z_local = gate_local(step.update, gate_slope, cell.preact_clip)
    delta_r, delta_z = d_r * r_local, d_z * z_local
    concat = np.concatenate([h_prev, x])
    d_W_new = None
    if weight_grads:
        d_W_new = np.hstack([np.outer(d_W_hn_rows, hidden_input), np.outer(delta_n, x)])  # [W_hn | W_in]
    grads = {
        "reset": block_backward(weights.W["reset"], concat, d_r, r_local, delta_r, weight_grads),
        "update": block_backward(weights.W["update"], concat, d_z, z_local, delta_z, weight_grads),
        "new": GateGrad(d_preact=delta_n, d_W=d_W_new, d_b=delta_n, d_act=d_n, local=n_local,
                        d_z=np.concatenate([d_h_from_new, d_x_from_new])),
    }  # fmt: skip
    d_through_weights = sum(grad.d_z for grad in grads.values())
    return VariantBackward(
        gates=grads, d_h_prev=d_h_direct + d_through_weights[:H], d_x=d_through_weights[H:], d_h=d_h,
        d_z=d_through_weights, d_b_hn=d_b_hn, d_h_direct=d_h_direct,
    )  # fmt: skip
