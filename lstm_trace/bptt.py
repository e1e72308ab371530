"""Backpropagation through time: the cell over a sequence, then the gradients back to t = 0.

The loss is L = d_h·h_T + d_c·C_T for the given upstream gradients; the
defaults d_h = ones, d_c = zeros make it L = Σ h_T. The forward pass is the
plain cell step after step (a recurrence is sequential anyway), the backward
pass `lstm_step_backward` from t = T down to 1, each step handing ∂L/∂hₜ₋₁ and
∂L/∂Cₜ₋₁ to the one before.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .backward import lstm_step_backward
from .cells.lstm import lstm_step
from .traces import StepTrace
from .weights.model import LSTMWeights


@dataclass(frozen=True)
class ThroughTime:
    steps: tuple[StepTrace, ...]  # t = 1 … T, each with its `backward`
    d_h_norm: np.ndarray  # (T+1,)  ‖∂L/∂h_t‖ for t = 0 … T
    d_c_norm: np.ndarray  # (T+1,)  ‖∂L/∂C_t‖ for t = 0 … T: the whole gradient of C_t


def lstm_through_time(
    weights: LSTMWeights,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    d_h_last: np.ndarray | None = None,
    d_c_last: np.ndarray | None = None,
    weight_grads: bool = True,
) -> ThroughTime:
    """xs is (T, I); h0, c0 default to zeros, d_h_last to ones and d_c_last to zeros.

    `weight_grads=False` leaves out each step's ∂L/∂W_g, 4·H·(H+I) numbers per step.
    """
    H = weights.hidden_size
    forward = []
    h, c = h0, c0
    for t, x in enumerate(xs, start=1):
        step = lstm_step(weights, x, h, c, t=t)
        forward.append(step)
        h, c = step.h, step.c

    d_h = np.ones(H, weights.dtype) if d_h_last is None else d_h_last
    d_c = d_c_last
    steps = []
    for step in reversed(forward):
        backward = lstm_step_backward(step, weights, d_h, d_c, weight_grads)
        steps.append(step.with_backward(backward))
        d_h, d_c = backward.d_h_prev, backward.d_c_prev
    steps.reverse()

    first = steps[0].backward
    # At t = 0 the state only feeds step 1, so its gradients are what step 1 passes back.
    d_h_norm = [np.linalg.norm(first.d_h_prev), *(np.linalg.norm(s.backward.d_h) for s in steps)]
    d_c_norm = [np.linalg.norm(first.d_c_prev), *(np.linalg.norm(s.backward.d_c) for s in steps)]
    return ThroughTime(steps=tuple(steps), d_h_norm=np.array(d_h_norm), d_c_norm=np.array(d_c_norm))
