"""The backward pass of one step of the configurable LSTM (peephole, cifg and the run-time options).

The plain cell's backward (`lstm_trace.backward`) with one line per option, each
beside the forward line of `variants/lstm.py` it undoes, from hₜ back to z:

    hₜ  = W_hr·mₜ, mₜ = oₜ ⊙ g(Cₜ)   ∂L/∂mₜ = W_hrᵀ ∂L/∂hₜ,  ∂L/∂W_hr = ∂L/∂hₜ mₜᵀ     (projection)
    mₜ  = oₜ ⊙ g(Cₜ)                ∂L/∂oₜ = ∂L/∂mₜ ⊙ g(Cₜ),  ∂L/∂Cₜ = carried + ∂L/∂mₜ ⊙ oₜ ⊙ g′(Cₜ)
    oₜ  = σ(clip(W_o·z + p_o ⊙ Cₜ + b_o))   δ_o = ∂L/∂oₜ ⊙ σ′ ⊙ [−V ≤ a_o ≤ V];  ∂L/∂Cₜ += p_o ⊙ δ_o
    Cₜ  = clip(uₜ, ±V_c), uₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ   ∂L/∂uₜ = ∂L/∂Cₜ ⊙ [−V_c ≤ uₜ ≤ V_c]
    uₜ                              ∂L/∂fₜ = ∂L/∂uₜ ⊙ Cₜ₋₁, ∂L/∂iₜ = ∂L/∂uₜ ⊙ C̃ₜ, ∂L/∂C̃ₜ = ∂L/∂uₜ ⊙ iₜ
    iₜ  = 1 − fₜ                    ∂L/∂fₜ −= ∂L/∂iₜ                                             (cifg)
    gate g = act(clip(a_g))         δ_g = ∂L/∂g ⊙ act′ ⊙ [−V ≤ a_g ≤ V]   (the forget bias only shifts a_f)
    p_f ⊙ Cₜ₋₁, p_i ⊙ Cₜ₋₁          ∂L/∂p_g = δ_g ⊙ C,  ∂L/∂Cₜ₋₁ += p_g ⊙ δ_g                    (peephole)
    W_g·z + b_g                     ∂L/∂W_g = δ_g zᵀ, ∂L/∂b_g = δ_g, ∂L/∂z = Σ_g W_gᵀ δ_g
    keep = fₜ ⊙ Cₜ₋₁                ∂L/∂Cₜ₋₁ = ∂L/∂uₜ ⊙ fₜ (+ the peephole terms)

Slopes at kinks follow PyTorch (see `slopes.py`).
"""

from __future__ import annotations

import numpy as np

from ..backward import _upstream
from ..backward_trace import GateGrad
from ..errors import UsageError
from ..weights.model import LSTMWeights
from .backward_trace import VariantBackward
from ..cells.options import CellOptions
from .slopes import CELL_SLOPES, GATE_SLOPES, block_backward, clip_pass, gate_local
from ..traces import StepTrace


def variant_step_backward(
    step, weights, cell: CellOptions, d_h: np.ndarray, d_c: np.ndarray | None = None, weight_grads: bool = True
) -> VariantBackward:
    """The backward pass of one step of any cell: `step` is what `cell_step` returned for (weights, cell)."""
    if cell.variant == "gru":
        from .backward_gru import gru_backward

        if d_c is not None:
            raise UsageError("A GRU has no cell state C, so there is no ∂L/∂C (--dc) to pass back.")
        return gru_backward(step, weights, cell, d_h, weight_grads)
    return lstm_variant_backward(step, weights, cell, d_h, d_c, weight_grads)


