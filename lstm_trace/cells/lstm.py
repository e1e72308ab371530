"""One LSTM step in plain NumPy, written the way the equations are.

    z   = [h_{t-1} ; x_t]                 concatenation, (H+I,)
    f_t = σ(W_f · z + b_f)                forget gate, (H,)
    i_t = σ(W_i · z + b_i)                input gate
    C̃_t = tanh(W_c · z + b_c)             candidate values
    o_t = σ(W_o · z + b_o)                output gate
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t       new cell state (⊙ element-wise)
    h_t = o_t ⊙ tanh(C_t)                 new hidden state

Each W_g is H × (H+I), each b_g has H entries. In NumPy, `@` is the matrix
product and `*` is element-wise; W_g·z is written `z @ W_g.T`, which is the same
product for one z (H+I,) and, row by row, for a batch of B sequences at once
(z is then (B, H+I), and every value of the step (B, ·)): the sequence engine
runs this very step on the rows of a batch.

That is `LSTM()`, the plain cell. Its options (`CellOptions`) each add one
visible line or term; with all of them at their defaults the step computes
exactly the seven equations above:

    f_t = σ(clip(W_f·z + p_f ⊙ C_{t-1} + b_f + B))         peephole p_f, forget bias B, preact clip
    i_t = σ(clip(W_i·z + p_i ⊙ C_{t-1} + b_i))             cifg instead: i_t = 1 - f_t
    C̃_t = g(clip(W_c·z + b_c))                             g: the cell activation, tanh by default
    C_t = clip(f_t ⊙ C_{t-1} + i_t ⊙ C̃_t, ±cell_clip)
    o_t = σ(clip(W_o·z + p_o ⊙ C_t + b_o))                 the output peephole sees the new C_t
    h_t = W_hr · (o_t ⊙ g(C_t))                            W_hr only with a projection: z is (P+I,)

σ is the gate activation (sigmoid or hard_sigmoid). Terms of options that are
off are simply absent, and so are their values in the trace.

The backward pass (`lstm_backward`) undoes the forward lines from h_t back to z,
each gradient named like the value it belongs to (`d_c` is ∂L/∂C_t,
`forget.d_preact` is δ_f):

    h_t = o_t ⊙ tanh(C_t)         ∂L/∂o_t = ∂L/∂h_t ⊙ tanh(C_t)
                                  ∂L/∂C_t = ∂L/∂C_t(from t+1) + ∂L/∂h_t ⊙ o_t ⊙ (1 − tanh²(C_t))
    o_t = σ(W_o·z + b_o)          δ_o = ∂L/∂o_t ⊙ o_t(1 − o_t)                σ′ = s(1 − s)
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t   ∂L/∂f_t = ∂L/∂C_t ⊙ C_{t-1}, ∂L/∂i_t = ∂L/∂C_t ⊙ C̃_t, ∂L/∂C̃_t = ∂L/∂C_t ⊙ i_t
    C̃_t = tanh(W_c·z + b_c)       δ_c = ∂L/∂C̃_t ⊙ (1 − C̃_t²)                 tanh′ = 1 − t²
    i_t, f_t                      δ_i = ∂L/∂i_t ⊙ i_t(1 − i_t), δ_f = ∂L/∂f_t ⊙ f_t(1 − f_t)
    W_g·z + b_g                   ∂L/∂W_g = δ_g zᵀ,  ∂L/∂b_g = δ_g,  ∂L/∂z = Σ_g W_gᵀ δ_g = [∂L/∂h_{t-1} ; ∂L/∂x_t]
    keep = f_t ⊙ C_{t-1}          ∂L/∂C_{t-1} = ∂L/∂C_t ⊙ f_t                  the constant error carousel

and each option's line beside the forward line it undoes: the projection
(∂L/∂m_t = W_hrᵀ ∂L/∂h_t), the output peephole (∂L/∂C_t += p_o ⊙ δ_o), the cell
clip (nothing passes where it held C_t), cifg (∂L/∂f_t −= ∂L/∂i_t), the clips of
the pre-activations, and the peepholes of f and i (∂L/∂p_g = δ_g ⊙ C,
∂L/∂C_{t-1} += p_g ⊙ δ_g). Slopes at kinks follow PyTorch (see `activations`).
"""

