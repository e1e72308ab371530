"""A `TraceDiff` on screen: which stage reacted, the biggest movers, and Δ per unit for each stage."""

from __future__ import annotations

import numpy as np
from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from ..engine.differences import INPUTS_GROUP, QuantityDiff, Side, StageDiff, StepDiff, TraceDiff, is_reaction
from ..stages import INPUT_QUANTITIES, QUANTITIES, STAGE_BY_NAME
from .columns import ColumnTable
from .numbers import format_number, style_for
from .step import weights_summary

BAR_WIDTH = 10
MARK = "◀"


def diff_view(diff: TraceDiff, precision: int = 4, max_rows: int | None = 24) -> list[RenderableType]:
    views: list[RenderableType] = [_header(diff)]
    if diff.identical:
        return [*views, Text("The traces are identical: every value of every stage is the same in A and B.", style="bold")]
    for step in diff.steps:
        if len(diff.steps) > 1:
            views.append(Text(f"t = {step.t}", style="bold underline"))
        views += [_overview(step, precision), _movers(step, precision)]
        views += [_stage_table(stage, precision, max_rows) for stage in step.stages if stage.size > 0]
    return views


def _header(diff: TraceDiff) -> Panel:
    lines = Text()
    for name, side in (("A", diff.a), ("B", diff.b)):
        lines.append(f"{name}: ", style="bold")
        lines.append(f"{side.label}  ({_describe(side)})\n")
    lines.append(f"H = {diff.hidden_size}, I = {diff.input_size}. Δ = B − A for every unit; ", style="dim")
    lines.append(f"{MARK} marks the biggest movers.", style="dim")
    return Panel(lines, title="What if: A → B", title_align="left", expand=False)


def _describe(side: Side) -> str:
    parts = [side.title] if side.title else []
    return "; ".join([*parts, f"weights {weights_summary(side.weights)}", side.dtype])


def _overview(step: StepDiff, precision: int) -> Group:
    """One row per value a stage hands on (and per input): how far it moved, and where."""
    rows = [(stage, q) for stage in step.stages for q in stage.quantities if is_reaction(q.name) or stage.stage == INPUTS_GROUP]
    gates = [q for _, q in rows if q.name.endswith(".act")]  # the four blocks: f, i, C̃, o
    top_gate = max(gates, key=lambda q: q.max_abs, default=None)
    largest = max(q.max_abs for _, q in rows) or 1.0
    table = ColumnTable()
    for header, justify in (("value", "left"), ("stage", "left"), ("max |Δ|", "right"), ("unit", "right"),
                            ("‖Δ‖", "right"), ("", "left")):  # fmt: skip
        table.add_column(header, justify=justify)
    for stage, q in rows:
        reacted = q is top_gate and q.changed
        style = "bold" if reacted else ("dim" if not q.changed else "")
        bar = Text("█" * max(1, round(BAR_WIDTH * q.max_abs / largest)) if q.changed else "", style="yellow")
        if reacted:
            bar.append(f" {MARK} most", style="bold yellow")
        table.add_row(
            Text(QUANTITIES[q.name].symbol, style=style),
            Text(_stage_title(stage.stage), style=style),
            Text(format_number(q.max_abs, precision), style=style),
            Text(str(q.unit) if q.changed else "–", style=style),
            Text(format_number(q.norm, precision), style=style),
            bar,
            end_section=stage.stage == INPUTS_GROUP and q.name == INPUT_QUANTITIES[-1],
        )
    heading = Text.assemble(("Which stage reacted", "bold"), (f"   {MARK} most: the block (f, i, C̃ or o) that moved most", "dim"))
    return Group(heading, table, Text(""))


def _movers(step: StepDiff, precision: int) -> Group:
    text = Text("Biggest movers", style="bold")
    names = [f"{QUANTITIES[mover.quantity].symbol}[{mover.unit}]" for mover in step.movers]
    width = max(map(cell_len, names), default=0)
    for mover, name in zip(step.movers, names):
        text.append(f"\n  {MARK} {name}{' ' * (width - cell_len(name))}  ", style="bold yellow")
        text.append(f"{format_number(mover.a, precision)} → {format_number(mover.b, precision)}  ")
        text.append(f"Δ {_signed(mover.delta, precision)}", style=style_for(mover.delta, "signed"))
    return Group(text, Text(""))


def _stage_table(stage: StageDiff, precision: int, max_rows: int | None) -> Group:
    """Δ per unit for each of the stage's values; the value it hands on also shows A and B."""
    headline = stage.headline if stage.stage != INPUTS_GROUP else max(stage.quantities, key=lambda q: q.max_abs)
    units = _units_shown(headline, max_rows)
    leaders = set(np.argsort(-np.abs(headline.delta), kind="stable")[:3].tolist()) & set(np.flatnonzero(headline.delta).tolist())
    table = ColumnTable()
    table.add_column("unit", justify="right", style="dim")
    symbol = QUANTITIES[headline.name].symbol
    table.add_column(Text(f"{symbol}\nA"))
    table.add_column(Text(f"{symbol}\nB"))
    for q in stage.quantities:
        table.add_column(Text(f"Δ {QUANTITIES[q.name].symbol}"))
    table.add_column("", justify="left")
    for unit in units:
        cells = [Text(str(unit)), _number(headline.a[unit], precision), _number(headline.b[unit], precision)]
        cells += [_delta(q, unit, precision) for q in stage.quantities]
        cells.append(Text(MARK if unit in leaders else "", style="bold yellow"))
        table.add_row(*cells)
    heading = Text.assemble((_stage_title(stage.stage), "bold"), "   ", (_equation(stage.stage), "bold cyan"))
    note = [] if len(units) == len(headline.delta) else [
        Text(f"The {len(units)} of {len(headline.delta)} units where {symbol} moved most, in unit order.", style="italic dim")
    ]  # fmt: skip
    return Group(heading, table, *note, Text(""))


def _units_shown(headline: QuantityDiff, max_rows: int | None) -> list[int]:
    n = len(headline.delta)
    if max_rows is None or n <= max_rows:
        return list(range(n))
    return sorted(np.argsort(-np.abs(headline.delta), kind="stable")[:max_rows].tolist())


def _stage_title(group: str) -> str:
    return "Inputs" if group == INPUTS_GROUP else STAGE_BY_NAME[group].title


def _equation(group: str) -> str:
    return "hₜ₋₁, xₜ, Cₜ₋₁" if group == INPUTS_GROUP else STAGE_BY_NAME[group].equation


def _number(value: float, precision: int) -> Text:
    return Text(format_number(float(value), precision))


def _delta(q: QuantityDiff, unit: int, precision: int) -> Text:
    value = float(q.delta[unit])
    return Text(_signed(value, precision) if value else "0", style=style_for(value, "signed"))


def _signed(value: float, precision: int) -> str:
    text = format_number(value, precision)
    return text if text.startswith("-") else "+" + text
