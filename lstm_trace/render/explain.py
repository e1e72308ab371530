"""`explain`: what a stage does, why, its equation and shapes, the mistake it clears up,
and a worked example with real numbers. All words come from `stages.py`."""

from __future__ import annotations

from rich.console import RenderableType
from rich.panel import Panel
from rich.text import Text

from ..stages import GATE_BY_NAME, QUANTITIES, Stage
from ..traces import StepTrace, Trace
from ..worked import Contrast, UnitSum
from .numbers import format_number, format_vector
from .step import weights_summary
from .tables import TableOptions, stage_view


def explain_view(
    stage: Stage,
    trace: Trace,
    unit: UnitSum | None,
    contrast: Contrast | None,
    options: TableOptions,
) -> list[RenderableType]:
    step = trace.steps[0]
    p = options.precision
    body = Text()
    _section(body, "What it does", stage.summary)
    _section(body, "Why it exists", stage.why)
    body.append("Equation  ", style="bold")
    body.append(stage.equation + "\n")
    body.append("NumPy     ", style="bold")
    body.append(stage.numpy + "\n", style="green")
    body.append("Shapes    ", style="bold")
    body.append(_shapes(stage, trace) + "\n\n")
    body.append("Watch out\n", style="bold")
    body.append(stage.misconception)
    example = Text()
    example.append(f"Worked example: {trace.title or 'your inputs'}; weights {weights_summary(trace.weights)}.\n", style="italic")
    if unit is not None:
        _unit_sum(example, unit, step, p)
    elif stage.name == "cell":
        _cell_unit(example, step, p)
    elif stage.name == "hidden":
        _hidden_unit(example, step, p)
    if stage.name in GATE_BY_NAME and contrast is not None:
        _gate_contrast(example, stage.name, step, trace, contrast, p)
    return [
        Panel(body, title=Text(f"{stage.title}   {stage.equation}"), title_align="left"),
        example,
        stage_view(stage, step, options),
    ]


def _section(text: Text, heading: str, paragraph: str) -> None:
    text.append(heading + "\n", style="bold")
    text.append(paragraph + "\n\n")


def _shapes(stage: Stage, trace: Trace) -> str:
    H, I = trace.hidden_size, trace.input_size
    sizes = {"(H,)": f"({H},)", "(I,)": f"({I},)", "(H+I,)": f"({H + I},)"}
    parts = []
    if stage.name == "concat":
        parts = [f"hₜ₋₁ {sizes['(H,)']} and xₜ {sizes['(I,)']} give z {sizes['(H+I,)']}"]
    if stage.name in GATE_BY_NAME:
        parts.append(f"W_{GATE_BY_NAME[stage.name].letter} (H, H+I) = ({H}, {H + I})")
    for name in stage.columns:
        quantity = QUANTITIES[name]
        if stage.name != "concat":
            parts.append(f"{quantity.symbol} {quantity.shape} = {sizes[quantity.shape]}")
    return "; ".join(parts)


MAX_TERMS = 8


def _unit_sum(text: Text, unit: UnitSum, step: StepTrace, p: int) -> None:
    gate = GATE_BY_NAME[unit.gate]
    L, j, H = gate.letter, unit.unit, step.hidden_size
    text.append(f"Unit {j}: W_{L}[{j}, :]·z sums weight × entry over z (terms with weight 0 left out):\n")
    terms = [
        f"{format_number(w, p)}×{format_number(z, p)} ({'hₜ₋₁' if k < H else 'xₜ'}[{k if k < H else k - H}])"
        for k, w, z in zip(unit.columns, unit.weights, unit.inputs)
    ]
    if len(terms) > MAX_TERMS:
        terms = terms[:MAX_TERMS] + [f"… {len(terms) - MAX_TERMS} more terms"]
    text.append(f"  W_{L}[{j}, :]·z = {' + '.join(terms) or '0 (every weight is zero)'} = {format_number(unit.wz, p)}\n")
    text.append(
        f"  {gate.symbol}[{j}] = {gate.activation_symbol}({format_number(unit.wz, p)} + "
        f"{format_number(unit.bias, p)}) = {gate.activation_symbol}({format_number(unit.preact, p)}) = "
        f"{format_number(unit.act, p)}\n",
        style="bold",
    )
    if gate.role:
        share = f"{100 * unit.act:.1f}%"
        text.append(
            f"  {format_number(unit.act, p)} is a fraction, not a switch: unit {j} "
            f"{gate.role.format(share=share, unit=j)}.\n"
        )


def _gate_contrast(text: Text, gate_name: str, step: StepTrace, trace: Trace, contrast: Contrast, p: int) -> None:
    gate = GATE_BY_NAME[gate_name]
    ours = step.gate(gate_name).act
    theirs = contrast.step.gate(gate_name).act
    text.append("\nConcatenation vs addition\n", style="bold")
    if contrast.activation_of_sum is not None:
        identity = trace.weights.get("source") == "identity"
        shortcut = contrast.activation_of_sum[gate_name]
        text.append(f"  {gate.activation_symbol}(hₜ₋₁ + xₜ) = {format_vector(shortcut, p)}\n")
        if identity:
            text.append(
                f"  With the identity preset W_{gate.letter}·z = hₜ₋₁ + xₜ (H = I), so that is exactly "
                f"{gate.symbol} here. It holds for this preset only.\n"
            )
    else:
        text.append(f"  hₜ₋₁ has {trace.hidden_size} entries and xₜ has {trace.input_size}: z = [hₜ₋₁ ; xₜ] joins them; adding them is not even defined.\n")
    text.append(f"  With {contrast.weights_source} the same inputs give {gate.symbol} = {format_vector(theirs, p)}\n")
    text.append(f"  (these weights: {gate.symbol} = {format_vector(ours, p)}).\n")
    if gate_name in contrast.bias_outside:
        text.append("Bias inside the activation\n", style="bold")
        text.append(
            f"  With {contrast.weights_source}, σ(W_{gate.letter}·z + b_{gate.letter}) = {format_vector(theirs, p)}, "
            f"but the misplaced σ(W_{gate.letter}·z) + b_{gate.letter} = "
            f"{format_vector(contrast.bias_outside[gate_name], p)}, which need not even lie in (0, 1).\n"
        )


def _cell_unit(text: Text, step: StepTrace, p: int) -> None:
    f, c_prev, i, g = step.forget.act[0], step.c_prev[0], step.input.act[0], step.candidate.act[0]
    text.append(
        f"Unit 0: Cₜ[0] = fₜ[0]·Cₜ₋₁[0] + iₜ[0]·C̃ₜ[0] = {format_number(f, p)}×{format_number(c_prev, p)} + "
        f"{format_number(i, p)}×{format_number(g, p)} = {format_number(step.keep[0], p)} + "
        f"{format_number(step.write[0], p)} = {format_number(step.c[0], p)}\n",
        style="bold",
    )


def _hidden_unit(text: Text, step: StepTrace, p: int) -> None:
    text.append(
        f"Unit 0: hₜ[0] = oₜ[0]·tanh(Cₜ[0]) = {format_number(step.output.act[0], p)}×tanh("
        f"{format_number(step.c[0], p)}) = {format_number(step.output.act[0], p)}×"
        f"{format_number(step.c_tanh[0], p)} = {format_number(step.h[0], p)}\n",
        style="bold",
    )
