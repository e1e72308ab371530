"""One step of the configurable LSTM: peephole, cifg and the run-time options.

The plain cell (`lstm_trace.cell`) with one line per option; with every option
at its default this computes exactly what `lstm_step` does.

    z   = [h_{t-1} ; x_t]                                  (P+I,) with a projection, else (H+I,)
    f_t = σ(clip(W_f·z + p_f ⊙ C_{t-1} + b_f + B))         peephole p_f, forget bias B, preact clip
    i_t = σ(clip(W_i·z + p_i ⊙ C_{t-1} + b_i))             cifg instead: i_t = 1 - f_t
    C̃_t = g(clip(W_c·z + b_c))                             g: the cell activation, tanh by default
    C_t = clip(f_t ⊙ C_{t-1} + i_t ⊙ C̃_t, ±cell_clip)
    o_t = σ(clip(W_o·z + p_o ⊙ C_t + b_o))                 the output peephole sees the new C_t
    h_t = W_hr · (o_t ⊙ g(C_t))                            W_hr only with a projection

σ is the gate activation (sigmoid or hard_sigmoid). Terms of options that are
off are simply absent, and so are their fields in the trace.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError, shape_text
from ..weights.model import LSTMWeights
from .activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS, Activation
from .options import CellOptions
from .trace import VariantGateTrace, VariantStepTrace


def lstm_variant_step(
    weights: LSTMWeights,
    x: np.ndarray,
    h_prev: np.ndarray | None = None,
    c_prev: np.ndarray | None = None,
    options: CellOptions = CellOptions(),
    t: int = 1,
) -> VariantStepTrace:
    """One step of lstm, peephole or cifg with `options`; every intermediate kept by name."""
    x, h_prev, c_prev = _inputs(weights, x, h_prev, c_prev)
    gate_act = GATE_ACTIVATIONS[options.gate_activation]  # σ, or hard σ (ONNX f, Keras recurrent_activation)
    cell_act = CELL_ACTIVATIONS[options.cell_activation]  # tanh, or another (ONNX g and h, Keras activation)
    clip = options.preact_clip  # ONNX's clip: every pre-activation, before its activation
    W, b = weights.W, weights.b
    peep = weights.peepholes if options.variant == "peephole" else None

    z = np.concatenate([h_prev, x])  # (P+I,) with a projection, else (H+I,)
    f = _gate(
        W["forget"] @ z, b["forget"], gate_act, clip,
        peephole=_peek(peep, "forget", c_prev),  # peephole: f sees C_{t-1}
        forget_bias=options.forget_bias,  # TensorFlow's forget_bias: added at run time, not stored
    )  # fmt: skip
    if options.variant == "cifg":
        i = VariantGateTrace(preact=None, act=1 - f.act)  # cifg: i = 1 - f, so W_i and b_i are not used
    else:
        i = _gate(W["input"] @ z, b["input"], gate_act, clip, peephole=_peek(peep, "input", c_prev))
    c_tilde = _gate(W["candidate"] @ z, b["candidate"], cell_act, clip)
    keep = f.act * c_prev  # element-wise
    write = i.act * c_tilde.act
    c_unclipped = keep + write
    # cell clip (TensorFlow's cell_clip): C_t itself is clipped, and tanh, o's peephole and the next step see that
    c = c_unclipped if options.cell_clip is None else np.clip(c_unclipped, -options.cell_clip, options.cell_clip)
    o = _gate(W["output"] @ z, b["output"], gate_act, clip, peephole=_peek(peep, "output", c))  # peephole: the new C_t
    c_tanh = cell_act(c)
    h_unprojected = o.act * c_tanh  # (H,)
    # projection (PyTorch's proj_size): h_t = W_hr · h_unprojected, (P,) = (P, H)·(H,)
    h = h_unprojected if weights.projection is None else weights.projection @ h_unprojected

    return VariantStepTrace(
        x=x, h_prev=h_prev, c_prev=c_prev, concat=z,
        forget=f, input=i, candidate=c_tilde, output=o,
        keep=keep, write=write, c=c, c_tanh=c_tanh, h=h, t=t,
        c_unclipped=None if options.cell_clip is None else c_unclipped,
        h_unprojected=None if weights.projection is None else h_unprojected,
    )  # fmt: skip


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
) -> VariantGateTrace:
    preact = wz + bias if peephole is None else wz + peephole + bias  # the bias goes inside the activation
    shift = None
    if forget_bias != 0:
        shift = np.full_like(preact, forget_bias)
        preact = preact + shift
    clipped = None if clip is None else np.clip(preact, -clip, clip)
    act = activation(preact if clipped is None else clipped)
    return VariantGateTrace(
        preact=preact, act=act, wz=wz, bias=bias, peephole=peephole, forget_bias=shift, clipped=clipped
    )


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
