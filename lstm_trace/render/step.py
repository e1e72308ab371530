"""A whole step on screen: the header, one table per stage, and the result."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from ..cell_options import PLAIN as DEFAULT_CELL
from ..stages import Layout, layout_for
from ..traces.step import StepTrace, Trace
from .columns import ColumnTable
from .numbers import format_number, format_vector, style_for
from .tables import TableOptions, row_plan, stage_view


def header(trace: Trace, layout: Layout | None = None) -> Panel:
    layout = layout or layout_for(trace.cell)
    lines = Text()
    lines.append(_sizes(trace), style="bold")
    lines.append(f"; {trace.dtype}\n")
    if trace.title and names_the_cell(trace):  # without a title, the panel's title names the cell
        lines.append("cell: ", style="bold")
        lines.append(layout.title + "\n")
    lines.append("weights: ", style="bold")
    lines.append(weights_summary(trace.weights) + "\n")
    for note in trace.notes:
        lines.append("note: ", style="bold yellow")
        lines.append(note + "\n")
    equations = ColumnTable(rule=False)  # aligned text: a Rich grid costs more than the rest of the header
    equations.add_column(justify="left")
    equations.add_column(justify="left")
    for stage in layout.stages:
        equations.add_row(Text(stage.equation, style="bold"), Text(stage.numpy, style="dim"))
    legend = Text("⊙ is element-wise (NumPy *), · is the matrix product (NumPy @).", style="italic")
    return Panel(
        Group(lines, equations, Text(""), legend),
        title=trace.title or f"One {layout.title} step",
        title_align="left",
        expand=False,
    )


def names_the_cell(trace: Trace) -> bool:
    """Whether a header says which cell this is: always but for the LSTM a learner expects (`LSTM()`)."""
    return trace.cell != DEFAULT_CELL


def _sizes(trace: Trace) -> str:
    H, I, P = trace.hidden_size, trace.input_size, trace.cell.proj_size
    if trace.variant == "gru":
        return f"H = {H} hidden units, I = {I} inputs, no cell state"
    if P is not None:
        return f"H = {H} cell units, h projected to P = {P}, I = {I} inputs: z = [hₜ₋₁ ; xₜ] has {P + I} entries"
    return f"H = {H} hidden units, I = {I} inputs: z = [hₜ₋₁ ; xₜ] has {H + I} entries"


def weights_summary(weights: dict) -> str:
    described = weights.get("description") or weights.get("mapping")
    where = ""
    if "layer" in weights:  # a cell chosen from a framework file
        name = f" {weights['layer_name']!r}" if weights.get("layer_name") else ""
        where = f" ({weights.get('framework')}, layer {weights['layer']}{name}, {weights.get('direction', 'forward')})"
    return f"{weights['source']}{where}" + (f" — {described}" if described else "")


def result(step: StepTrace, precision: int) -> Text:
    text = Text()
    for label, values in (("Cₜ", getattr(step, "c", None)), ("hₜ", step.h)):  # a GRU step has no C
        if values is None:
            continue
        text.append(f"{label} = ", style="bold")
        text.append(format_vector(values, precision) + "\n")
    return text


def step_view(trace: Trace, options: TableOptions, stage: str | None = None) -> list[RenderableType]:
    """What `step` and `show` print: everything, or just one stage's table."""
    layout = layout_for(trace.cell)  # the stages and quantities of the trace's cell
    views: list[RenderableType] = []
    for step in trace.steps:
        if stage is not None:
            views.append(stage_view(layout.stage_by_name[stage], step, options, layout.quantities))
            continue
        if len(trace.steps) > 1:
            views.append(Text(f"t = {step.t}", style="bold underline"))
        views.extend(stage_view(s, step, options, layout.quantities) for s in layout.stages)
        if options.max_rows is None or step.hidden_size <= options.max_rows:
            views.append(result(step, options.precision))
    return [header(trace, layout), *views] if stage is None else views


def compact_view(trace: Trace, options: TableOptions) -> list[RenderableType]:
    """The whole step in one table, a row per unit: the states it starts from, every gate, the new states.

    For a first look (`step --compact`): at H = 5 the seed question fits a 24-line terminal; the stage-by-stage
    tables, with every product, bias and pre-activation, are what `step` shows without it.
    """
    layout = layout_for(trace.cell)
    names = [name for name in ("h_prev", "c_prev", *(f"{gate}.act" for gate in layout.gates), "c", "h")
             if name in layout.quantities]  # fmt: skip
    title = Text(f"{trace.title or f'One {layout.title} step'}: {_sizes(trace)}; {trace.dtype}", style="bold")
    views: list[RenderableType] = [title, Text(f"weights: {weights_summary(trace.weights)}")]
    views += [Text(f"note: {note}", style="yellow") for note in trace.notes]
    for step in trace.steps:
        table = ColumnTable()
        table.add_column("unit", style="dim")
        for name in names:
            quantity = layout.quantities[name]
            table.add_column(Text(f"{quantity.symbol}\n{quantity.formula}" if quantity.formula else quantity.symbol))
        for row in row_plan(step.hidden_size, options.max_rows):
            cells = [Text("⋮" if row is None else str(row))]
            for name in names:
                values, kind = step[name], layout.quantities[name].kind
                if row is None or row >= len(values):  # ⋮, or past the P entries of a projected h
                    cells.append(Text("⋮" if row is None else ""))
                else:
                    cells.append(Text(format_number(float(values[row]), options.precision), style=style_for(float(values[row]), kind)))
            table.add_row(*cells)
        views.append(table)
    views.append(Text("One row per unit. `step` without --compact shows each stage: W·z, the bias, the pre-activation.", style="italic dim"))
    return views
