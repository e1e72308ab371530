"""The slopes of the variants' squashing functions and clips, for their backward passes.

Each slope is taken at the value the activation saw (after any clip) and, where it
helps, from the activation's output, as `backward.py` does for the plain cell
(σ′ = s(1 − s), tanh′ = 1 − t²). At a kink the slope is PyTorch's: a clip passes
the gradient on its closed interval [−V, V] (torch.clamp), relu′(0) = 0 (torch.relu).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..backward_trace import GateGrad

# (input a, output y) -> dy/da
Slope = Callable[[np.ndarray, np.ndarray], np.ndarray]


def sigmoid_slope(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    return s * (1 - s)


def hard_sigmoid_slope(a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """clip(0.2·a + 0.5, 0, 1): 0.2 on the straight part, 0 where it is flat."""
    line = 0.2 * a + 0.5
    return np.where((line >= 0) & (line <= 1), 0.2, 0.0).astype(a.dtype)


def tanh_slope(a: np.ndarray, t: np.ndarray) -> np.ndarray:
    return 1 - t**2


def relu_slope(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (a > 0).astype(a.dtype)


def softsign_slope(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """d/da a / (1 + |a|) = 1 / (1 + |a|)²."""
    return 1 / (1 + np.abs(a)) ** 2


GATE_SLOPES: dict[str, Slope] = {"sigmoid": sigmoid_slope, "hard_sigmoid": hard_sigmoid_slope}
CELL_SLOPES: dict[str, Slope] = {"tanh": tanh_slope, "relu": relu_slope, "softsign": softsign_slope}


def clip_pass(value: np.ndarray, bound: float | None) -> np.ndarray | None:
    """1 where clip(value, −V, V) lets the gradient through (−V ≤ value ≤ V), else 0; None without a clip."""
    if bound is None:
        return None
    return ((value >= -bound) & (value <= bound)).astype(value.dtype)


def gate_local(gate, slope: Slope, clip: float | None) -> np.ndarray:
    """A gate's slope from its pre-activation to its value: act′ at what act saw, zero where the clip held."""
    clipped = getattr(gate, "clipped", None)  # a plain GateTrace has no such field
    seen = gate.preact if clipped is None else clipped
    local = slope(seen, gate.act)
    held = clip_pass(gate.preact, clip)
    return local if held is None else local * held


def block_backward(W_g, inputs, d_act, local, delta_g, weight_grads: bool) -> GateGrad:
    """W_g·inputs + b_g backwards: ∂L/∂W_g = δ_g inputsᵀ (when asked for), ∂L/∂b_g = δ_g, W_gᵀδ_g sent back."""
    d_W_g = np.outer(delta_g, inputs) if weight_grads else None  # (H, len inputs)
    return GateGrad(d_preact=delta_g, d_W=d_W_g, d_b=delta_g, d_act=d_act, local=local, d_z=W_g.T @ delta_g)
