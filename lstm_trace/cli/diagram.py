"""`lstm-trace diagram`: the cell as the familiar figure, with this step's values on its wires."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..stages import layout_for
from ..tracer import trace_step
from .export import ExportOption, check_export, recording_console, save_export
from .options import (
    DISPLAY, CellActivation, CellClip, CPrev, Direction, Dtype, ForgetBias, GateActivation, GruResetBefore,
    HiddenSize, HPrev, Layer, PreactClip, Precision, Preset, ProjSize, Seed, Variant, Weights, X,
    cell_from_options, check_stage, given_cell_options, inputs_from_options,
)  # fmt: skip


def diagram(
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
        Optional[str], typer.Option("--stage", "-s", help="Highlight this stage (concat, forget, ...).", rich_help_panel=DISPLAY)
    ] = None,
    export: ExportOption = None,
) -> None:
    """Draw the cell (LSTM, peephole, cifg, GRU, with their options) with the live values on every wire."""
    from ..render.diagram import DiagramOptions, diagram_view

    cell = cell_from_options(
        variant, forget_bias, cell_clip, preact_clip, proj_size, gate_activation, cell_activation, gru_reset_before
    )
    check_export(export)
    inputs = inputs_from_options(
        preset, h, x, c, hidden_size, weights, seed, dtype, cell, layer, direction, given_cell_options(ctx)
    )
    check_stage(stage, layout_for(inputs.cell).stage_names)  # a weights file may have chosen the cell
    trace = trace_step(inputs)
    console = recording_console(export)
    console.print(diagram_view(trace, DiagramOptions(precision, highlight=stage)))
    save_export(console, export)
