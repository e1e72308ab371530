"""`lstm-trace diff A.json B.json`: what changed between two traces, stage by stage."""

from __future__ import annotations

import typer
from typing import Annotated

from .export import ExportOption, check_export, recording_console, save_export
from .options import AllRows, MaxRows, Precision


def diff(
    first: Annotated[str, typer.Argument(metavar="A.json", help="The trace to start from (- for stdin).")],
    second: Annotated[str, typer.Argument(metavar="B.json", help="The trace to compare with it.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the differences as JSON (full precision).")] = False,
    movers: Annotated[int, typer.Option("--movers", min=1, help="How many biggest movers to list.")] = 5,
    precision: Precision = 4,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    export: ExportOption = None,
) -> None:
    """What if: compare two traces of the same cell size stage by stage (Δ = B − A per unit)."""
    import json
    import sys

    from ..engine.differences import diff_to_dict, diff_traces
    from ..io.trace_json import read_trace

    check_export(export, with_json=as_json)
    result = diff_traces(read_trace(first), read_trace(second), first, second, movers)
    if as_json:
        sys.stdout.write(json.dumps(diff_to_dict(result), allow_nan=False) + "\n")
        return
    from ..render.diff import diff_view

    console = recording_console(export)
    for view in diff_view(result, precision, None if all_rows else max_rows):
        console.print(view)
    save_export(console, export)
