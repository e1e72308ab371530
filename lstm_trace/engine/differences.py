"""What-if: how two traces of the same cell size differ, stage by stage and unit by unit.

Δ = B − A for every named quantity, grouped by the stage that computes it (the
inputs hₜ₋₁, xₜ, Cₜ₋₁ form a group of their own, so the change that was made shows
first). The biggest movers are the largest |Δ| among what the stages produce
(gate activations and states, not the pre-activation parts), which answers
"which gate reacted?".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import DataError
from ..stages import INPUT_QUANTITIES, QUANTITIES, STAGES
from ..traces.step import StepTrace, Trace

INPUTS_GROUP = "inputs"
MOVERS = 5


@dataclass(frozen=True)
class QuantityDiff:
    name: str  # a dotted name from stages.QUANTITIES: "forget.act"
    a: np.ndarray  # (n,)
    b: np.ndarray  # (n,)
    delta: np.ndarray  # (n,)  b − a
    max_abs: float  # the largest |Δ|
    unit: int  # where it is
    norm: float  # ‖Δ‖₂

    @property
    def changed(self) -> bool:
        return self.max_abs > 0


@dataclass(frozen=True)
class StageDiff:
    stage: str  # a stage name, or "inputs"
    quantities: tuple[QuantityDiff, ...]

    @property
    def headline(self) -> QuantityDiff:
        """What the stage hands on: z, a gate's activation, Cₜ, hₜ (its last own quantity)."""
        return self.quantities[-1]

    @property
    def size(self) -> float:
        return max(q.max_abs for q in self.quantities)


@dataclass(frozen=True)
class Mover:
    quantity: str
    unit: int
    a: float
    b: float
    delta: float


@dataclass(frozen=True)
class StepDiff:
    t: int
    stages: tuple[StageDiff, ...]
    movers: tuple[Mover, ...]  # largest |Δ| first; unchanged values never appear


@dataclass(frozen=True)
class Side:
    """Where one trace came from, as the renderer shows it."""

    label: str  # the file name
    title: str | None
    dtype: str
    weights: Mapping[str, Any]


@dataclass(frozen=True)
class TraceDiff:
    hidden_size: int
    input_size: int
    a: Side
    b: Side
    steps: tuple[StepDiff, ...]

    @property
    def identical(self) -> bool:
        return all(not q.changed for step in self.steps for stage in step.stages for q in stage.quantities)