from __future__ import annotations

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import UsageError, shape_text
from ..traces.step import BackwardTrace, StepTrace
from ..weights.lstm_weights import LSTMWeights
from .activations import (
    CELL_ACTIVATIONS, CELL_SLOPES, GATE_ACTIVATIONS, GATE_SLOPES, Activation, block_backward, clip_pass, gate_local,
)  # fmt: skip


def lstm_step(
    weights: LSTMWeights,
    x: np.ndarray,
    h_prev: np.ndarray | None = None,
    c_prev: np.ndarray | None = None,
    cell: CellOptions = PLAIN,
    t: int = 1,
) -> StepTrace:
    """Run one LSTM step and keep every intermediate.

    `x` has I entries, `h_prev` H (P with a projection) and `c_prev` H entries
    (zeros when omitted), or B rows of them, (B, I), (B, P) and (B, H), for B
    sequences at once. Arrays are cast to the weights' dtype. Returns a `StepTrace`.
    """
    x, h_prev, c_prev = _inputs(weights, x, h_prev, c_prev)
    gate_act = GATE_ACTIVATIONS[cell.gate_activation]  # σ, or hard σ (ONNX f, Keras recurrent_activation)
    cell_act = CELL_ACTIVATIONS[cell.cell_activation]  # tanh, or another (ONNX g and h, Keras activation)
    clip = cell.preact_clip  # ONNX's clip: every pre-activation, before its activation
    W, b = weights.W, weights.b
    peep = weights.peepholes if cell.variant == "peephole" else None

    z = np.concatenate([h_prev, x], axis=-1)  # (H+I,), (P+I,) with a projection: a concatenation, not an addition
    f = _gate(
        z @ W["forget"].T, b["forget"], gate_act, clip,
        peephole=_peek(peep, "forget", c_prev),  # peephole: f sees C_{t-1}
        forget_bias=cell.forget_bias,  # TensorFlow's forget_bias: added at run time, not stored
    )  # fmt: skip
    if cell.variant == "cifg":
        i = {"act": 1 - f["act"]}  # cifg: i = 1 - f, so W_i and b_i are not used
    else:
        i = _gate(z @ W["input"].T, b["input"], gate_act, clip, peephole=_peek(peep, "input", c_prev))
    c_tilde = _gate(z @ W["candidate"].T, b["candidate"], cell_act, clip)
    keep = f["act"] * c_prev  # element-wise
    write = i["act"] * c_tilde["act"]
    c_unclipped = keep + write
    # cell clip (TensorFlow's cell_clip): C_t itself is clipped, and tanh, o's peephole and the next step see that
    c = c_unclipped if cell.cell_clip is None else np.clip(c_unclipped, -cell.cell_clip, cell.cell_clip)
    o = _gate(z @ W["output"].T, b["output"], gate_act, clip, peephole=_peek(peep, "output", c))  # peephole: new C_t
    c_tanh = cell_act(c)
    h_unprojected = o["act"] * c_tanh  # (H,), or (B, H)
    # projection (PyTorch's proj_size): h_t = W_hr · h_unprojected, (P,) = (P, H)·(H,)
    h = h_unprojected if weights.projection is None else h_unprojected @ weights.projection.T

    values = {"x": x, "h_prev": h_prev, "c_prev": c_prev, "concat": z}
    for name, gate in (("forget", f), ("input", i), ("candidate", c_tilde), ("output", o)):
        values.update({f"{name}.{part}": value for part, value in gate.items()})
    values.update(keep=keep, write=write, c=c, c_tanh=c_tanh, h=h)
    if cell.cell_clip is not None:
        values["c_unclipped"] = c_unclipped
    if weights.projection is not None:
        values["h_unprojected"] = h_unprojected
    return StepTrace(values, cell, t)


