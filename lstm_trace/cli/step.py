"""`lstm-trace step`: one LSTM step, every stage, as tables or as JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typing import Annotated

from ..render.console import make_console
from ..render.step import step_view
from ..tracer import trace_step
from .options import (
    DISPLAY, AllRows, CPrev, Dtype, HiddenSize, HPrev, MaxRows, Precision, Preset, Seed, Weights, X,
    check_stage, inputs_from_options, table_options,
)  # fmt: skip
from .options import Direction, Layer


def step(
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
    check_stage(stage)
    trace = trace_step(inputs_from_options(preset, h, x, c, hidden_size, weights, seed, dtype, layer, direction))
    if as_json or output is not None:
        from ..trace_json import write_outputs  # JSON is only imported when asked for

        write_outputs(trace, to_stdout=as_json, path=output)
    if as_json:
        return
    console = make_console()
    for view in step_view(trace, table_options(precision, max_rows, all_rows), stage):
        console.print(view)
