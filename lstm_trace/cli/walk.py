"""`lstm-trace walk` (and `step --interactive`): one stage at a time, at the learner's pace."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing import Annotated

from ..engine.step import trace_step
from ..render.console import make_console
from ..render.tables import TableOptions
from ..stages import layout_for
from .export import ExportOption, check_export, export_screen
from .options import (
    AllRows, CellChoice, InputChoice, MaxRows, Precision, check_stage, option_groups, resolve_choice, stage_option,
    table_options,
)  # fmt: skip


@option_groups
def walk(
    given: InputChoice,
    cell: CellChoice,
    precision: Precision = 4,
    stage: Annotated[Optional[str], stage_option("Start at this stage")] = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    export: ExportOption = None,
) -> None:
    """Walk through one step a stage at a time: the cell diagram, the stage's table, and why.

    Keys: Enter or n next, b back, e explain, j JSON, q quit. With piped input, one command per line.
    """
    walk_through(given, cell, table_options(precision, max_rows, all_rows), stage, export)


def walk_through(
    given: InputChoice, cell: CellChoice, table: TableOptions, stage: str | None, export: Path | None
) -> None:
    """The walk of `walk` and `step --interactive`, from the options as typed."""
    from .keys import open_keys  # only a walk loads the key reader and the session: `step` starts without them
    from .walk_session import WalkSession

    cell.options()  # a wrong cell option is reported first
    check_export(export)
    inputs = resolve_choice(given, cell)
    stages = layout_for(inputs.cell).stage_names  # a weights file may have chosen the cell
    check_stage(stage, stages)
    session = WalkSession(trace_step(inputs), inputs, table, given.seed, make_console())
    code = session.run(open_keys(), stages.index(stage) if stage else 0)
    if code:  # interrupted: nothing is written
        raise typer.Exit(code)
    export_screen(session.last_screen, export, session.console.width)