def _peek(peepholes, gate: str, cell_state: np.ndarray) -> np.ndarray | None:
    """p_g ⊙ C: the diagonal (element-wise) peephole term, or None without peepholes."""
    return None if peepholes is None else peepholes[gate] * cell_state


def _gate(
    wz: np.ndarray,
    bias: np.ndarray,
    activation: Activation,
    clip: float | None,
    peephole: np.ndarray | None = None,
    forget_bias: float = 0.0,
) -> dict[str, np.ndarray]:
    """One block's parts by name: wz, (peephole), bias, (forget_bias), preact, (clipped), act."""
    preact = wz + bias if peephole is None else wz + peephole + bias  # the bias goes inside the activation
    parts = {"wz": wz, "bias": bias}
    if peephole is not None:
        parts["peephole"] = peephole
    if forget_bias != 0:
        parts["forget_bias"] = np.full_like(preact, forget_bias)
        preact = preact + parts["forget_bias"]
    parts["preact"] = preact
    if clip is not None:
        parts["clipped"] = preact = np.clip(preact, -clip, clip)
    parts["act"] = activation(preact)
    return parts


def _inputs(weights: LSTMWeights, x, h_prev, c_prev) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dtype, H, P, I = weights.dtype, weights.hidden_size, weights.h_size, weights.input_size
    x = np.asarray(x, dtype=dtype)
    rows = x.shape[:-1]  # () for one sequence, (B,) for a batch
    h_prev = np.zeros((*rows, P), dtype) if h_prev is None else np.asarray(h_prev, dtype)
    c_prev = np.zeros((*rows, H), dtype) if c_prev is None else np.asarray(c_prev, dtype)
    for name, value, expected in (("x", x, (*rows, I)), ("h_prev", h_prev, (*rows, P)), ("c_prev", c_prev, (*rows, H))):
        if value.shape != expected:
            projected = f", projected to P = {P}" if weights.projection is not None else ""
            raise UsageError(
                f"{name} has shape {shape_text(value.shape)}, but the weights ({weights.source}) have hidden "
                f"size H = {H}{projected} and input size I = {I}, so {name} must have shape {shape_text(expected)}."
            )
    return x, h_prev, c_prev


