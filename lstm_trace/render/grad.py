"""The backward pass on screen: a header, one table per backward stage, and the gradients passed back.

Stages and columns come from the registry (`stages.backward_layout(cell)`); a column is a
gradient (read from `step.backward`) or a forward value (read from the step), named and
labelled by the cell's layouts. Nothing here computes a gradient.
"""

from __future__ import annotations

from itertools import zip_longest

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..stages import BackwardStage, Quantity, backward_layout, layout_for
from ..traces.step import StepTrace, Trace
from .columns import ColumnTable
from .numbers import format_number, format_vector, gate_bar, style_for
from .step import names_the_cell, weights_summary
from .tables import TableOptions, elided, row_plan

# The carousel's table draws fₜ as a bar: near 1, the gradient passes.
BARRED = {"carousel": "forget.act"}
MAX_MATRIX_COLUMNS = 16  # ∂L/∂W_g is drawn as a matrix up to this many columns (H+I)


def quantity(step: StepTrace, name: str) -> Quantity:
    """The gradient or forward value `name` of the step's cell, as the registry describes it."""
    grads = backward_layout(step.cell).quantities
    return grads[name] if name in grads else layout_for(step.cell).quantities[name]


def value_of(step: StepTrace, name: str):
    return step.backward[name] if name in backward_layout(step.cell).quantities else step[name]


def header_lines(trace: Trace, loss: str | None = None, with_notes: bool = True) -> Text:
    """Sizes, the cell, weights, the loss and the notes: the top of every backward header."""
    lines = Text()
    lines.append(f"H = {trace.hidden_size} hidden units, I = {trace.input_size} inputs; {trace.dtype}\n", style="bold")
    if names_the_cell(trace):
        lines.append("cell: ", style="bold")
        lines.append(layout_for(trace.cell).title + "\n")
    lines.append("weights: ", style="bold")
    lines.append(weights_summary(trace.weights) + "\n")
    if loss:
        lines.append("loss: ", style="bold")
        lines.append(loss + "\n")
    for note in trace.notes if with_notes else ():
        lines.append("note: ", style="bold yellow")
        lines.append(note + "\n")
    return lines


def grad_header(trace: Trace, loss: str | None = None, with_notes: bool = True) -> Panel:
    lines = header_lines(trace, loss, with_notes)
    equations = Table.grid(padding=(0, 3))
    for stage in backward_layout(trace.cell).stages:
        for equation, code in zip_longest(stage.equations, stage.numpy, fillvalue=""):
            equations.add_row(Text(equation, style="bold"), Text(code, style="dim"))
    legend = Text("Read from the top: the forward stages in reverse. ⊙ is element-wise (NumPy *).", style="italic")
    title = f"{trace.title}: the backward pass" if trace.title else "The backward pass"
    return Panel(Group(lines, equations, Text(""), legend), title=title, title_align="left", expand=False)


def backward_stage_view(stage: BackwardStage, step: StepTrace, options: TableOptions) -> Group:
    """The stage's heading and equations, its table, and its one-line meaning."""
    heading = Text.assemble((stage.title, "bold"), "   ", (stage.equations[0], "bold cyan"))
    parts: list[RenderableType] = [heading]
    parts.extend(Text(" " * (len(stage.title) + 3) + equation, style="bold cyan") for equation in stage.equations[1:])
    parts.append(concat_grad_table(stage, step, options) if stage.name == "concat" else units_grad_table(stage, step, options))
    if stage.name == "weights" and step.concat is not None:  # a GRU keeps no z: its blocks split hₜ₋₁ and xₜ
        z = step.concat
        shown = format_vector(z, options.precision) if len(z) <= MAX_MATRIX_COLUMNS else f"({len(z)} entries)"
        parts.append(Text(f"Row j of ∂L/∂W_g is δ_g[j] times zᵀ, with z = {shown}."))
    parts.extend((Text(stage.summary, style="italic dim"), Text("")))
    return Group(*parts)


def units_grad_table(stage: BackwardStage, step: StepTrace, options: TableOptions) -> ColumnTable:
    columns = [name for name in stage.columns if value_of(step, name) is not None]
    barred = BARRED.get(stage.name)
    table = ColumnTable()
    table.add_column("unit", justify="right", style="dim")
    for name in columns:
        table.add_column(_header(quantity(step, name)), justify="right")
        if name == barred:
            table.add_column("0 ┄ 1", justify="left")
    arrays = {name: value_of(step, name) for name in columns}
    kinds = {name: quantity(step, name).kind for name in columns}
    for row in row_plan(step.hidden_size, options.max_rows):
        cells: list[Text] = [Text("⋮" if row is None else str(row))]
        for name in columns:
            values = arrays[name]
            if row is not None and row >= len(values):  # h has P < H entries with a projection
                cells.append(Text(""))
                continue
            value = None if row is None else float(values[row])
            cells.append(_cell(value, kinds[name], options.precision))
            if name == barred:
                cells.append(Text("" if value is None else gate_bar(value), style=style_for(value or 0.0, "gate")))
        table.add_row(*cells)
    if elided(step.hidden_size, options.max_rows):
        _summary_rows(table, list(arrays.values()), columns, barred, options.precision)
    return table


