"""`lstm-trace step`: one LSTM step, every stage, as tables or as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing import Annotated

from ..engine.step import trace_step
from ..errors import UsageError
from ..render.console import print_views
from ..render.step import compact_view, step_view
from ..stages import layout_for
from .export import ExportOption, check_export, recording_console, save_export
from .options import (
    DISPLAY, AllRows, CellChoice, InputChoice, MaxRows, Precision, check_stage, option_groups, resolve_choice,
    stage_option, table_options,
)  # fmt: skip
from .walk import walk_through


@option_groups
def step(
    given: InputChoice,
    cell: CellChoice,
    precision: Precision = 4,
    stage: Annotated[Optional[str], stage_option("Show one stage only")] = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON instead of tables.")] = False,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Also write the JSON trace to this file (atomically).")
    ] = None,
    diagram: Annotated[bool, typer.Option("--diagram", help="Draw the cell with its values in the header.", rich_help_panel=DISPLAY)] = False,
    interactive: Annotated[bool, typer.Option("--interactive", "-i", help="Walk through the stages one at a time (as `walk`).")] = False,
    compact: Annotated[bool, typer.Option("--compact", help="The whole step in one table, a row per unit: a first look that fits a terminal.", rich_help_panel=DISPLAY)] = False,
    export: ExportOption = None,
) -> None:
    """Trace one LSTM step: concatenation, gates, new cell and hidden state."""
    cell.options()  # a wrong cell option is reported first
    check_export(export, with_json=as_json)
    if interactive:  # the same walk as `lstm-trace walk`
        if as_json or output is not None:
            raise UsageError("--interactive walks through the stages on screen; use --json or --output without it.")
        return walk_through(given, cell, table_options(precision, max_rows, all_rows), stage, export)
    inputs = resolve_choice(given, cell)
    check_stage(stage, layout_for(inputs.cell).stage_names)  # a weights file may have chosen the cell
    trace = trace_step(inputs)
    if as_json or output is not None:
        from ..io.trace_json import write_outputs  # JSON is only imported when asked for

        write_outputs(trace, to_stdout=as_json, path=output)
    if as_json:
        return
    console = recording_console(export)
    if compact:
        if stage is not None or diagram:
            raise UsageError("--compact shows the whole step in one table; drop --stage and --diagram, or --compact.")
        print_views(console, compact_view(trace, table_options(precision, max_rows, all_rows)))
        return save_export(console, export)
    views = step_view(trace, table_options(precision, max_rows, all_rows), stage)
    if diagram:
        from ..render.diagram import with_diagram

        views = with_diagram(views, trace, precision, stage)
    print_views(console, views)
    save_export(console, export)
