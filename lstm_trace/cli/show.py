"""`lstm-trace show`: render a saved trace with the same tables, without recomputing."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..render.console import print_views
from ..render.step import step_view
from ..stages import layout_for
from .export import ExportOption, check_export, recording_console, save_export
from .options import AllRows, MaxRows, Precision, check_stage, stage_option, table_options


def show(
    source: Annotated[str, typer.Argument(metavar="FILE", help="A trace written by --json/--output, or - for stdin.")],
    precision: Precision = 4,
    stage: Annotated[Optional[str], stage_option("Show one stage only")] = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    export: ExportOption = None,
) -> None:
    """Show a saved JSON trace as tables (a sequence trace from `run`, JSON or JSON Lines, as `run` shows it)."""
    from ..io.sequence_reader import RecordedSequence, read_any

    check_export(export)
    trace = read_any(source)
    if isinstance(trace, RecordedSequence):
        from .run import show_sequence

        console = recording_console(export)
        show_sequence(trace, console, stage, table_options(precision, max_rows, all_rows))
        return save_export(console, export)
    check_stage(stage, layout_for(trace.cell).stage_names)  # a variant's trace has its own stages
    console = recording_console(export)
    print_views(console, step_view(trace, table_options(precision, max_rows, all_rows), stage))
    if stage is None and any(step.backward is not None for step in trace.steps):  # a trace from `grad`
        from ..render.grad import backward_report

        print_views(console, backward_report(trace, table_options(precision, max_rows, all_rows), with_notes=False))
    save_export(console, export)
