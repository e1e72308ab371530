"""`cell_step`: one step of whichever cell `CellOptions` names, after checking the weights fit it.

The one entry point for everything that steps a cell by its configuration
(step, run's detail, grad): an LSTM of any options goes to `lstm.lstm_step`, a
GRU to `gru.gru_step`.
"""

from __future__ import annotations

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import UsageError
from ..traces.step import StepTrace
from ..traces.step import BackwardTrace
from ..weights.gru_weights import GRUWeights
from ..weights.lstm_weights import LSTMWeights
from .gru import gru_backward, gru_step
from .lstm import lstm_backward, lstm_step


def cell_step(
    weights: LSTMWeights | GRUWeights,
    x: np.ndarray,
    h_prev: np.ndarray | None = None,
    c_prev: np.ndarray | None = None,
    cell: CellOptions = PLAIN,
    t: int = 1,
) -> StepTrace:
    """The step of `cell` on these weights and inputs, with every intermediate."""
    check_weights_fit(cell.check(), weights)
    if cell.variant == "gru":
        if c_prev is not None:
            raise UsageError("A GRU has no cell state C, so it takes no C_(t-1) (--c); its memory is h alone.")
        return gru_step(weights, x, h_prev, cell, t)
    return lstm_step(weights, x, h_prev, c_prev, cell, t)


def cell_backward(
    step: StepTrace,
    weights: LSTMWeights | GRUWeights,
    d_h: np.ndarray,
    d_c: np.ndarray | None = None,
    weight_grads: bool = True,
) -> BackwardTrace:
    """The backward pass of `step` (what `cell_step` returned for these weights), for ∂L/∂hₜ and ∂L/∂Cₜ."""
    if step.cell.variant == "gru":
        if d_c is not None:
            raise UsageError("A GRU has no cell state C, so there is no ∂L/∂C (--dc) to pass back.")
        return gru_backward(step, weights, d_h, weight_grads)
    return lstm_backward(step, weights, d_h, d_c, weight_grads)


def check_weights_fit(cell: CellOptions, weights: LSTMWeights | GRUWeights) -> None:
    """The weights must hold what the variant uses: GRU blocks, peepholes, a projection of the stated size."""
    source = f"the weights ({weights.provenance.get('source', 'given in Python')})"
    if cell.variant == "gru":
        if not isinstance(weights, GRUWeights):
            raise UsageError(
                f"--variant gru needs GRU weights (W_r, W_z, W_n, b_r, b_z, b_in, b_hn); {source} are LSTM weights."
            )
        return
    if not isinstance(weights, LSTMWeights):
        raise UsageError(f"--variant {cell.variant} needs LSTM weights; {source} are GRU weights: add --variant gru.")
    if cell.variant == "peephole" and weights.peepholes is None:
        raise UsageError(
            f"--variant peephole needs peephole weights p_f, p_i, p_o (each H = {weights.hidden_size} entries), "
            f"and {source} have none. Add them to the weights file, or use a preset (identity, zeros, random)."
        )
    P = None if weights.projection is None else weights.h_size
    if cell.proj_size != P:
        if P is None:
            raise UsageError(
                f"--proj-size {cell.proj_size} needs a projection W_hr ({cell.proj_size} × H), and {source} "
                f"have none. Use a preset (identity, zeros, random), or a weights file with W_hr."
            )
        raise UsageError(
            f"{source.capitalize()} project h to P = {P} entries (W_hr is {P} × {weights.hidden_size}), "
            f"so the cell needs --proj-size {P} (proj_size={P}), not {cell.proj_size}."
        )
    cell.check_sizes(weights.hidden_size)
