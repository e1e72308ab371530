"""`explain grad` and `explain carousel`: the backward pass in words, equations and the user's numbers.

Words come from `stages.GRAD_TOPICS`, equations from `stages.BACKWARD_STAGES`,
numbers from the trace and from `worked_grad.CarouselOutlook`.
"""

from __future__ import annotations

import math

from itertools import zip_longest

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..engine.carousel import HALF_GATE, CarouselOutlook
from ..stages import BACKWARD_STAGE_BY_NAME, BACKWARD_STAGES, GATE_BY_NAME, GATES, GRAD_QUANTITIES, GRAD_TOPICS, GradTopic
from ..traces.step import StepTrace, Trace
from .columns import ColumnTable
from .grad import backward_stage_view, backward_views
from .numbers import format_number, style_for
from .step import weights_summary
from .tables import TableOptions, row_plan


def grad_explain_view(topic_name: str, trace: Trace, loss: str, outlook: CarouselOutlook, options: TableOptions) -> list[RenderableType]:
    topic = GRAD_TOPICS[topic_name]
    step = trace.steps[0]
    p = options.precision
    stages = BACKWARD_STAGES if topic.name == "grad" else (BACKWARD_STAGE_BY_NAME["carousel"],)
    example = Text()
    example.append(f"Worked example: {trace.title or 'your inputs'}; weights {weights_summary(trace.weights)}; {loss}.\n", style="italic")
    if topic.name == "grad":
        _unit_chain(example, step, p)
        return [_topic_panel(topic, stages), example, *backward_views(trace, options)]
    _carousel_units(example, step, p)
    return [
        _topic_panel(topic, stages),
        example,
        backward_stage_view(stages[0], step, options),
        _outlook_table(outlook, options),
        _outlook_words(outlook, p),
    ]


def _topic_panel(topic: GradTopic, stages) -> Panel:
    intro = Text()
    intro.append("What it shows\n", style="bold")
    intro.append(topic.summary + "\n\n")
    intro.append("Why\n", style="bold")
    intro.append(topic.why + "\n")
    equations = Table.grid(padding=(0, 3))
    for stage in stages:
        for equation, code in zip_longest(stage.equations, stage.numpy, fillvalue=""):
            equations.add_row(Text(equation, style="bold"), Text(code, style="green"))
    outro = Text()
    outro.append("Watch out\n", style="bold")
    outro.append(topic.misconception)
    return Panel(Group(intro, equations, Text(""), outro), title=topic.title, title_align="left")


def _unit_chain(text: Text, step: StepTrace, p: int) -> None:
    """Unit 0 followed backwards, every product with its factors. All values are from the trace."""
    b = step.backward
    n = lambda value: format_number(float(value[0]), p)  # noqa: E731
    text.append("Unit 0, backwards:\n", style="bold")
    text.append(f"  ∂L/∂oₜ[0] = ∂L/∂hₜ[0] × tanh(Cₜ[0]) = {n(b.d_h)} × {n(step.c_tanh)} = {n(b.output.d_act)}\n")
    text.append(f"  δ_o[0] = ∂L/∂oₜ[0] × oₜ[0](1 − oₜ[0]) = {n(b.output.d_act)} × {n(b.output.local)} = {n(b.output.d_preact)}\n")
    text.append(
        f"  ∂L/∂Cₜ[0] = (carried from t+1) + ∂L/∂hₜ[0] × oₜ[0] × (1 − tanh²(Cₜ[0]))\n"
        f"            = {n(b.d_c_carried)} + {n(b.d_h)} × {n(step.output.act)} × {n(b.c_tanh_local)} = {n(b.d_c)}\n"
    )
    for gate, factor, factor_name in (
        ("forget", step.c_prev, "Cₜ₋₁[0]"),
        ("input", step.candidate.act, "C̃ₜ[0]"),
        ("candidate", step.input.act, "iₜ[0]"),
    ):
        g = b.gate(gate)
        spec = GATE_BY_NAME[gate]
        formula = GRAD_QUANTITIES[f"{gate}.local"].formula
        slope = f"({formula})" if formula.startswith("1 ") else formula  # "(1 − C̃ₜ²)", "fₜ(1 − fₜ)"
        text.append(f"  ∂L/∂{spec.symbol}[0] = ∂L/∂Cₜ[0] × {factor_name} = {n(b.d_c)} × {n(factor)} = {n(g.d_act)}\n")
        text.append(f"  δ_{spec.letter}[0] = ∂L/∂{spec.symbol}[0] × {slope} = {n(g.d_act)} × {n(g.local)} = {n(g.d_preact)}\n")
    shares = _sum_text([float(b.gate(gate.name).d_z[0]) for gate in GATES], p)
    text.append(f"  ∂L/∂hₜ₋₁[0] = Σ_g (W_gᵀδ_g)[0] = {shares} = {n(b.d_h_prev)}\n")
    text.append(f"  ∂L/∂Cₜ₋₁[0] = ∂L/∂Cₜ[0] × fₜ[0] = {n(b.d_c)} × {n(step.forget.act)} = {n(b.d_c_prev)}", style="bold")
    text.append("   (the carousel)\n")


