"""The squashing functions of the cell family, each beside its slope.

σ and tanh are the plain LSTM's. The others are what frameworks offer instead:
hard_sigmoid is ONNX's HardSigmoid with its defaults (alpha 0.2, beta 0.5) and
the one old tf.keras models used as recurrent_activation: clip(0.2·x + 0.5, 0, 1).
Keras 3 changed its hard_sigmoid to relu6(x + 3) / 6 (slope 1/6); a model trained
with that one needs its own definition.

A slope takes the value the activation saw (a) and the value it gave (y), so the
backward pass can use y where that is cheaper (σ′ = s(1 − s), tanh′ = 1 − t²). At a
kink the slope is PyTorch's: relu′(0) = 0 (torch.relu).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Activation = Callable[[np.ndarray], np.ndarray]
Slope = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (input a, output y) -> dy/da


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^-x), computed without overflow for any |x|.

    Only e^-|x| is ever evaluated, so ±1000 gives exactly 0 or 1 and no warning.
    """
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_slope(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    return s * (1 - s)


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """clip(0.2·x + 0.5, 0, 1): a straight line through (0, 0.5), flat at 0 below -2.5 and at 1 above 2.5."""
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def hard_sigmoid_slope(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """0.2 on the straight part, 0 where it is flat."""
    line = 0.2 * a + 0.5
    return np.where((line >= 0) & (line <= 1), 0.2, 0.0).astype(a.dtype)


def tanh_slope(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    return 1 - t**2


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def relu_slope(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a > 0).astype(a.dtype)


def softsign(x: np.ndarray) -> np.ndarray:
    """x / (1 + |x|): like tanh in (-1, 1), but approaching ±1 slowly."""
    return x / (1.0 + np.abs(x))


def softsign_slope(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/da a / (1 + |a|) = 1 / (1 + |a|)²."""
    return 1 / (1 + np.abs(a)) ** 2


GATE_ACTIVATIONS: dict[str, Activation] = {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid}
CELL_ACTIVATIONS: dict[str, Activation] = {"tanh": np.tanh, "relu": relu, "softsign": softsign}
GATE_SLOPES: dict[str, Slope] = {"sigmoid": sigmoid_slope, "hard_sigmoid": hard_sigmoid_slope}
CELL_SLOPES: dict[str, Slope] = {"tanh": tanh_slope, "relu": relu_slope, "softsign": softsign_slope}


# ── Backward helpers: a block's slope and its matrix product, used by every cell's backward pass ──


def clip_pass(value: np.ndarray, bound: float | None) -> np.ndarray | None:
    """1 where clip(value, −V, V) lets the gradient through (−V ≤ value ≤ V, as torch.clamp), else 0; None without a clip."""
    if bound is None:
        return None
    return ((value >= -bound) & (value <= bound)).astype(value.dtype)


def gate_local(gate, slope: Slope, clip: float | None) -> np.ndarray:
    """A block's slope from its pre-activation to its value: act′ at what act saw, zero where the clip held."""
    seen = gate.preact if gate.clipped is None else gate.clipped
    local = slope(seen, gate.act)
    held = clip_pass(gate.preact, clip)
    return local if held is None else local * held


def block_backward(W_g, inputs, d_act, local, delta_g, weight_grads: bool) -> dict[str, np.ndarray]:
    """W_g·inputs + b_g backwards: ∂L/∂W_g = δ_g inputsᵀ (when asked for), ∂L/∂b_g = δ_g, W_gᵀδ_g sent back."""
    grads = {"d_act": d_act, "local": local, "d_preact": delta_g}
    if weight_grads:  # a long sequence needs H·len(inputs) numbers per step for these
        grads["d_W"] = np.outer(delta_g, inputs)  # (H, len inputs)
    grads["d_b"] = delta_g
    grads["d_z"] = W_g.T @ delta_g  # (len inputs,)
    return grads
