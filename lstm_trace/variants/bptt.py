"""Backpropagation through time for any cell: `cell_step` forwards, `variant_step_backward` back.

The loss is L = d_h·h_T + d_c·C_T, as for the plain cell (`lstm_trace.bptt`); each step
hands ∂L/∂hₜ₋₁ (and ∂L/∂Cₜ₋₁ for the LSTM family) to the one before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backward import variant_step_backward
from .backward_trace import VariantBackward
from ..cells.options import CellOptions
from ..cells.step import cell_step


@dataclass(frozen=True)
class VariantThroughTime:
    steps: tuple  # t = 1 … T: the forward step traces
    backward: tuple[VariantBackward, ...]  # t = 1 … T: each step's gradients
    d_h_norm: np.ndarray  # (T+1,)  ‖∂L/∂hₜ‖ for t = 0 … T
    d_c_norm: np.ndarray | None  # (T+1,)  ‖∂L/∂Cₜ‖ (the whole gradient of Cₜ); None for a GRU
    d_W: dict | None  # gate -> ∂L/∂W_g summed over the steps; None without weight gradients
    d_b: dict  # gate -> ∂L/∂b_g summed over the steps

    @property
    def d_h0(self) -> np.ndarray:
        return self.backward[0].d_h_prev

    @property
    def d_c0(self) -> np.ndarray | None:
        return self.backward[0].d_c_prev


def variant_through_time(
    weights,
    cell: CellOptions,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    d_h: np.ndarray | None = None,
    d_c: np.ndarray | None = None,
    weight_grads: bool = True,
) -> VariantThroughTime:
    """xs (T, I); h0 (and c0) default to zeros, d_h to ones, d_c to zeros."""
    has_c = cell.has_cell_state
    forward, h, c = [], h0, c0
    for t, x in enumerate(xs, start=1):
        step = cell_step(weights, x, h, c if has_c else None, cell, t)
        forward.append(step)
        h, c = step.h, (step.c if has_c else None)
    d_h = np.ones(forward[-1].h.shape[0], weights.dtype) if d_h is None else d_h
    backward = []
    for step in reversed(forward):
        grads = variant_step_backward(step, weights, cell, d_h, d_c if has_c else None, weight_grads)
        backward.append(grads)
        d_h, d_c = grads.d_h_prev, grads.d_c_prev
    backward.reverse()
    d_h_norm = [np.linalg.norm(backward[0].d_h_prev), *(np.linalg.norm(g.d_h) for g in backward)]
    d_c_norm = None
    if has_c:  # ∂L/∂Cₜ in total is what step t+1 passed back plus what hₜ sent: `d_c` of step t
        d_c_norm = np.array([np.linalg.norm(backward[0].d_c_prev), *(np.linalg.norm(g.d_c) for g in backward)])
    gates = [name for name, grad in backward[0].gates.items() if grad.d_b is not None]
    d_W = {g: sum(b.gates[g].d_W for b in backward) for g in gates} if weight_grads else None
    d_b = {g: sum(b.gates[g].d_b for b in backward) for g in gates}
    return VariantThroughTime(tuple(forward), tuple(backward), np.array(d_h_norm), d_c_norm, d_W, d_b)
