"""`lstm-trace step`: one LSTM step, every stage, as tables or as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing import Annotated

from ..render.console import make_console
from ..render.step import step_view
from ..stages import layout_for
from ..tracer import trace_step
from .options import (
    DISPLAY, AllRows, CellActivation, CellClip, CPrev, Dtype, ForgetBias, GateActivation, GruResetBefore,
    HiddenSize, HPrev, MaxRows, PreactClip, Precision, Preset, ProjSize, Seed, Variant, Weights, X,
    cell_from_options, check_stage, inputs_from_options, table_options,
)  # fmt: skip


def step(
    preset: Preset = None,
    h: HPrev = None,
    x: X = None,
    c: CPrev = None,
    hidden_size: HiddenSize = None,
    weights: Weights = None,
    seed: Seed = 0,
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
        Optional[str], typer.Option("--stage", "-s", help="Show one stage only (concat, forget, ...).", rich_help_panel=DISPLAY)
    ] = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trace as JSON instead of tables.")] = False,
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Also write the JSON trace to this file (atomically).")
    ] = None,
) -> None:
    """Trace one LSTM step: concatenation, gates, new cell and hidden state."""
    cell = cell_from_options(
        variant, forget_bias, cell_clip, preact_clip, proj_size, gate_activation, cell_activation, gru_reset_before
    )
    check_stage(stage, layout_for(cell).stage_names)
    trace = trace_step(inputs_from_options(preset, h, x, c, hidden_size, weights, seed, dtype, cell))
    if as_json or output is not None:
        from ..trace_json import write_outputs  # JSON is only imported when asked for

        write_outputs(trace, to_stdout=as_json, path=output)
    if as_json:
        return
    console = make_console()
    for view in step_view(trace, table_options(precision, max_rows, all_rows), stage):
        console.print(view)
