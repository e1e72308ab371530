"""Options shared by every command that takes a cell's inputs, declared once."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

from ..render.tables import TableOptions
from ..stages import STAGE_NAMES
from ..tracer import StepInputs, resolve_inputs
from ..cells.options import CellOptions
from ..vectors import parse_vector
from ..weights import PRESET_NAMES, LayerSelection
from ..errors import UsageError

INPUTS = "Inputs"
WEIGHTS = "Weights"
DISPLAY = "Display"
CELL = "Cell variant"

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

# The cell variant and its run-time options (issue 6). Names are checked by CellOptions.check,
# so a wrong one gets the project's own message and exit code 2.
Variant = Annotated[
    str, typer.Option("--variant", help="lstm (default), peephole, cifg (i = 1 - f) or gru.", rich_help_panel=CELL)
]
ForgetBias = Annotated[
    float,
    typer.Option("--forget-bias", help="B added inside the forget sigmoid at run time, not stored (TensorFlow's forget_bias).", rich_help_panel=CELL),
]
CellClip = Annotated[
    Optional[float], typer.Option("--cell-clip", help="Clip C_t to [-V, V] (TensorFlow's cell_clip).", rich_help_panel=CELL)
]
PreactClip = Annotated[
    Optional[float],
    typer.Option("--preact-clip", help="Clip every pre-activation to [-V, V] before its activation (ONNX's clip).", rich_help_panel=CELL),
]
ProjSize = Annotated[
    Optional[int],
    typer.Option("--proj-size", help="Project h_t = W_hr (o ⊙ tanh(C_t)) to P < H entries (PyTorch's proj_size); needs --hidden-size H with a preset.", rich_help_panel=CELL),
]
GateActivation = Annotated[
    str, typer.Option("--gate-activation", help="sigmoid (default) or hard_sigmoid = clip(0.2x + 0.5, 0, 1).", rich_help_panel=CELL)
]
CellActivation = Annotated[
    str, typer.Option("--cell-activation", help="tanh (default), relu or softsign: for C~_t and for C_t.", rich_help_panel=CELL)
]
GruResetBefore = Annotated[
    bool,
    typer.Option("--gru-reset-before", help="GRU: r multiplies h before W_hn (Cho et al. 2014), not after (PyTorch).", rich_help_panel=CELL),
]


def cell_from_options(
    variant: str,
    forget_bias: float,
    cell_clip: float | None,
    preact_clip: float | None,
    proj_size: int | None,
    gate_activation: str,
    cell_activation: str,
    gru_reset_before: bool,
) -> CellOptions:
    return CellOptions(
        variant=variant, forget_bias=forget_bias, cell_clip=cell_clip, preact_clip=preact_clip,
        proj_size=proj_size, gate_activation=gate_activation, cell_activation=cell_activation,
        gru_reset_before=gru_reset_before,
    ).check()  # fmt: skip


CELL_OPTION_PARAMETERS = (
    "variant", "forget_bias", "cell_clip", "preact_clip", "proj_size", "gate_activation", "cell_activation",
    "gru_reset_before",
)  # the command's parameter names, which are CellOptions' field names  # fmt: skip


def given_cell_options(ctx: typer.Context) -> frozenset[str]:
    """The cell options typed on the command line rather than left at their defaults: a weights
    file's own options may fill the others, but must not contradict these."""
    sources = {name: ctx.get_parameter_source(name) for name in CELL_OPTION_PARAMETERS}
    # Compared by name: Typer ships its own copy of click, whose ParameterSource is another enum.
    return frozenset(name for name, source in sources.items() if source and source.name not in ("DEFAULT", "DEFAULT_MAP"))


def check_cell_choice(weights: str | None, layer: str | None, direction: str | None) -> None:
    """--layer/--direction pick a cell of a weights file; a preset has one cell, so they would pick nothing."""
    if (layer is not None or direction is not None) and (weights is None or weights in PRESET_NAMES):
        raise UsageError(
            "--layer and --direction choose one cell of a weights file; give the file with --weights FILE."
        )


def inputs_from_options(
    preset: str | None,
    h: str | None,
    x: str | None,
    c: str | None,
    hidden_size: int | None,
    weights: str | None,
    seed: int,
    dtype: str,
    cell: CellOptions | None = None,
    layer: str | None = None,
    direction: str | None = None,
    given_options: frozenset[str] | None = None,
) -> StepInputs:
    check_cell_choice(weights, layer, direction)
    return resolve_inputs(
        preset=preset,
        h=None if h is None else parse_vector(h, "--h"),
        x=None if x is None else parse_vector(x, "--x"),
        c=None if c is None else parse_vector(c, "--c"),
        weights=weights,
        seed=seed,
        hidden_size=hidden_size,
        dtype=dtype,
        cell=cell,
        selection=LayerSelection(layer, direction),
        given_options=given_options,
    )


def table_options(precision: int, max_rows: int, all_rows: bool) -> TableOptions:
    return TableOptions(precision=precision, max_rows=None if all_rows else max_rows)


def check_stage(stage: str | None, allowed: tuple[str, ...] = STAGE_NAMES) -> None:
    if stage is not None and stage not in allowed:
        raise UsageError(f"There is no stage {stage!r}. Stages: {', '.join(allowed)}.")
