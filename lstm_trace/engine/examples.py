"""The arithmetic behind `explain`'s worked examples, computed here so renderers only draw.

For the unit it spells out (`worked_unit`): each LSTM gate's W_g[j, :]·z term by term
(`UnitSum`), the same inputs through random weights of the same kind of cell beside the
two shortcuts learners take (`Contrast`: act(hₜ₋₁ + xₜ), and the bias outside the
activation), the plain LSTM on the same inputs for a cell with options
(`PlainComparison`), and one unit of a projection hₜ = W_hr·mₜ (`ProjectionSum`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cell_options import PLAIN
from ..cells.activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS
from ..cells.lstm import lstm_step
from ..cells.step import cell_step
from ..stages import GATES
from ..traces.step import StepTrace
from ..weights import LSTMWeights, presets
from ..weights.presets import lstm_preset
from .step import StepInputs


@dataclass(frozen=True)
class UnitSum:
    """W_g[j, :]·z + b_g[j] written out: the terms with a non-zero weight, and the totals."""

    gate: str
    unit: int
    columns: np.ndarray  # indices k into z where W_g[j, k] ≠ 0
    weights: np.ndarray  # W_g[j, k] for those k
    inputs: np.ndarray  # z_k for those k
    wz: float


@dataclass(frozen=True)
class Contrast:
    """The same h, x, C through random weights, beside the two shortcuts learners take."""

    weights_source: str
    step: StepTrace  # the same kind of cell with random weights
    activation_of_sum: dict[str, np.ndarray] | None  # act(h_{t-1} + x_t) per gate: the shortcut; None if H ≠ I
    bias_outside: dict[str, np.ndarray]  # σ(W_g·z) + b_g per sigmoid gate: the misplaced bias


@dataclass(frozen=True)
class PlainComparison:
    label: str  # which plain LSTM: "the plain LSTM with the same W_g and b_g"
    step: StepTrace


@dataclass(frozen=True)
class ProjectionSum:
    """hₜ[j] = W_hr[j, :]·mₜ written out."""

    unit: int
    weights: np.ndarray  # W_hr[j, :]  (H,)
    inputs: np.ndarray  # mₜ  (H,)
    h: float


@dataclass(frozen=True)
class WorkedExample:
    """Everything `explain` spells out for one step, for any stage."""

    unit: int
    sums: dict[str, UnitSum]  # gate -> its W_g[j, :]·z, for the gates with weights of their own
    contrast: Contrast | None  # for an LSTM's gates
    comparison: PlainComparison | None  # for a cell with options: the plain LSTM on the same inputs
    projection: ProjectionSum | None


def worked_example(inputs: StepInputs, step: StepTrace, seed: int) -> WorkedExample:
    unit = worked_unit(step)
    weights, lstm = inputs.weights, step.cell.has_cell_state
    sums = {gate.name: unit_sum(weights, step, gate.name, unit) for gate in GATES if lstm and step[f"{gate.name}.wz"] is not None}
    return WorkedExample(
        unit=unit,
        sums=sums,
        contrast=contrast(step, _random_like(weights, step, seed)) if lstm else None,
        comparison=None if step.cell == PLAIN else plain_comparison(inputs),
        projection=projection_sum(weights, step, unit) if lstm else None,
    )


def worked_unit(step: StepTrace) -> int:
    """Unit 0, unless a term the cell adds is zero there: then the first unit where it is not.

    A peephole reads Cₜ₋₁ and a GRU resets hₜ₋₁; the seed question has hₜ₋₁[0] = 0 and Cₜ₋₁ = 0,
    which would hide them.
    """
    needs = []
    if step["forget.peephole"] is not None:
        needs.append(step.c_prev)
    if step["reset.act"] is not None:
        needs.append(step.h_prev)
    units = range(min(len(step.h_prev), step.hidden_size))  # with a projection only the first P units have an h entry
    both = [j for j in units if all(need[j] != 0 for need in needs)]
    either = [j for j in units if any(need[j] != 0 for need in needs)]
    return (both or either or [0])[0]


def unit_sum(weights: LSTMWeights, step: StepTrace, gate: str, unit: int = 0) -> UnitSum:
    row = weights.W[gate][unit]  # (H+I,)
    columns = np.flatnonzero(row)
    return UnitSum(gate, unit, columns, row[columns], step.concat[columns], float(step.gate(gate).wz[unit]))


def contrast(step: StepTrace, random_weights: LSTMWeights) -> Contrast:
    cell = step.cell
    other = cell_step(random_weights, step.x, step.h_prev, step.c_prev, cell)
    same_size = len(step.h_prev) == len(step.x)
    activations = {"sigmoid": GATE_ACTIVATIONS[cell.gate_activation], "tanh": CELL_ACTIVATIONS[cell.cell_activation]}
    return Contrast(
        weights_source=f"random weights (seed {random_weights.provenance.get('seed', 0)})",
        step=other,
        activation_of_sum={gate.name: activations[gate.activation](step.h_prev + step.x) for gate in GATES}
        if same_size
        else None,
        bias_outside={
            gate: activations["sigmoid"](other.gate(gate).wz) + other.gate(gate).bias
            for gate in ("forget", "input", "output")
            if other.gate(gate).wz is not None  # cifg's input gate has no weights
        },
    )


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


def projection_sum(weights: LSTMWeights, step: StepTrace, unit: int = 0) -> ProjectionSum | None:
    if weights.projection is None:
        return None
    unit = unit if unit < weights.h_size else 0  # hₜ has only P units
    return ProjectionSum(unit, weights.projection[unit], step.h_unprojected, float(step.h[unit]))


def _random_like(weights: LSTMWeights, step: StepTrace, seed: int) -> LSTMWeights:
    """Random weights for the same kind of cell (peepholes, a projection) and sizes, in the same dtype."""
    cell = step.cell
    made = lstm_preset("random", weights.hidden_size, weights.input_size, seed,
                       peepholes=cell.variant == "peephole", proj_size=cell.proj_size)  # fmt: skip
    return made.astype(str(weights.dtype))
