"""The arithmetic behind the variant pages' worked examples, computed here so renderers only draw.

`plain_comparison` reruns the same inputs through the plain LSTM, so a page can
put the variant's numbers beside the cell the learner already knows;
`worked_unit` picks the unit to spell out; `projection_sum` spells out one unit
of hₜ = W_hr·mₜ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cells.lstm import lstm_step
from ..traces import StepTrace
from ..tracer import StepInputs
from ..weights import LSTMWeights, presets


@dataclass(frozen=True)
class PlainComparison:
    label: str  # which plain LSTM: "the plain LSTM with the same W_g and b_g"
    step: StepTrace


def plain_comparison(inputs: StepInputs) -> PlainComparison | None:
    """The plain LSTM on the same h, x (and C); None where no plain cell fits (a projection, GRU file weights)."""
    cell, weights = inputs.cell, inputs.weights
    if cell.proj_size is not None:
        return None  # h has P entries: no plain cell takes it
    if cell.variant == "gru":
        source = weights.provenance.get("source")
        H, I = weights.hidden_size, weights.input_size
        if source == "random":
            plain = presets.random(H, I, int(weights.provenance.get("seed", 0)))
        elif source in presets.PRESETS:
            plain = presets.PRESETS[source](H, I)
        else:
            return None
        label = f"a plain LSTM with the {source} preset and C_(t-1) = 0"
        c_prev = np.zeros(H)
    else:
        plain = LSTMWeights(W=weights.W, b=weights.b, provenance=weights.provenance)  # no peepholes, no options
        label = "the plain LSTM with the same W_g and b_g"
        c_prev = inputs.c_prev
    step = lstm_step(plain.astype(str(weights.dtype)), inputs.x, inputs.h_prev, c_prev)
    return PlainComparison(label, step)


def worked_unit(step) -> int:
    """The first unit whose hₜ₋₁ (and Cₜ₋₁) are non-zero, so the terms a variant adds are not all zero.

    The seed question has hₜ₋₁[0] = 0, which would hide the GRU's reset of the hidden side.
    """
    h_prev, c_prev = step.h_prev, getattr(step, "c_prev", None)
    units = range(min(len(h_prev), step.hidden_size))  # with a projection only the first P units have an h entry
    both = [j for j in units if h_prev[j] != 0 and (c_prev is None or c_prev[j] != 0)]
    either = [j for j in units if h_prev[j] != 0]
    return (both or either or [0])[0]


@dataclass(frozen=True)
class ProjectionSum:
    """hₜ[j] = W_hr[j, :]·mₜ written out."""

    unit: int
    weights: np.ndarray  # W_hr[j, :]  (H,)
    inputs: np.ndarray  # mₜ  (H,)
    h: float


def projection_sum(weights: LSTMWeights, step: StepTrace, unit: int = 0) -> ProjectionSum | None:
    if weights.projection is None:
        return None
    unit = unit if unit < weights.h_size else 0  # hₜ has only P units
    return ProjectionSum(unit, weights.projection[unit], step.h_unprojected, float(step.h[unit]))
