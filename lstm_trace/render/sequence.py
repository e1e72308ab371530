"""A sequence on screen: the run's header, then per cell the per-step table, the heatmaps,
the gate behaviour and any steps shown in full. Reports in, Rich renderables out."""

from __future__ import annotations

from dataclasses import dataclass

from rich import box
from rich.columns import Columns
from rich.console import RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from ..cell_options import LSTM
from ..engine.report import CellReport, StepTable
from ..engine.summary import (
    FORGET_BELOW, GROWN_TO, GROWTH, MEMORY_SHARE, REMEMBER_ABOVE, SATURATED_ABOVE, STEADY_SHARE, GateBehaviour,
)  # fmt: skip
from ..stages import layout_for
from ..stages.sequences import SequenceQuantities, sequence_quantities
from ..traces.sequence import CellInfo, SequenceInfo
from ..traces.step import Trace
from .heatmap import heatmap_panel, legend
from .numbers import format_number, format_vector, style_for
from .step import step_view, weights_summary
from .tables import TableOptions

LISTED_UNITS = 12  # unit lists longer than this are cut with a count


@dataclass(frozen=True)
class SequenceViewOptions:
    precision: int = 4
    heatmap_style: str = "blocks"
    batch_index: int = 0
    detail: TableOptions = TableOptions()  # for the steps shown in full


def sequence_view(info: SequenceInfo, reports: list[CellReport], options: SequenceViewOptions) -> list[RenderableType]:
    views: list[RenderableType] = [header(info, options)]
    for report in reports:
        views.extend(cell_view(info, report, options))
    return views


def header(info: SequenceInfo, options: SequenceViewOptions) -> Panel:
    T, H = info.sequence_length, info.hidden_size
    lines = Text()
    layout = layout_for(info.cell)
    projected = f" (h projected to P = {info.h_size})" if info.h_size != H else ""
    lines.append(f"T = {T} steps, H = {H} hidden units{projected}, I = {info.input_size} inputs; {info.dtype}\n",
                 style="bold")  # fmt: skip
    if info.cell != LSTM():  # the default cell goes without saying; any other is named
        lines.append("cell: ", style="bold")
        lines.append(layout.title + "\n")
    if info.batch_size is not None:
        lines.append(f"batch of B = {info.batch_size} sequences; shown: b = {options.batch_index}\n")
    if len(info.cells) > 1:
        directions = "bidirectional" if info.bidirectional else "forward only"
        lines.append(f"stack: {info.num_layers} layer(s), {directions}: each layer reads the outputs of the one below; "
                     f"the reverse direction reads the sequence from t = {T} back to t = 1\n")  # fmt: skip
    lines.append("weights: ", style="bold")
    lines.append(weights_summary(dict(info.weights)) + "\n")
    for note in info.notes:
        lines.append("note: ", style="bold yellow")
        lines.append(note + "\n")
    lines.append("Every step runs the equations of `lstm-trace step`; `--detail T` shows a step stage by stage.",
                 style="italic dim")  # fmt: skip
    article = "An" if layout.title.startswith("LSTM") else "A"
    return Panel(lines, title=info.title or f"{article} {layout.title} over a sequence", title_align="left", expand=False)


def cell_name(cell: CellInfo) -> str:
    if cell.layer is None:
        return "the cell" if cell.direction == "forward" else "the cell, reading backwards"
    return f"layer {cell.layer}, {cell.direction}"


def cell_view(info: SequenceInfo, report: CellReport, options: SequenceViewOptions) -> list[RenderableType]:
    views: list[RenderableType] = []
    if len(info.cells) > 1 or report.cell.layer is not None:
        views.append(Rule(cell_name(report.cell), align="left"))
    quantities = layout_for(info.cell).quantities
    if report.table is not None:
        views.append(step_table(report.table, options.precision, quantities))
    heatmaps = report.behaviour.heatmaps
    shown = heatmaps.units
    if shown.size < heatmaps.hidden_size:
        views.append(Text(f"Heatmaps show units {shown[0]}–{shown[-1]} of {heatmaps.hidden_size} "
                          f"(choose others with --units START:STOP).", style="italic"))  # fmt: skip
    shown_quantities = sequence_quantities(info.cell)
    # The gates side by side, then what they make: C̃, C and h (a GRU: r and z, then n and h).
    for names in shown_quantities.heatmap_rows:
        panels = [heatmap_panel(name, heatmaps, options.heatmap_style, quantities) for name in names]
        views.append(Columns(panels, equal=True))
    views.append(legend(options.heatmap_style))
    views.append(behaviour_view(report.behaviour, shown_quantities, quantities))
    if report.details:
        trace = Trace(
            hidden_size=info.hidden_size,
            input_size=report.cell.input_size,
            dtype=info.dtype,
            weights=dict(report.cell.weights),
            steps=tuple(report.details),
            title=f"Steps of {cell_name(report.cell)} in full",
            cell=info.cell,
        )
        views.extend(step_view(trace, options.detail))
    return views