def stage_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(group, quantity names) in the order of the computation; each quantity in exactly one group."""
    groups = [(INPUTS_GROUP, INPUT_QUANTITIES)]
    claimed = set(INPUT_QUANTITIES)
    for stage in STAGES:
        own = tuple(name for name in stage.columns if name not in claimed)
        claimed.update(own)
        groups.append((stage.name, own))
    return tuple(groups)


def is_reaction(name: str) -> bool:
    """A value the cell computes from its inputs: an activation, keep, write, Cₜ, tanh(Cₜ), hₜ.
    (z only restates hₜ₋₁ and xₜ; W·z, b and the pre-activation are the parts of an activation.)"""
    return name not in (*INPUT_QUANTITIES, "concat") and name.partition(".")[2] in ("", "act")


def diff_traces(a: Trace, b: Trace, a_label: str = "A", b_label: str = "B", movers: int = MOVERS) -> TraceDiff:
    _check_comparable(a, b, a_label, b_label)
    steps = tuple(_diff_step(step_a, step_b, movers) for step_a, step_b in zip(a.steps, b.steps))
    return TraceDiff(
        hidden_size=a.hidden_size,
        input_size=a.input_size,
        a=Side(a_label, a.title, a.dtype, a.weights),
        b=Side(b_label, b.title, b.dtype, b.weights),
        steps=steps,
    )


def _diff_step(a: StepTrace, b: StepTrace, movers: int) -> StepDiff:
    stages = []
    for group, names in stage_groups():
        # wz and bias are optional in a trace: compare them only where both traces have them
        quantities = tuple(_diff_quantity(name, a[name], b[name]) for name in names if a[name] is not None and b[name] is not None)
        if quantities:
            stages.append(StageDiff(group, quantities))
    return StepDiff(t=a.t, stages=tuple(stages), movers=_movers(stages, movers))


def _diff_quantity(name: str, a: np.ndarray, b: np.ndarray) -> QuantityDiff:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)  # float32 against float64 compares in float64
    delta = b64 - a64
    unit = int(np.argmax(np.abs(delta)))
    return QuantityDiff(
        name=name, a=a64, b=b64, delta=delta,
        max_abs=float(abs(delta[unit])), unit=unit, norm=float(np.linalg.norm(delta)),
    )  # fmt: skip


def _movers(stages: list[StageDiff], count: int) -> tuple[Mover, ...]:
    candidates = [
        Mover(q.name, int(unit), float(q.a[unit]), float(q.b[unit]), float(q.delta[unit]))
        for stage in stages
        for q in stage.quantities
        if is_reaction(q.name)
        for unit in np.flatnonzero(q.delta)
    ]
    # Largest |Δ| first; ties keep the order of the computation.
    return tuple(sorted(candidates, key=lambda mover: -abs(mover.delta))[:count])


def _check_comparable(a: Trace, b: Trace, a_label: str, b_label: str) -> None:
    # Variants (issue 6): the stage groups here are the LSTM's; a GRU step has no C, f, i or o.
    if a.cell != b.cell:
        options_a, options_b = a.cell.to_dict(), b.cell.to_dict()
        differ = ", ".join(f"{key} {options_a[key]!r} against {options_b[key]!r}" for key in options_a if options_a[key] != options_b[key])
        raise DataError(
            f"Cannot compare the traces: A ({a_label}) and B ({b_label}) were made by different cells ({differ})."
        )
    if a.variant == "gru":
        raise DataError("diff compares LSTM traces (plain, peephole, cifg); it cannot compare GRU traces yet.")
    shape_a = (a.hidden_size, a.input_size, len(a.steps))
    shape_b = (b.hidden_size, b.input_size, len(b.steps))
    if shape_a != shape_b:
        raise DataError(
            f"Cannot compare the traces: A ({a_label}) has {_sizes(*shape_a)}, but B ({b_label}) has "
            f"{_sizes(*shape_b)}. A diff sets the same cell's values side by side, unit by unit, so both "
            "traces need the same hidden size H, input size I and number of steps."
        )


def _sizes(hidden: int, inputs: int, steps: int) -> str:
    return f"H = {hidden}, I = {inputs} and {steps} step{'s' if steps != 1 else ''}"


def diff_to_dict(diff: TraceDiff) -> dict[str, Any]:
    """The diff as JSON-ready data (`--json`): every Δ in full precision."""

    def side(s: Side) -> dict[str, Any]:
        return {"file": s.label, "title": s.title, "dtype": s.dtype, "weights": dict(s.weights)}

    return {
        "format": "lstm-trace-diff/1",
        "hidden_size": diff.hidden_size,
        "input_size": diff.input_size,
        "a": side(diff.a),
        "b": side(diff.b),
        "identical": diff.identical,
        "steps": [
            {
                "t": step.t,
                "stages": [
                    {
                        "stage": stage.stage,
                        "size": stage.size,
                        "quantities": {
                            q.name: {"delta": q.delta.tolist(), "max_abs": q.max_abs, "unit": q.unit, "norm": q.norm}
                            for q in stage.quantities
                        },
                    }
                    for stage in step.stages
                ],
                "biggest_movers": [
                    {"quantity": m.quantity, "symbol": QUANTITIES[m.quantity].symbol, "unit": m.unit,
                     "a": m.a, "b": m.b, "delta": m.delta}
                    for m in step.movers
                ],  # fmt: skip
            }
            for step in diff.steps
        ],
    }