def concat_grad_table(stage: BackwardStage, step: StepTrace, options: TableOptions) -> ColumnTable:
    """∂L/∂z entry by entry, what each gate sent back, and whether it goes to hₜ₋₁ or xₜ."""
    H = len(step.h_prev)  # P with a projection
    columns = [name for name in stage.columns if value_of(step, name) is not None]
    table = ColumnTable()
    table.add_column("k", justify="right", style="dim")
    table.add_column("goes to", justify="left")
    for name in columns:
        table.add_column(_header(quantity(step, name)), justify="right")
    for row in row_plan(H + step.input_size, options.max_rows, anchors=(H - 1, H)):
        if row is None:
            table.add_row(*(Text("⋮", style="dim") for _ in range(len(columns) + 2)))
            continue
        target = f"∂L/∂hₜ₋₁[{row}]" if row < H else f"∂L/∂xₜ[{row - H}]"
        cells = [Text(str(row)), Text(target, style="bold blue" if row < H else "bold green")]
        cells.extend(_cell(float(value_of(step, name)[row]), "signed", options.precision) for name in columns)
        table.add_row(*cells, end_section=row == H - 1)  # the seam between the h part and the x part
    return table


def weight_matrix_view(step: StepTrace, gate_name: str, options: TableOptions) -> Group:
    """∂L/∂W_g in full: rows are units, columns the entries of z they multiplied."""
    d_W, H, P = step.backward.gate(gate_name).d_W, step.hidden_size, len(step.h_prev)
    table = ColumnTable()
    table.add_column("unit", justify="right", style="dim")
    for k in range(d_W.shape[1]):
        table.add_column(f"hₜ₋₁[{k}]" if k < P else f"xₜ[{k - P}]", justify="right")
    for row in row_plan(H, options.max_rows):
        if row is None:
            table.add_row(*(Text("⋮", style="dim") for _ in range(d_W.shape[1] + 1)))
            continue
        table.add_row(Text(str(row)), *(_cell(float(v), "signed", options.precision) for v in d_W[row]))
    described = quantity(step, f"{gate_name}.d_W")
    title = Text.assemble((described.symbol, "bold"), f" = {described.formula}   ({H} × {d_W.shape[1]})")
    return Group(title, table, Text(""))


def backward_result(step: StepTrace, precision: int) -> Text:
    text = Text()
    for name in ("d_h_prev", "d_x", "d_c_prev"):
        if step.backward[name] is not None:  # a GRU passes no ∂L/∂Cₜ₋₁ back
            text.append(f"{quantity(step, name).symbol} = ", style="bold")
            text.append(format_vector(step.backward[name], precision) + "\n")
    return text


def backward_views(trace: Trace, options: TableOptions, stage: str | None = None) -> list[RenderableType]:
    """Every step that has gradients, from the last step back to the first."""
    views: list[RenderableType] = []
    steps = [step for step in reversed(trace.steps) if step.backward is not None]
    for step in steps:
        if len(trace.steps) > 1:
            views.append(Text(f"Backward through t = {step.t}", style="bold underline"))
        layout = backward_layout(trace.cell)
        shown = layout.stages if stage is None else (layout.stage_by_name[stage],)
        views.extend(backward_stage_view(s, step, options) for s in shown)
        if stage == "weights":
            columns = len(step.h_prev) + trace.input_size
            if columns <= MAX_MATRIX_COLUMNS:
                views.extend(weight_matrix_view(step, gate, options) for gate, grad in step.backward.gates.items()
                             if grad.d_W is not None)  # fmt: skip
            else:
                views.append(Text(f"∂L/∂W_g has {columns} columns: see --json for the full matrices.\n"))
        if stage is None and (options.max_rows is None or step.hidden_size + step.input_size <= options.max_rows):
            views.append(backward_result(step, options.precision))
    return views


def _cell(value: float | None, kind: str, precision: int) -> Text:
    if value is None:
        return Text("⋮", style="dim")
    return Text(format_number(value, precision), style=style_for(value, kind))


def _header(q: Quantity) -> Text:
    # Text, not a str: brackets such as [:H] would be read as Rich markup.
    return Text(f"{q.symbol}\n{q.formula}" if q.formula else q.symbol)


def _summary_rows(table: ColumnTable, arrays, columns, barred: str | None, precision: int) -> None:
    """min, mean and max over every unit, so elided rows still count (as in the forward tables)."""
    table.add_section()
    for label, reduce in (("min", np.min), ("mean", np.mean), ("max", np.max)):
        cells: list[Text] = [Text(label, style="italic")]
        for name, array in zip(columns, arrays):
            cells.append(Text(format_number(float(reduce(array)), precision), style="italic"))
            if name == barred:
                cells.append(Text(""))
        table.add_row(*cells)


def backward_report(trace: Trace, options: TableOptions, loss: str | None = None, with_notes: bool = True) -> list:
    """The backward pass of a trace from `grad`: a header, then every step with gradients from the last back."""
    return [grad_header(trace, loss, with_notes), *backward_views(trace, options)]

