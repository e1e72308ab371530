"""The backward pass of a variant cell on screen: a header, one table per stage, what is passed back.

Stages, equations and columns come from `stages.backward_options`; values from the step's
`BackwardTrace` and forward trace. Nothing here computes a gradient (norms of the
weight gradients are summaries, as the forward tables' min/mean/max are).
"""

from __future__ import annotations

import numpy as np
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from ..traces import Trace
from ..traces import BackwardTrace
from ..stages.backward_options import Column, VariantGradStage, variant_grad_stages
from ..cells.options import CellOptions
from .columns import ColumnTable
from .grad import _cell, _summary_rows, header_lines
from .numbers import format_number, format_vector
from .tables import TableOptions, _elided, _row_plan


def variant_grad_header(trace: Trace, cell: CellOptions, title: str, loss: str | None, with_notes: bool = True) -> Panel:
    lines = header_lines(trace, loss, with_notes)
    for stage in variant_grad_stages(cell):
        for equation in stage.equations:
            lines.append(equation + "\n", style="bold")
    legend = Text("Read from the top: the forward stages in reverse. ⊙ is element-wise (NumPy *).", style="italic")
    return Panel(Group(lines, legend), title=f"The backward pass of the {title}", title_align="left", expand=False)


def variant_backward_views(
    step, backward: BackwardTrace, cell: CellOptions, options: TableOptions, stage: str | None = None
) -> list[RenderableType]:
    stages = variant_grad_stages(cell)
    shown = stages if stage is None else tuple(s for s in stages if s.name == stage)
    views: list[RenderableType] = [_stage_view(s, step, backward, options) for s in shown]
    if stage is None:
        views.append(passed_back_view(backward, options))
    return views


def variant_grad_stage_names(cell: CellOptions) -> tuple[str, ...]:
    return tuple(stage.name for stage in variant_grad_stages(cell))


def _value(column: Column, step, backward: BackwardTrace):
    return backward[column.name] if column.source == "grad" else step[column.name]


def _stage_view(stage: VariantGradStage, step, backward: BackwardTrace, options: TableOptions) -> Group:
    heading = Text.assemble((stage.title, "bold"), "   ", (stage.equations[0], "bold cyan"))
    parts: list[RenderableType] = [heading]
    parts.extend(Text(" " * (len(stage.title) + 3) + equation, style="bold cyan") for equation in stage.equations[1:])
    columns = [(column, _value(column, step, backward)) for column in stage.columns]
    columns = [(column, value) for column, value in columns if value is not None]
    parts.append(_units_table(columns, options))
    if stage.name == "weights":
        parts.append(_weight_norms(backward, options.precision))
    parts.extend((Text(stage.summary, style="italic dim"), Text("")))
    return Group(*parts)


def _units_table(columns: list[tuple[Column, np.ndarray]], options: TableOptions) -> ColumnTable:
    size = max(len(value) for _, value in columns)
    table = ColumnTable()
    table.add_column("unit", justify="right", style="dim")
    for column, _ in columns:
        table.add_column(Text(column.symbol), justify="right")
    for row in _row_plan(size, options.max_rows):
        cells = [Text("⋮" if row is None else str(row))]
        for _, value in columns:
            shown = None if row is None or row >= len(value) else float(value[row])
            cells.append(Text("") if row is not None and row >= len(value) else _cell(shown, "signed", options.precision))
        table.add_row(*cells)
    if _elided(size, options.max_rows):
        _summary_rows(table, [value for _, value in columns], [c.name for c, _ in columns], None, options.precision)
    return table


def _weight_norms(backward: BackwardTrace, precision: int) -> Text:
    text = Text()
    for gate, grad in backward.gates.items():
        if grad.d_W is not None:
            text.append(f"‖∂L/∂W_{gate}‖ = {format_number(float(np.linalg.norm(grad.d_W)), precision)}   ")
    if backward.d_projection is not None:
        text.append(f"‖∂L/∂W_hr‖ = {format_number(float(np.linalg.norm(backward.d_projection)), precision)}")
    return text


def passed_back_view(backward: BackwardTrace, options: TableOptions) -> Group:
    """What this step hands on: to hₜ₋₁ (and Cₜ₋₁), and to xₜ."""
    p = options.precision
    text = Text()
    text.append("Passed back\n", style="bold")
    for symbol, value in (("∂L/∂hₜ₋₁", backward.d_h_prev), ("∂L/∂Cₜ₋₁", backward.d_c_prev), ("∂L/∂xₜ", backward.d_x)):
        if value is None:
            continue
        text.append(f"{symbol} = ", style="bold")
        shown = format_vector(value, p) if options.max_rows is None or len(value) <= options.max_rows else (
            f"({len(value)} entries, norm {format_number(float(np.linalg.norm(value)), p)})")  # fmt: skip
        text.append(shown + "\n")
    return Group(text)