def step_table(table: StepTable, precision: int, quantities) -> Table:
    """`quantities`: the cell's registry (`stages.layout_for(cell).quantities`), for the columns' symbols and kinds."""
    spread = "" if table.unit_values else "\nmean\nmin…max"
    grid = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    grid.add_column("t", justify="right", style="dim")
    grid.add_column(quantities["x"].symbol + ("" if table.x_values else "\nmean\nmin…max"), justify="right")
    for name in table.names:
        grid.add_column(quantities[name].symbol + spread, justify="right")
    for row in table.rows:
        if row is None:
            grid.add_row(*(Text("⋮", style="dim") for _ in range(2 + len(table.names))))
            continue
        cells = [Text(str(row.t)), _values(row.x, table.x_values, "signed", precision)]
        for name in table.names:
            cells.append(_values(row.values[name], table.unit_values, quantities[name].kind, precision))
        grid.add_row(*cells)
    return grid


def _values(values, every_value: bool, kind: str, precision: int) -> Text:
    if every_value:
        return Text(format_vector(values, precision))
    mean, low, high = (float(v) for v in values)
    text = Text(format_number(mean, precision), style=style_for(mean, kind))
    text.append(f"\n{format_number(low, precision)}…{format_number(high, precision)}", style="dim")
    return text


def behaviour_view(behaviour: GateBehaviour, shown: SequenceQuantities, quantities) -> Text:
    """`shown`: the cell's sequence quantities (a GRU's update gate z stands where f stands); `quantities`: its
    registry, for the symbols."""
    T, H = behaviour.steps, behaviour.hidden_size
    gate = quantities[shown.memory_gate].symbol.removesuffix("ₜ")  # f, or a GRU's z
    keeps = "" if gate == "f" else f": h keeps ≥ {REMEMBER_ABOVE:.0%} of its old value"
    text = Text()
    text.append(f"Gate behaviour over {T} steps × {H} units\n", style="bold")
    text.append(f"  remembering ({gate} > {REMEMBER_ABOVE}{keeps}): {behaviour.remembering:.1%} of (unit, step) pairs; "
                f"forgetting ({gate} < {FORGET_BELOW}): {behaviour.forgetting:.1%}\n")  # fmt: skip
    text.append(f"  units holding memory ({gate} > {REMEMBER_ABOVE} in ≥ {MEMORY_SHARE:.0%} of steps): "
                f"{_units(behaviour.memory_units)}\n")  # fmt: skip
    if shown.state is not None:
        growing = [f"{unit} (C {start:.3g} → {end:.3g})" for unit, start, end in behaviour.growing_units]
        text.append(f"  C grows steadily (|C| rose in ≥ {STEADY_SHARE:.0%} of steps, by ≥ {GROWTH:g} in all, to ≥ "
                    f"{GROWN_TO:g}): {_listed(growing)}\n")  # fmt: skip
    text.append(f"  saturated (|pre-activation| > {SATURATED_ABOVE:g} in ≥ half the steps):")
    if not any(behaviour.saturated_units.values()):
        text.append(" none\n")
    for name, units in behaviour.saturated_units.items():
        if units:
            share = behaviour.saturated_share[name]
            text.append(f"\n    {shown.gate_titles[name]}: units {_units(units)} "
                        f"({share:.1%} of all (unit, step) pairs saturated)")  # fmt: skip
    return text


def _units(units: list[int]) -> str:
    return _listed([str(unit) for unit in units])


def _listed(items: list[str]) -> str:
    if not items:
        return "none"
    if len(items) > LISTED_UNITS:
        return ", ".join(items[:LISTED_UNITS]) + f", … ({len(items)} in all)"
    return ", ".join(items)
