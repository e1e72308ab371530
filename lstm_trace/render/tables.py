"""One table per stage, one row per unit: the columns come from the stage registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from rich.console import Group
from rich.text import Text

from ..stages import QUANTITIES, Quantity, Stage
from ..traces.step import StepTrace
from .columns import ColumnTable
from .numbers import format_number, gate_bar, style_for


@dataclass(frozen=True)
class TableOptions:
    precision: int = 4
    max_rows: int | None = 24  # None shows every unit; beyond it rows are elided and summarised


def stage_view(stage: Stage, step: StepTrace, options: TableOptions, quantities=QUANTITIES) -> Group:
    """The stage's heading and equation, its table, and its one-line meaning.

    `quantities` is the registry of the trace's cell (`layout_for(trace.cell).quantities`).
    """
    if stage.name == "concat":
        table = concat_table(step, options, quantities)
    else:
        table = units_table(stage, step, options, quantities)
    heading = Text.assemble((stage.title, "bold"), "   ", (stage.equation, "bold cyan"))
    if stage.name == "concat":
        H, I = len(step.h_prev), step.input_size  # with a projection h_(t-1) has P entries, not H
        heading.append(f"   ({H} from hₜ₋₁, then {I} from xₜ)")
    return Group(heading, table, Text(stage.summary, style="italic dim"), Text(""))


def units_table(stage: Stage, step: StepTrace, options: TableOptions, quantities=QUANTITIES) -> ColumnTable:
    columns = [name for name in stage.columns if step[name] is not None]
    # A gate's own activation gets a 0-to-1 bar; columns borrowed from other stages do not.
    barred = {name for name in columns if quantities[name].kind == "gate" and name.startswith(stage.name + ".")}
    units = len(step[columns[0]])  # H, or P for a projected h: every column of a stage has the same length
    table = ColumnTable()
    table.add_column("unit", justify="right", style="dim")
    for name in columns:
        table.add_column(_header(quantities[name]), justify="right")
        if name in barred:
            table.add_column("0 ┄ 1", justify="left")
    for row in row_plan(units, options.max_rows):
        cells: list[Text] = [Text("⋮" if row is None else str(row))]
        for name in columns:
            quantity = quantities[name]
            if row is None:
                cells.append(Text("⋮", style="dim"))
            else:
                value = float(step[name][row])
                cells.append(Text(format_number(value, options.precision), style=style_for(value, quantity.kind)))
            if name in barred:
                cells.append(Text("" if row is None else gate_bar(value), style=style_for(value, "gate")))
        table.add_row(*cells)
    if elided(units, options.max_rows):
        _add_summary(table, columns, barred, step, options.precision)
    return table


def concat_table(step: StepTrace, options: TableOptions, quantities=QUANTITIES) -> ColumnTable:
    """z row by row, saying which entries came from h_{t-1} and which from x_t."""
    H = len(step.h_prev)  # P with a projection
    h_symbol, x_symbol = quantities["h_prev"].symbol, quantities["x"].symbol
    table = ColumnTable()
    table.add_column("k", justify="right", style="dim")
    table.add_column("comes from", justify="left")
    table.add_column(_header(quantities["concat"]), justify="right")
    for row in row_plan(H + step.input_size, options.max_rows, anchors=(H - 1, H)):
        if row is None:
            table.add_row(*(Text("⋮", style="dim") for _ in range(3)))
            continue
        source = f"{h_symbol}[{row}]" if row < H else f"{x_symbol}[{row - H}]"
        value = float(step.concat[row])
        table.add_row(
            Text(str(row)),
            Text(source, style="bold blue" if row < H else "bold green"),
            Text(format_number(value, options.precision), style=style_for(value, "signed")),
            end_section=row == H - 1,  # the seam between the h part and the x part
        )
    return table


def _header(quantity: Quantity) -> Text:
    # Text, not a str: "[hₜ₋₁ ; xₜ]" would be read as Rich markup.
    return Text(f"{quantity.symbol}\n{quantity.formula}" if quantity.formula else quantity.symbol)


def elided(n: int, max_rows: int | None) -> bool:
    return max_rows is not None and n > max_rows


def row_plan(n: int, max_rows: int | None, anchors: Sequence[int] = ()) -> list[int | None]:
    """Which rows to show: all of them, or the first and last few (and rows around
    `anchors`) with None standing for each elided run."""
    if not elided(n, max_rows):
        return list(range(n))
    tail = max(2, max_rows // 4)
    keep = set(range(max_rows - tail - 3 * len(anchors))) | set(range(n - tail, n))
    for anchor in anchors:
        keep |= {anchor - 1, anchor, anchor + 1} & set(range(n))
    plan: list[int | None] = []
    for row in sorted(keep):
        if plan and row != plan[-1] + 1:
            plan.append(None)
        plan.append(row)
    return plan


def _add_summary(table: ColumnTable, columns: Sequence[str], barred: set[str], step: StepTrace, precision: int) -> None:
    """min, mean and max over every unit, so elided rows still count."""
    table.add_section()
    for label, reduce in (("min", np.min), ("mean", np.mean), ("max", np.max)):
        cells: list[Text] = [Text(label, style="italic")]
        for name in columns:
            cells.append(Text(format_number(float(reduce(step[name])), precision), style="italic"))
            if name in barred:
                cells.append(Text(""))
        table.add_row(*cells)
