"""The arithmetic behind `explain`'s worked examples, computed here so renderers only draw.

`unit_sum` spells out one unit's pre-activation term by term; `Contrast` reruns
the same inputs with random weights to show where the identity preset's
shortcut (W·z = h + x) and the pitfalls (σ(W·z) + b) part ways with the cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .cells.activations import CELL_ACTIVATIONS, GATE_ACTIVATIONS, sigmoid
from .cells.lstm import lstm_step
from .stages import GATES
from .traces import StepTrace
from .weights import LSTMWeights


@dataclass(frozen=True)
class UnitSum:
    """W_g[j, :]·z + b_g[j] written out: the terms with a non-zero weight, and the totals."""

    gate: str
    unit: int
    columns: np.ndarray  # indices k into z where W_g[j, k] ≠ 0
    weights: np.ndarray  # W_g[j, k] for those k
    inputs: np.ndarray  # z_k for those k
    wz: float
    bias: float
    preact: float
    act: float


def unit_sum(weights: LSTMWeights, step: StepTrace, gate: str, unit: int = 0) -> UnitSum:
    row = weights.W[gate][unit]  # (H+I,)
    columns = np.flatnonzero(row)
    gate_trace = step.gate(gate)
    return UnitSum(
        gate=gate,
        unit=unit,
        columns=columns,
        weights=row[columns],
        inputs=step.concat[columns],
        wz=float(gate_trace.wz[unit]),
        bias=float(gate_trace.bias[unit]),
        preact=float(gate_trace.preact[unit]),
        act=float(gate_trace.act[unit]),
    )


@dataclass(frozen=True)
class Contrast:
    """The same h, x, C through random weights, beside the two shortcuts learners take."""

    weights_source: str
    step: StepTrace  # the real cell with random weights
    activation_of_sum: dict[str, np.ndarray] | None  # act(h_{t-1} + x_t) per gate: the shortcut; None if H ≠ I
    bias_outside: dict[str, np.ndarray]  # σ(W_g·z) + b_g per sigmoid gate: the misplaced bias


def contrast(step: StepTrace, random_weights: LSTMWeights) -> Contrast:
    other = lstm_step(random_weights, step.x, step.h_prev, step.c_prev)
    same_size = step.hidden_size == step.input_size
    return Contrast(
        weights_source=f"random weights (seed {random_weights.provenance.get('seed', 0)})",
        step=other,
        activation_of_sum={gate.name: {**GATE_ACTIVATIONS, **CELL_ACTIVATIONS}[gate.activation](step.h_prev + step.x) for gate in GATES}
        if same_size
        else None,
        bias_outside={
            gate: sigmoid(other.gate(gate).wz) + other.gate(gate).bias for gate in ("forget", "input", "output")
        },
    )
