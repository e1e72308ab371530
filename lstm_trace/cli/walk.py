"""`lstm-trace walk` (and `step --interactive`): one stage at a time, at the learner's pace."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..render.console import make_console
from ..stages import STAGE_NAMES
from ..tracer import trace_step
from .export import ExportOption, check_export, export_screen
from .options import (
    DISPLAY, AllRows, CPrev, Dtype, HiddenSize, HPrev, MaxRows, Precision, Preset, Seed, Weights, X,
    check_stage, inputs_from_options, require_plain_cell, table_options,
)  # fmt: skip


def walk(
    preset: Preset = None,
    h: HPrev = None,
    x: X = None,
    c: CPrev = None,
    hidden_size: HiddenSize = None,
    weights: Weights = None,
    seed: Seed = 0,
    dtype: Dtype = "float64",
    precision: Precision = 4,
    stage: Annotated[
        Optional[str], typer.Option("--stage", "-s", help="Start at this stage.", rich_help_panel=DISPLAY)
    ] = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    export: ExportOption = None,
) -> None:
    """Walk through one step a stage at a time: the cell diagram, the stage's table, and why.

    Keys: Enter or n next, b back, e explain, j JSON, q quit. With piped input, one command per line.
    """
    from .keys import open_keys
    from .walk_session import WalkSession

    check_stage(stage)
    check_export(export)
    inputs = inputs_from_options(preset, h, x, c, hidden_size, weights, seed, dtype)
    require_plain_cell(inputs.cell, "The walk", inputs.weights.source)  # a weights file may hold another cell
    session = WalkSession(trace_step(inputs), inputs, table_options(precision, max_rows, all_rows), seed, make_console())
    code = session.run(open_keys(), STAGE_NAMES.index(stage) if stage else 0)
    if code:  # interrupted: nothing is written
        raise typer.Exit(code)
    export_screen(session.last_screen, export, session.console.width)
