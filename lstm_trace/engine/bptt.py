"""Backpropagation through time for any cell: the cell forward over a sequence, then the gradients back to t = 0.

The loss is L = d_h·h_T + d_c·C_T for the given upstream gradients; the defaults
d_h = ones, d_c = zeros make it L = Σ h_T. The forward pass is `cell_step` step
after step (a recurrence is sequential anyway), the backward pass `cell_backward`
from t = T down to 1, each step handing ∂L/∂hₜ₋₁ (and ∂L/∂Cₜ₋₁ where the cell has
a C) to the one before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..cells.step import cell_backward, cell_step
from ..traces.step import StepTrace


@dataclass(frozen=True)
class ThroughTime:
    steps: tuple[StepTrace, ...]  # t = 1 … T, each with its `backward`
    d_h_norm: np.ndarray  # (T+1,)  ‖∂L/∂hₜ‖ for t = 0 … T
    d_c_norm: np.ndarray | None  # (T+1,)  ‖∂L/∂Cₜ‖ (the whole gradient of Cₜ); None for a GRU
    d_W: dict | None  # gate -> ∂L/∂W_g summed over the steps; None without weight gradients
    d_b: dict  # gate -> ∂L/∂b_g summed over the steps

    @property
    def d_h0(self) -> np.ndarray:
        return self.steps[0].backward.d_h_prev

    @property
    def d_c0(self) -> np.ndarray | None:
        return self.steps[0].backward.d_c_prev


def through_time(
    weights,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    d_h: np.ndarray | None = None,
    d_c: np.ndarray | None = None,
    weight_grads: bool = True,
    cell: CellOptions = PLAIN,
) -> ThroughTime:
    """xs (T, I); h0 (and c0) default to zeros, d_h to ones, d_c to zeros.

    `weight_grads=False` leaves out each step's ∂L/∂W_g, 4·H·(H+I) numbers per step.
    """
    has_c = cell.has_cell_state
    forward, h, c = [], h0, c0
    for t, x in enumerate(xs, start=1):
        step = cell_step(weights, x, h, c if has_c else None, cell, t)
        forward.append(step)
        h, c = step.h, (step.c if has_c else None)
    d_h = np.ones(forward[-1].h.shape[0], weights.dtype) if d_h is None else d_h
    steps = []
    for step in reversed(forward):
        backward = cell_backward(step, weights, d_h, d_c if has_c else None, weight_grads)
        steps.append(step.with_backward(backward))
        d_h, d_c = backward.d_h_prev, backward.d_c_prev
    steps.reverse()
    grads = [step.backward for step in steps]
    # At t = 0 the state only feeds step 1, so its gradients are what step 1 passes back.
    d_h_norm = [np.linalg.norm(grads[0].d_h_prev), *(np.linalg.norm(g.d_h) for g in grads)]
    d_c_norm = None
    if has_c:  # ∂L/∂Cₜ in total is what step t+1 passed back plus what hₜ sent: `d_c` of step t
        d_c_norm = np.array([np.linalg.norm(grads[0].d_c_prev), *(np.linalg.norm(g.d_c) for g in grads)])
    gates = [name for name, grad in grads[0].gates.items() if grad.d_b is not None]
    d_W = {g: sum(b.gates[g].d_W for b in grads) for g in gates} if weight_grads else None
    d_b = {g: sum(b.gates[g].d_b for b in grads) for g in gates}
    return ThroughTime(tuple(steps), np.array(d_h_norm), d_c_norm, d_W, d_b)
