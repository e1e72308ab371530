"""`lstm-trace explain`: a stage in words, equations and a worked example with real numbers."""

from __future__ import annotations

import typer
from typing import Annotated

from ..render.console import make_console
from ..stages import GATE_BY_NAME, STAGE_BY_NAME, STAGE_NAMES, STAGES
from ..tracer import trace_step
from ..weights import presets
from .options import (
    AllRows, CPrev, Dtype, HiddenSize, HPrev, MaxRows, Precision, Preset, Seed, Weights, X,
    check_stage, inputs_from_options, table_options,
)  # fmt: skip
from .options import Direction, Layer

DEFAULT_PRESET = "seed-question"


def explain(
    stage: Annotated[str, typer.Argument(help=f"One of {', '.join(STAGE_NAMES)}, or all.")] = "all",
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
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
) -> None:
    """Explain a stage: what it does, why, its equation, a common mistake, and your numbers.

    The worked example uses the seed-question preset unless you give --preset or --x.
    """
    from ..render.explain import explain_view
    from ..worked import contrast, unit_sum

    check_stage(stage, (*STAGE_NAMES, "all"))
    if preset is None and x is None:
        preset = DEFAULT_PRESET
    inputs = inputs_from_options(preset, h, x, c, hidden_size, weights, seed, dtype, layer, direction)
    trace = trace_step(inputs)
    step = trace.steps[0]
    shown = STAGES if stage == "all" else (STAGE_BY_NAME[stage],)
    versus = contrast(step, presets.random(trace.hidden_size, trace.input_size, seed).astype(dtype))
    console = make_console()
    for each in shown:
        unit = unit_sum(inputs.weights, step, each.name) if each.name in GATE_BY_NAME else None
        for view in explain_view(each, trace, unit, versus, table_options(precision, max_rows, all_rows)):
            console.print(view)