def lstm_variant_backward(
    step: StepTrace,
    weights: LSTMWeights,
    cell: CellOptions,
    d_h: np.ndarray,
    d_c_carried: np.ndarray | None = None,
    weight_grads: bool = True,
) -> VariantBackward:
    """Backpropagate through one lstm/peephole/cifg step whose forward values are in `step`."""
    dtype, H = step.c.dtype, step.hidden_size
    d_h = _upstream(d_h, "d_h", step.h.shape[0], dtype)
    d_c_carried = np.zeros(H, dtype) if d_c_carried is None else _upstream(d_c_carried, "d_c_carried", H, dtype)
    gate_slope, cell_slope = GATE_SLOPES[cell.gate_activation], CELL_SLOPES[cell.cell_activation]
    peep = weights.peepholes if cell.variant == "peephole" else None
    f, i, c_tilde, o = step.forget.act, step.input.act, step.candidate.act, step.output.act
    c_prev, c, c_act = step.c_prev, step.c, step.c_tanh

    # projection: hₜ = W_hr·mₜ
    d_m, d_projection = d_h, None
    if weights.projection is not None:
        d_m = weights.projection.T @ d_h  # (H,)
        d_projection = np.outer(d_h, step.h_unprojected) if weight_grads else None  # (P, H)
    # mₜ = oₜ ⊙ g(Cₜ)
    d_o = d_m * c_act
    d_c = d_c_carried + d_m * o * cell_slope(c, c_act)
    # oₜ = σ(clip(W_o·z + p_o ⊙ Cₜ + b_o))
    o_local = gate_local(step.output, gate_slope, cell.preact_clip)
    delta_o = d_o * o_local
    if peep is not None:
        d_c = d_c + peep["output"] * delta_o  # the output peephole saw the new Cₜ
    # Cₜ = clip(keep + write, ±V): nothing passes where the clip held Cₜ
    c_unclipped = getattr(step, "c_unclipped", None)  # a plain StepTrace has no such field
    c_unclipped = c if c_unclipped is None else c_unclipped
    held = clip_pass(c_unclipped, cell.cell_clip)
    d_u = d_c if held is None else d_c * held
    # keep + write = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ
    d_f = d_u * c_prev
    d_i = d_u * c_tilde
    d_c_tilde = d_u * i
    d_c_prev = d_u * f
    # C̃ₜ = g(clip(W_c·z + b_c))
    c_tilde_local = gate_local(step.candidate, cell_slope, cell.preact_clip)
    delta_c = d_c_tilde * c_tilde_local
    # iₜ = σ(clip(W_i·z + p_i ⊙ Cₜ₋₁ + b_i)), or cifg's iₜ = 1 − fₜ
    if cell.variant == "cifg":
        d_f = d_f - d_i
        i_local = delta_i = None
    else:
        i_local = gate_local(step.input, gate_slope, cell.preact_clip)
        delta_i = d_i * i_local
    # fₜ = σ(clip(W_f·z + p_f ⊙ Cₜ₋₁ + b_f + B))
    f_local = gate_local(step.forget, gate_slope, cell.preact_clip)
    delta_f = d_f * f_local
    d_peepholes = None
    if peep is not None:
        d_c_prev = d_c_prev + peep["forget"] * delta_f + peep["input"] * delta_i
        d_peepholes = {"forget": delta_f * c_prev, "input": delta_i * c_prev, "output": delta_o * c}
    # W_g·z + b_g, for each gate that has weights
    z = step.concat
    grads = {
        "forget": block_backward(weights.W["forget"], z, d_f, f_local, delta_f, weight_grads),
        "input": (GateGrad(d_preact=None, d_W=None, d_b=None, d_act=d_i) if delta_i is None
                  else block_backward(weights.W["input"], z, d_i, i_local, delta_i, weight_grads)),
        "candidate": block_backward(weights.W["candidate"], z, d_c_tilde, c_tilde_local, delta_c, weight_grads),
        "output": block_backward(weights.W["output"], z, d_o, o_local, delta_o, weight_grads),
    }  # fmt: skip
    d_z = sum(grad.d_z for grad in grads.values() if grad.d_z is not None)
    P = step.h_prev.shape[0]
    return VariantBackward(
        gates=grads, d_h_prev=d_z[:P], d_x=d_z[P:], d_h=d_h, d_z=d_z,
        d_c_prev=d_c_prev, d_c_carried=d_c_carried, d_c=d_c, d_c_unclipped=None if held is None else d_u,
        d_h_unprojected=None if weights.projection is None else d_m, d_projection=d_projection,
        d_peepholes=d_peepholes,
    )  # fmt: skip
