"""Options shared by every command that takes a cell's inputs, declared once."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..render.tables import TableOptions
from ..stages import STAGE_NAMES
from ..tracer import StepInputs, resolve_inputs
from ..vectors import parse_vector
from ..weights import PRESET_NAMES, LayerSelection
from ..errors import UsageError

INPUTS = "Inputs"
WEIGHTS = "Weights"
DISPLAY = "Display"

Preset = Annotated[
    Optional[str],
    typer.Option("--preset", "-p", help="A scenario from `lstm-trace presets` (h, x, C and weights).", rich_help_panel=INPUTS),
]
HPrev = Annotated[
    Optional[str],
    typer.Option("--h", help="h_(t-1), e.g. 0,0.5,0.1 or '[0 0.5 0.1]' or @h.npy (default: zeros).", rich_help_panel=INPUTS),
]
X = Annotated[
    Optional[str],
    typer.Option("--x", help="x_t, e.g. --x=-0.1,0.3 or @x.json.", rich_help_panel=INPUTS),
]
CPrev = Annotated[
    Optional[str],
    typer.Option("--c", help="C_(t-1), the previous cell state (default: zeros).", rich_help_panel=INPUTS),
]
HiddenSize = Annotated[
    Optional[int],
    typer.Option("--hidden-size", help="H, when --h is left out (h_(t-1) is then zeros).", rich_help_panel=INPUTS),
]
Weights = Annotated[
    Optional[str],
    typer.Option(
        "--weights", "-w",
        help="identity (default), zeros, random, or a weights file: .npz, .json, PyTorch .pt/.pth, "
        ".safetensors, Keras .keras/.weights.h5, ONNX .onnx.",
        rich_help_panel=WEIGHTS,
    ),
]  # fmt: skip
Seed = Annotated[int, typer.Option("--seed", help="Seed for --weights random.", rich_help_panel=WEIGHTS)]
Layer = Annotated[
    Optional[str],
    typer.Option(
        "--layer",
        help="The LSTM layer to take from a weights file that holds several: an index (0, 1, ...) or a name "
        "(see `lstm-trace weights inspect FILE`).",
        rich_help_panel=WEIGHTS,
    ),
]
Direction = Annotated[
    Optional[str],
    typer.Option(
        "--direction", help="forward or reverse: the cell of a bidirectional layer.", rich_help_panel=WEIGHTS
    ),
]
Dtype = Annotated[
    str,
    typer.Option("--dtype", help="float64 (exact teaching numbers) or float32 (what frameworks store).", rich_help_panel=WEIGHTS),
]
Precision = Annotated[
    int, typer.Option("--precision", min=0, max=17, help="Decimals shown in tables.", rich_help_panel=DISPLAY)
]
MaxRows = Annotated[
    int,
    typer.Option("--max-rows", min=4, help="Units shown per table before the rest is summarised.", rich_help_panel=DISPLAY),
]
AllRows = Annotated[bool, typer.Option("--all-rows", help="Show every unit, however many.", rich_help_panel=DISPLAY)]


def inputs_from_options(
    preset: str | None,
    h: str | None,
    x: str | None,
    c: str | None,
    hidden_size: int | None,
    weights: str | None,
    seed: int,
    dtype: str,
    layer: str | None = None,
    direction: str | None = None,
) -> StepInputs:
    if (layer is not None or direction is not None) and (weights is None or weights in PRESET_NAMES):
        raise UsageError(
            "--layer and --direction choose one cell of a weights file; give the file with --weights FILE."
        )
    return resolve_inputs(
        preset=preset,
        h=None if h is None else parse_vector(h, "--h"),
        x=None if x is None else parse_vector(x, "--x"),
        c=None if c is None else parse_vector(c, "--c"),
        weights=weights,
        seed=seed,
        hidden_size=hidden_size,
        dtype=dtype,
        selection=LayerSelection(layer, direction),
    )


def table_options(precision: int, max_rows: int, all_rows: bool) -> TableOptions:
    return TableOptions(precision=precision, max_rows=None if all_rows else max_rows)


def check_stage(stage: str | None, allowed: tuple[str, ...] = STAGE_NAMES) -> None:
    if stage is not None and stage not in allowed:
        raise UsageError(f"There is no stage {stage!r}. Stages: {', '.join(allowed)}.")
