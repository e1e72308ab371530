"""`lstm-trace walk` (and `step --interactive`): one stage at a time, at the learner's pace."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..render.console import make_console
from ..stages import layout_for
from ..tracer import trace_step
from .export import ExportOption, check_export, export_screen
from .options import (
    DISPLAY, AllRows, CellActivation, CellClip, CPrev, Direction, Dtype, ForgetBias, GateActivation,
    GruResetBefore, HiddenSize, HPrev, Layer, MaxRows, PreactClip, Precision, Preset, ProjSize, Seed, Variant,
    Weights, X, cell_from_options, check_stage, given_cell_options, inputs_from_options, table_options,
)  # fmt: skip


def walk(
    ctx: typer.Context,
    preset: Preset = None,
    h: HPrev = None,
    x: X = None,
    c: CPrev = None,
    hidden_size: HiddenSize = None,
    weights: Weights = None,
    seed: Seed = 0,
    layer: Layer = None,
    direction: Direction = None,
    dtype: Dtype = "float64",
    variant: Variant = "lstm",
    forget_bias: ForgetBias = 0.0,
    cell_clip: CellClip = None,
    preact_clip: PreactClip = None,
    proj_size: ProjSize = None,
    gate_activation: GateActivation = "sigmoid",
    cell_activation: CellActivation = "tanh",
    gru_reset_before: GruResetBefore = False,
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

    cell = cell_from_options(
        variant, forget_bias, cell_clip, preact_clip, proj_size, gate_activation, cell_activation, gru_reset_before
    )
    check_export(export)
    inputs = inputs_from_options(
        preset, h, x, c, hidden_size, weights, seed, dtype, cell, layer, direction, given_cell_options(ctx)
    )
    stages = layout_for(inputs.cell).stage_names  # a weights file may have chosen the cell
    check_stage(stage, stages)
    session = WalkSession(trace_step(inputs), inputs, table_options(precision, max_rows, all_rows), seed, make_console())
    code = session.run(open_keys(), stages.index(stage) if stage else 0)
    if code:  # interrupted: nothing is written
        raise typer.Exit(code)
    export_screen(session.last_screen, export, session.console.width)
