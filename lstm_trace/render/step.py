"""A whole step on screen: the header, one table per stage, and the result."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.panel import Panel
from rich.text import Text

from ..stages import STAGE_BY_NAME, STAGES
from ..trace import StepTrace, Trace
from .numbers import format_vector
from .tables import TableOptions, stage_view


def header(trace: Trace) -> Panel:
    H, I = trace.hidden_size, trace.input_size
    lines = Text()
    lines.append(f"H = {H} hidden units, I = {I} inputs: z = [hₜ₋₁ ; xₜ] has {H + I} entries", style="bold")
    lines.append(f"; {trace.dtype}\n")
    lines.append("weights: ", style="bold")
    lines.append(weights_summary(trace.weights) + "\n")
    for note in trace.notes:
        lines.append("note: ", style="bold yellow")
        lines.append(note + "\n")
    equations = Table.grid(padding=(0, 3))
    for stage in STAGES:
        equations.add_row(Text(stage.equation, style="bold"), Text(stage.numpy, style="dim"))
    legend = Text("⊙ is element-wise (NumPy *), · is the matrix product (NumPy @).", style="italic")
    return Panel(
        Group(lines, equations, Text(""), legend),
        title=trace.title or "One LSTM step",
        title_align="left",
        expand=False,
    )


def weights_summary(weights: dict) -> str:
    described = weights.get("description") or weights.get("mapping")
    where = ""
    if "layer" in weights:  # a cell chosen from a framework file
        name = f" {weights['layer_name']!r}" if weights.get("layer_name") else ""
        where = f" ({weights.get('framework')}, layer {weights['layer']}{name}, {weights.get('direction', 'forward')})"
    return f"{weights['source']}{where}" + (f" — {described}" if described else "")


def result(step: StepTrace, precision: int) -> Text:
    text = Text()
    for label, values in (("Cₜ", step.c), ("hₜ", step.h)):
        text.append(f"{label} = ", style="bold")
        text.append(format_vector(values, precision) + "\n")
    return text


def step_view(trace: Trace, options: TableOptions, stage: str | None = None) -> list[RenderableType]:
    """What `step` and `show` print: everything, or just one stage's table."""
    views: list[RenderableType] = []
    for step in trace.steps:
        if stage is not None:
            views.append(stage_view(STAGE_BY_NAME[stage], step, options))
            continue
        if len(trace.steps) > 1:
            views.append(Text(f"t = {step.t}", style="bold underline"))
        views.extend(stage_view(s, step, options) for s in STAGES)
        if options.max_rows is None or step.hidden_size <= options.max_rows:
            views.append(result(step, options.precision))
    return [header(trace), *views] if stage is None else views
