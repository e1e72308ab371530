"""The backward pass of one LSTM step in plain NumPy, the forward stages in reverse.

Given the gradients arriving from above, ∂L/∂hₜ (`d_h`) and ∂L/∂Cₜ from step t+1
(`d_c_carried`), every local derivative sits next to the forward operation it
belongs to:

    hₜ  = oₜ ⊙ tanh(Cₜ)         ∂L/∂oₜ = ∂L/∂hₜ ⊙ tanh(Cₜ)
                                ∂L/∂Cₜ = ∂L/∂Cₜ(from t+1) + ∂L/∂hₜ ⊙ oₜ ⊙ (1 − tanh²(Cₜ))
    oₜ  = σ(W_o·z + b_o)        δ_o = ∂L/∂oₜ ⊙ oₜ(1 − oₜ)                σ′ = s(1 − s)
    Cₜ  = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ   ∂L/∂fₜ = ∂L/∂Cₜ ⊙ Cₜ₋₁, ∂L/∂iₜ = ∂L/∂Cₜ ⊙ C̃ₜ, ∂L/∂C̃ₜ = ∂L/∂Cₜ ⊙ iₜ
    C̃ₜ  = tanh(W_c·z + b_c)     δ_c = ∂L/∂C̃ₜ ⊙ (1 − C̃ₜ²)                 tanh′ = 1 − t²
    iₜ  = σ(W_i·z + b_i)        δ_i = ∂L/∂iₜ ⊙ iₜ(1 − iₜ)
    fₜ  = σ(W_f·z + b_f)        δ_f = ∂L/∂fₜ ⊙ fₜ(1 − fₜ)
    W_g·z + b_g                 ∂L/∂W_g = δ_g zᵀ,  ∂L/∂b_g = δ_g
    z   = [hₜ₋₁ ; xₜ]           ∂L/∂z = Σ_g W_gᵀ δ_g, split into ∂L/∂hₜ₋₁ and ∂L/∂xₜ
    keep = fₜ ⊙ Cₜ₋₁            ∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ                   the constant error carousel

Every line of `stages.BACKWARD_STAGES[...].numpy` is a line of this file.
"""

from __future__ import annotations

import numpy as np

from .backward_trace import BackwardTrace, GateGrad
from .errors import UsageError, shape_text
from .traces import StepTrace
from .weights.model import LSTMWeights


def lstm_step_backward(
    step: StepTrace,
    weights: LSTMWeights,
    d_h: np.ndarray,
    d_c_carried: np.ndarray | None = None,
    weight_grads: bool = True,
) -> BackwardTrace:
    """Backpropagate through one step whose forward values are in `step`.

    `d_h` is ∂L/∂hₜ and `d_c_carried` is ∂L/∂Cₜ arriving from step t+1 (zeros when
    omitted: this is the last step). Both have H entries. Returns a `BackwardTrace`.
    With `weight_grads=False` the H × (H+I) matrices ∂L/∂W_g are left out (None):
    a long sequence only needs the gradients that travel back in time.
    """
    dtype = step.h.dtype
    H = step.hidden_size
    d_h = _upstream(d_h, "d_h", H, dtype)
    d_c_carried = np.zeros(H, dtype) if d_c_carried is None else _upstream(d_c_carried, "d_c_carried", H, dtype)
    f, i, c_tilde, o = step.forget.act, step.input.act, step.candidate.act, step.output.act
    c_prev, c_tanh, z = step.c_prev, step.c_tanh, step.concat

    # hₜ = oₜ ⊙ tanh(Cₜ): the gradient goes to oₜ and, through tanh, to Cₜ
    d_o = d_h * c_tanh
    c_tanh_local = 1 - c_tanh**2
    d_c = d_c_carried + d_h * o * c_tanh_local
    # oₜ = σ(W_o·z + b_o)
    o_local = o * (1 - o)
    delta_o = d_o * o_local
    # Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ: each factor gets the gradient times the other factor
    d_f = d_c * c_prev
    d_i = d_c * c_tilde
    d_c_tilde = d_c * i
    # C̃ₜ = tanh(W_c·z + b_c)
    c_tilde_local = 1 - c_tilde**2
    delta_c = d_c_tilde * c_tilde_local
    # iₜ = σ(W_i·z + b_i)
    i_local = i * (1 - i)
    delta_i = d_i * i_local
    # fₜ = σ(W_f·z + b_f)
    f_local = f * (1 - f)
    delta_f = d_f * f_local
    # W_g·z + b_g, for each gate
    f_grad = _weights_backward(weights.W["forget"], z, d_f, f_local, delta_f, weight_grads)
    i_grad = _weights_backward(weights.W["input"], z, d_i, i_local, delta_i, weight_grads)
    c_tilde_grad = _weights_backward(weights.W["candidate"], z, d_c_tilde, c_tilde_local, delta_c, weight_grads)
    o_grad = _weights_backward(weights.W["output"], z, d_o, o_local, delta_o, weight_grads)
    # z = [hₜ₋₁ ; xₜ] fed all four gates
    d_z_f, d_z_i, d_z_c, d_z_o = f_grad.d_z, i_grad.d_z, c_tilde_grad.d_z, o_grad.d_z
    d_z = d_z_f + d_z_i + d_z_c + d_z_o
    d_h_prev, d_x = d_z[:H], d_z[H:]
    # keep = fₜ ⊙ Cₜ₋₁: no weights, no squashing, only fₜ
    d_c_prev = d_c * f

    return BackwardTrace(
        forget=f_grad, input=i_grad, candidate=c_tilde_grad, output=o_grad,
        d_h_prev=d_h_prev, d_x=d_x, d_c_prev=d_c_prev,
        d_h=d_h, d_c_carried=d_c_carried, c_tanh_local=c_tanh_local, d_c=d_c, d_z=d_z,
    )  # fmt: skip


def _weights_backward(
    W_g: np.ndarray, z: np.ndarray, d_act: np.ndarray, local: np.ndarray, delta_g: np.ndarray, weight_grads: bool
) -> GateGrad:
    d_W_g = None  # unless asked for: a long sequence needs 4·H·(H+I) numbers per step for these
    if weight_grads:
        d_W_g = np.outer(delta_g, z)  # (H, H+I)
    d_b_g = delta_g
    d_z_g = W_g.T @ delta_g  # (H+I,)
    return GateGrad(d_preact=delta_g, d_W=d_W_g, d_b=d_b_g, d_act=d_act, local=local, d_z=d_z_g)


def _upstream(value: np.ndarray, name: str, hidden_size: int, dtype: np.dtype) -> np.ndarray:
    value = np.asarray(value, dtype=dtype)
    if value.shape != (hidden_size,):
        raise UsageError(
            f"{name} has shape {shape_text(value.shape)}, but the step has hidden size H = {hidden_size}, "
            f"so {name} must have shape ({hidden_size},)."
        )
    return value
