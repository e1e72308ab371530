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
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import UsageError, shape_text
from .trace import GateTrace, StepTrace
from .weights.model import LSTMWeights


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed without overflow for any |x|.

    Only e^-|x| is ever evaluated, so ±1000 gives exactly 0 or 1 and no warning.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {"sigmoid": sigmoid, "tanh": np.tanh}


def _gate(wz: np.ndarray, bias: np.ndarray, activation: Callable[[np.ndarray], np.ndarray]) -> GateTrace:
    preact = wz + bias  # the bias goes inside the activation
    return GateTrace(preact=preact, act=activation(preact), wz=wz, bias=bias)


def lstm_step(
    weights: LSTMWeights,
    x: np.ndarray,
    h_prev: np.ndarray | None = None,
    c_prev: np.ndarray | None = None,
    t: int = 1,
) -> StepTrace:
    """Run one LSTM step and keep every intermediate.

    `x` has I entries, `h_prev` and `c_prev` H entries (zeros when omitted).
    Arrays are cast to the weights' dtype. Returns a `StepTrace`.
    """
    W, b = weights.W, weights.b
    dtype = weights.dtype
    x = np.asarray(x, dtype=dtype)
    h_prev = np.zeros(weights.hidden_size, dtype) if h_prev is None else np.asarray(h_prev, dtype)
    c_prev = np.zeros(weights.hidden_size, dtype) if c_prev is None else np.asarray(c_prev, dtype)
    _check_shapes(weights, x, h_prev, c_prev)

    z = np.concatenate([h_prev, x])  # (H+I,)  a concatenation, not an addition
    f = _gate(W["forget"] @ z, b["forget"], sigmoid)
    i = _gate(W["input"] @ z, b["input"], sigmoid)
    c_tilde = _gate(W["candidate"] @ z, b["candidate"], np.tanh)
    o = _gate(W["output"] @ z, b["output"], sigmoid)
    keep = f.act * c_prev  # element-wise
    write = i.act * c_tilde.act
    c = keep + write
    c_tanh = np.tanh(c)
    h = o.act * c_tanh

    return StepTrace(
        x=x, h_prev=h_prev, c_prev=c_prev, concat=z,
        forget=f, input=i, candidate=c_tilde, output=o,
        keep=keep, write=write, c=c, c_tanh=c_tanh, h=h, t=t,
    )  # fmt: skip


def _check_shapes(weights: LSTMWeights, x: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray) -> None:
    H, I = weights.hidden_size, weights.input_size
    expected = {"x": (I,), "h_prev": (H,), "c_prev": (H,)}
    for name, value in (("x", x), ("h_prev", h_prev), ("c_prev", c_prev)):
        if value.shape != expected[name]:
            raise UsageError(
                f"{name} has shape {shape_text(value.shape)}, but the weights ({weights.source}) "
                f"have hidden size H = {H} and input size I = {I}, so {name} must have shape "
                f"{shape_text(expected[name])}."
            )