def _carousel_units(text: Text, step: StepTrace, p: int) -> None:
    b = step.backward
    for row in row_plan(step.hidden_size, 4):
        if row is None:
            text.append("  ⋮\n")
            continue
        n = lambda value: format_number(float(value[row]), p)  # noqa: E731
        text.append(
            f"  ∂L/∂Cₜ₋₁[{row}] = ∂L/∂Cₜ[{row}] × fₜ[{row}] = {n(b.d_c)} × {n(step.forget.act)} = {n(b.d_c_prev)}\n"
        )


def _outlook_table(outlook: CarouselOutlook, options: TableOptions) -> ColumnTable:
    """What the carousel alone would keep after k steps if fₜ stayed at this step's values."""
    table = ColumnTable()
    table.add_column("unit", justify="right", style="dim")
    table.add_column("fₜ", justify="right")
    for k in outlook.horizons[1:]:
        table.add_column(f"kept after\n{k} steps", justify="right")
    table.add_column("halves\nafter", justify="right")
    p = options.precision
    for row in row_plan(outlook.forget.shape[0], options.max_rows):
        if row is None:
            table.add_row(*(Text("⋮", style="dim") for _ in range(len(outlook.horizons) + 2)))
            continue
        f = float(outlook.forget[row])
        kept = [Text(format_number(float(outlook.kept[k, row]), p)) for k in range(1, len(outlook.horizons))]
        table.add_row(Text(str(row)), Text(format_number(f, p), style=style_for(f, "gate")), *kept, Text(_steps(outlook.steps_to_halve[row])))
    table.add_section()
    half = [Text(format_number(float(v), p), style="italic") for v in outlook.half_gate_kept[1:]]
    table.add_row(Text("σ(0)", style="italic"), Text(format_number(HALF_GATE, p), style="italic"), *half, Text("1 step", style="italic"))
    return table


def _outlook_words(outlook: CarouselOutlook, p: int) -> Text:
    best = int(outlook.forget.argmax())
    text = Text(
        f"If the forget gate kept this step's values, the carousel alone would carry unit {best}'s gradient "
        f"(fₜ = {format_number(float(outlook.forget[best]), p)}) for {_steps(outlook.steps_to_halve[best])} "
        f"before halving it. The last row is a gate at σ(0) = 0.5, which halves it at every step, about as "
        f"fast as a plain RNN with small weights loses its gradient.\n"
    )
    if outlook.forget.max() < 0.9:
        text.append("For a carousel that carries far, try `lstm-trace explain carousel --preset long-memory`.\n", style="italic")
    return text


def _sum_text(values: list[float], p: int) -> str:
    """1 + -2 + 3 written as 1 − 2 + 3."""
    text = format_number(values[0], p)
    for value in values[1:]:
        text += f" − {format_number(-value, p)}" if value < 0 else f" + {format_number(value, p)}"
    return text


def _steps(value: float) -> str:
    if math.isinf(value):
        return "never"
    return f"{value:.1f} steps" if value < 10 else f"{value:.0f} steps"
