"""`lstm-trace diagram`: the cell as the familiar figure, with this step's values on its wires."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..tracer import trace_step
from .export import ExportOption, check_export, recording_console, save_export
from .options import (
    DISPLAY, CPrev, Dtype, HiddenSize, HPrev, Precision, Preset, Seed, Weights, X, check_stage, inputs_from_options,
    require_plain_cell,
)  # fmt: skip


def diagram(
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
        Optional[str], typer.Option("--stage", "-s", help="Highlight this stage (concat, forget, ...).", rich_help_panel=DISPLAY)
    ] = None,
    export: ExportOption = None,
) -> None:
    """Draw the LSTM cell with the live values on every wire (a summary for large H)."""
    from ..render.diagram import DiagramOptions, diagram_view

    check_stage(stage)
    check_export(export)
    inputs = inputs_from_options(preset, h, x, c, hidden_size, weights, seed, dtype)
    require_plain_cell(inputs.cell, "diagram", inputs.weights.source)  # a weights file may hold another cell
    trace = trace_step(inputs)
    console = recording_console(export)
    console.print(diagram_view(trace, DiagramOptions(precision, highlight=stage)))
    save_export(console, export)