def lstm_backward(
    step: StepTrace,
    weights: LSTMWeights,
    d_h: np.ndarray,
    d_c_carried: np.ndarray | None = None,
    weight_grads: bool = True,
) -> BackwardTrace:
    """Backpropagate through one step whose forward values are in `step` (made by `lstm_step`).

    `d_h` is ∂L/∂h_t (P entries with a projection, else H) and `d_c_carried` ∂L/∂C_t
    arriving from step t+1 (zeros when omitted: this is the last step). With
    `weight_grads=False` the matrices ∂L/∂W_g are left out: a long sequence only
    needs the gradients that travel back in time.
    """
    cell = step.cell
    dtype, H = step.c.dtype, step.hidden_size
    d_h = upstream(d_h, "d_h", step.h.shape[0], dtype)
    d_c_carried = np.zeros(H, dtype) if d_c_carried is None else upstream(d_c_carried, "d_c_carried", H, dtype)
    gate_slope, cell_slope = GATE_SLOPES[cell.gate_activation], CELL_SLOPES[cell.cell_activation]
    peep = weights.peepholes if cell.variant == "peephole" else None
    f, i, c_tilde, o = step.forget.act, step.input.act, step.candidate.act, step.output.act
    c_prev, c, c_tanh = step.c_prev, step.c, step.c_tanh

    # projection: h_t = W_hr·m_t
    d_m = d_h if weights.projection is None else weights.projection.T @ d_h  # (H,)
    # m_t = o_t ⊙ tanh(C_t): the gradient goes to o_t and, through tanh, to C_t
    d_o = d_m * c_tanh
    c_tanh_local = cell_slope(c, c_tanh)
    d_c = d_c_carried + d_m * o * c_tanh_local
    # o_t = σ(clip(W_o·z + p_o ⊙ C_t + b_o))
    o_local = gate_local(step.output, gate_slope, cell.preact_clip)
    delta_o = d_o * o_local
    if peep is not None:
        d_c = d_c + peep["output"] * delta_o  # the output peephole saw the new C_t
    # C_t = clip(keep + write, ±V): nothing passes where the clip held C_t
    held = clip_pass(c if step.c_unclipped is None else step.c_unclipped, cell.cell_clip)
    d_u = d_c if held is None else d_c * held
    # C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t: each factor gets the gradient times the other factor
    d_f = d_u * c_prev
    d_i = d_u * c_tilde
    d_c_tilde = d_u * i
    # C̃_t = tanh(clip(W_c·z + b_c))
    c_tilde_local = gate_local(step.candidate, cell_slope, cell.preact_clip)
    delta_c = d_c_tilde * c_tilde_local
    # i_t = σ(clip(W_i·z + p_i ⊙ C_{t-1} + b_i)), or cifg's i_t = 1 − f_t
    if cell.variant == "cifg":
        d_f = d_f - d_i
    else:
        i_local = gate_local(step.input, gate_slope, cell.preact_clip)
        delta_i = d_i * i_local
    # f_t = σ(clip(W_f·z + p_f ⊙ C_{t-1} + b_f + B))
    f_local = gate_local(step.forget, gate_slope, cell.preact_clip)
    delta_f = d_f * f_local
    # W_g·z + b_g, for each gate that has weights
    z, W = step.concat, weights.W
    grads = {
        "forget": block_backward(W["forget"], z, d_f, f_local, delta_f, weight_grads),
        "input": ({"d_act": d_i} if cell.variant == "cifg"
                  else block_backward(W["input"], z, d_i, i_local, delta_i, weight_grads)),
        "candidate": block_backward(W["candidate"], z, d_c_tilde, c_tilde_local, delta_c, weight_grads),
        "output": block_backward(W["output"], z, d_o, o_local, delta_o, weight_grads),
    }  # fmt: skip
    # z = [h_{t-1} ; x_t] fed every gate
    sent_back = [parts["d_z"] for parts in grads.values() if "d_z" in parts]  # W_gᵀδ_g, in gate order
    d_z = sum(sent_back[1:], sent_back[0])
    P = step.h_prev.shape[0]
    # keep = f_t ⊙ C_{t-1}: no weights, no squashing, only f_t (and the peepholes' terms)
    d_c_prev = d_u * f
    if peep is not None:
        d_c_prev = d_c_prev + peep["forget"] * delta_f + peep["input"] * delta_i

    values = {"d_h": d_h, "d_c_carried": d_c_carried, "c_tanh_local": c_tanh_local, "d_c": d_c}
    if held is not None:
        values["d_c_unclipped"] = d_u
    if weights.projection is not None:
        values["d_h_unprojected"] = d_m
        if weight_grads:
            values["d_projection"] = np.outer(d_h, step.h_unprojected)  # (P, H)
    for gate, parts in grads.items():
        values.update({f"{gate}.{part}": value for part, value in parts.items()})
    if peep is not None:
        values.update({"peephole.forget": delta_f * c_prev, "peephole.input": delta_i * c_prev, "peephole.output": delta_o * c})
    values.update(d_z=d_z, d_h_prev=d_z[:P], d_x=d_z[P:], d_c_prev=d_c_prev)
    return BackwardTrace(values)


def upstream(value: np.ndarray, name: str, size: int, dtype: np.dtype) -> np.ndarray:
    """A gradient arriving from above, checked to have one entry per unit it belongs to."""
    value = np.asarray(value, dtype=dtype)
    if value.shape != (size,):
        raise UsageError(
            f"{name} has shape {shape_text(value.shape)}, but the step has hidden size H = {size}, "
            f"so {name} must have shape ({size},)."
        )
    return value
