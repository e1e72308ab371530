"""One LSTM step in plain NumPy, written the way the equations are.

    z   = [h_{t-1} ; x_t]                 concatenation, (H+I,)
    f_t = σ(W_f · z + b_f)                forget gate, (H,)
    i_t = σ(W_i · z + b_i)                input gate
    C̃_t = tanh(W_c · z + b_c)             candidate values
    o_t = σ(W_o · z + b_o)                output gate
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C̃_t       new cell state (⊙ element-wise)
    h_t = o_t ⊙ tanh(C_t)                 new hidden state

Each W_g is H × (H+I), each b_g has H entries. In NumPy, `@` is the matrix
product and `*` is element-wise.

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
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError, shape_text
from ..traces import StepTrace
from ..weights.model import LSTMWeights
from .activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS, Activation
from .options import PLAIN, CellOptions


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
    (zeros when omitted). Arrays are cast to the weights' dtype. Returns a `StepTrace`.
    """
    x, h_prev, c_prev = _inputs(weights, x, h_prev, c_prev)
    gate_act = GATE_ACTIVATIONS[cell.gate_activation]  # σ, or hard σ (ONNX f, Keras recurrent_activation)
    cell_act = CELL_ACTIVATIONS[cell.cell_activation]  # tanh, or another (ONNX g and h, Keras activation)
    clip = cell.preact_clip  # ONNX's clip: every pre-activation, before its activation
    W, b = weights.W, weights.b
    peep = weights.peepholes if cell.variant == "peephole" else None

    z = np.concatenate([h_prev, x])  # (H+I,), (P+I,) with a projection: a concatenation, not an addition
    f = _gate(
        W["forget"] @ z, b["forget"], gate_act, clip,
        peephole=_peek(peep, "forget", c_prev),  # peephole: f sees C_{t-1}
        forget_bias=cell.forget_bias,  # TensorFlow's forget_bias: added at run time, not stored
    )  # fmt: skip
    if cell.variant == "cifg":
        i = {"act": 1 - f["act"]}  # cifg: i = 1 - f, so W_i and b_i are not used
    else:
        i = _gate(W["input"] @ z, b["input"], gate_act, clip, peephole=_peek(peep, "input", c_prev))
    c_tilde = _gate(W["candidate"] @ z, b["candidate"], cell_act, clip)
    keep = f["act"] * c_prev  # element-wise
    write = i["act"] * c_tilde["act"]
    c_unclipped = keep + write
    # cell clip (TensorFlow's cell_clip): C_t itself is clipped, and tanh, o's peephole and the next step see that
    c = c_unclipped if cell.cell_clip is None else np.clip(c_unclipped, -cell.cell_clip, cell.cell_clip)
    o = _gate(W["output"] @ z, b["output"], gate_act, clip, peephole=_peek(peep, "output", c))  # peephole: the new C_t
    c_tanh = cell_act(c)
    h_unprojected = o["act"] * c_tanh  # (H,)
    # projection (PyTorch's proj_size): h_t = W_hr · h_unprojected, (P,) = (P, H)·(H,)
    h = h_unprojected if weights.projection is None else weights.projection @ h_unprojected

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
    h_prev = np.zeros(P, dtype) if h_prev is None else np.asarray(h_prev, dtype)
    c_prev = np.zeros(H, dtype) if c_prev is None else np.asarray(c_prev, dtype)
    for name, value, expected in (("x", x, (I,)), ("h_prev", h_prev, (P,)), ("c_prev", c_prev, (H,))):
        if value.shape != expected:
            projected = f", projected to P = {P}" if weights.projection is not None else ""
            raise UsageError(
                f"{name} has shape {shape_text(value.shape)}, but the weights ({weights.source}) have hidden "
                f"size H = {H}{projected} and input size I = {I}, so {name} must have shape {shape_text(expected)}."
            )
    return x, h_prev, c_prev
