"""Options shared by the commands, declared once.

Each option is one module-level `Annotated` alias, built once at import (a command's
annotation then names it rather than spelling the expression out). Options that travel
together form a group, a NamedTuple of those aliases: `InputChoice` (--preset, --h,
--x, --c, --hidden-size, --weights, ...) and `CellChoice` (--variant and the cell's
run-time options). A command takes a group as ONE parameter:

    @option_groups
    def diagram(given: InputChoice, cell: CellChoice, precision: Precision = 4, ...) -> None:
        inputs = resolve_choice(given, cell)  # a StepInputs: presets, files and sizes resolved

and `option_groups` shows Typer each option of the group as a parameter of its own
(same flags, help and order), then calls the command with one NamedTuple per group.
A command that declares one of a group's options itself keeps its own (grad's
--forget-bias, which is folded into b_f): the group's field keeps its default.
"""

# No `from __future__ import annotations` here: the groups' fields must hold the aliases themselves.
import inspect
from functools import wraps
from typing import Annotated, Callable, NamedTuple, Optional

import typer
from typer.models import ParameterInfo

from ..cell_options import CELL_ACTIVATION_NAMES, GATE_ACTIVATION_NAMES, VARIANT_NAMES, CellOptions
from ..engine.step import StepInputs, resolve_inputs
from ..errors import UsageError
from ..io.vectors import parse_vector
from ..render.tables import TableOptions
from ..stages import STAGE_NAMES
from ..weights import DTYPES, PRESET_NAMES, LayerSelection
from ..weights.layers import DIRECTIONS

INPUTS = "Inputs"
WEIGHTS = "Weights"
DISPLAY = "Display"
CELL = "Cell variant"


def choices(names: tuple[str, ...]) -> dict:
    """A choice option's names for typer.Option: shown in --help as [a|b|c] and offered by shell completion.

    The value stays a str, checked where it is used (CellOptions.check, check_dtype, ...), so a wrong one
    gets the project's one-line message with exit code 2 rather than Click's usage box.
    """
    return {"metavar": f"[{'|'.join(names)}]", **completion(names)}


def completion(names: tuple[str, ...]) -> dict:
    return {"autocompletion": lambda incomplete: [name for name in names if name.startswith(incomplete)]}


def stage_option(what: str, names: tuple[str, ...] = STAGE_NAMES):
    """--stage/-s: `what` a command does with it; the plain LSTM's names in --help and completion (too many for
    the metavar). Another cell has its own, checked against its layout once the cell is known (`check_stage`)."""
    return typer.Option("--stage", "-s", metavar="NAME", rich_help_panel=DISPLAY, **completion(names),
                        help=f"{what}: {', '.join(names)} (another cell has its own: a wrong name lists them).")  # fmt: skip

Preset = Annotated[
    Optional[str],
    typer.Option("--preset", "-p", help="A scenario from `lstm-trace presets` (h, x, C and weights).", rich_help_panel=INPUTS),
]
HPrev = Annotated[
    Optional[str],
    typer.Option("--h", help="h_(t-1): numbers such as 0,0.5,0.1 or '[0 0.5 0.1]', or a file (h.npy, .json, .txt). Left out: zeros.", rich_help_panel=INPUTS),
]
X = Annotated[
    Optional[str],
    typer.Option("--x", help="x_t: numbers (--x=-0.1,0.3) or a file (x.npy, .json, .txt).", rich_help_panel=INPUTS),
]
CPrev = Annotated[
    Optional[str],
    typer.Option("--c", help="C_(t-1), the previous cell state, as --h. Left out: zeros.", rich_help_panel=INPUTS),
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
        "--direction", help="The cell of a bidirectional layer.", rich_help_panel=WEIGHTS, **choices(DIRECTIONS)
    ),
]
Dtype = Annotated[
    str,
    typer.Option("--dtype", help="float64: exact teaching numbers; float32: what frameworks store.", rich_help_panel=WEIGHTS,
                 **choices(DTYPES)),
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
    str,
    typer.Option("--variant", help="The cell: the LSTM, with peepholes, with coupled gates (cifg: i = 1 - f), or a GRU.",
                 rich_help_panel=CELL, **choices(VARIANT_NAMES)),
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
    typer.Option("--proj-size", help="Project h_t = W_hr (o ⊙ tanh(C_t)) to P < H entries (PyTorch's proj_size); needs --hidden-size H with --weights identity, zeros or random.", rich_help_panel=CELL),
]
GateActivation = Annotated[
    str,
    typer.Option("--gate-activation", help="The gates' squashing; hard_sigmoid is clip(0.2x + 0.5, 0, 1).",
                 rich_help_panel=CELL, **choices(GATE_ACTIVATION_NAMES)),
]
CellActivation = Annotated[
    str,
    typer.Option("--cell-activation", help="The squashing of C~_t and of C_t.", rich_help_panel=CELL,
                 **choices(CELL_ACTIVATION_NAMES)),
]
GruResetBefore = Annotated[
    bool,
    typer.Option("--gru-reset-before", help="GRU: r multiplies h before W_hn (Cho et al. 2014), not after (PyTorch).", rich_help_panel=CELL),
]


class InputChoice(NamedTuple):
    """What the user gave for one step, as typed (vectors and files not yet read): see `resolve_choice`."""

    preset: Preset = None
    h: HPrev = None
    x: X = None
    c: CPrev = None
    hidden_size: HiddenSize = None
    weights: Weights = None
    seed: Seed = 0
    layer: Layer = None
    direction: Direction = None
    dtype: Dtype = "float64"


class CellChoice(NamedTuple):
    """The cell options as typed (their names are CellOptions' fields), and which of them were typed."""

    variant: Variant = "lstm"
    forget_bias: ForgetBias = 0.0
    cell_clip: CellClip = None
    preact_clip: PreactClip = None
    proj_size: ProjSize = None
    gate_activation: GateActivation = "sigmoid"
    cell_activation: CellActivation = "tanh"
    gru_reset_before: GruResetBefore = False
    # The options typed on the command line rather than left at their defaults: a weights file's own
    # options may fill the others, but must not contradict these. Filled in by `option_groups`.
    typed: frozenset = frozenset()

    def options(self) -> CellOptions:
        """The cell, its names and values checked (a wrong one is a UsageError with exit code 2)."""
        fields = self._asdict()
        del fields["typed"]
        return CellOptions(**fields).check()


GROUPS = (InputChoice, CellChoice)
_CONTEXT = "typer_context"  # the parameter `option_groups` adds to learn which options were typed


def option_groups(command: Callable) -> Callable:
    """`command` with each parameter annotated by a group (`GROUPS`) shown to Typer as the group's options."""
    signature = inspect.signature(command, eval_str=True)
    own = {name for name, parameter in signature.parameters.items() if parameter.annotation not in GROUPS}
    parameters = [inspect.Parameter(_CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)]
    expanded: dict[str, tuple[type, tuple[str, ...]]] = {}  # the command's parameter -> (group, its options shown)
    for name, parameter in signature.parameters.items():
        group = parameter.annotation
        if group not in GROUPS:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        hints = group.__annotations__
        shown = tuple(field for field in group._fields if _is_option(hints[field]) and field not in own)
        expanded[name] = (group, shown)
        parameters += [
            inspect.Parameter(field, inspect.Parameter.KEYWORD_ONLY, annotation=hints[field],
                              default=group._field_defaults[field])
            for field in shown
        ]  # fmt: skip

    @wraps(command)
    def with_groups(**values):
        context = values.pop(_CONTEXT)
        for name, (group, shown) in expanded.items():
            chosen = {field: values.pop(field) for field in shown}
            if "typed" in group._fields:
                chosen["typed"] = _typed(context, shown)
            values[name] = group(**chosen)
        return command(**values)

    with_groups.__signature__ = signature.replace(parameters=parameters)
    with_groups.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters}
    return with_groups


def _is_option(annotation) -> bool:
    return any(isinstance(extra, ParameterInfo) for extra in getattr(annotation, "__metadata__", ()))


def _typed(context: typer.Context, names: tuple[str, ...]) -> frozenset:
    sources = {name: context.get_parameter_source(name) for name in names}
    # Compared by name: Typer ships its own copy of click, whose ParameterSource is another enum.
    return frozenset(name for name, source in sources.items() if source and source.name not in ("DEFAULT", "DEFAULT_MAP"))


def check_cell_choice(weights: str | None, layer: str | None, direction: str | None) -> None:
    """--layer/--direction pick a cell of a weights file; a preset has one cell, so they would pick nothing."""
    if (layer is not None or direction is not None) and (weights is None or weights in PRESET_NAMES):
        raise UsageError(
            "--layer and --direction choose one cell of a weights file; give the file with --weights FILE."
        )


def resolve_choice(inputs: InputChoice, cell: CellChoice, *, x=None, x_option: str = "--x") -> StepInputs:
    """The step's inputs from the options as typed; `x`, when given, stands for --x (`grad --xs` gives its first
    step, and `x_option` says so in errors)."""
    check_cell_choice(inputs.weights, inputs.layer, inputs.direction)
    return resolve_inputs(
        preset=inputs.preset,
        h=None if inputs.h is None else parse_vector(inputs.h, "--h"),
        x=parse_vector(inputs.x, "--x") if x is None and inputs.x is not None else x,
        c=None if inputs.c is None else parse_vector(inputs.c, "--c"),
        weights=inputs.weights,
        seed=inputs.seed,
        hidden_size=inputs.hidden_size,
        dtype=inputs.dtype,
        cell=cell.options(),
        selection=LayerSelection(inputs.layer, inputs.direction),
        x_option=x_option,
        given_options=cell.typed,
    )


def table_options(precision: int, max_rows: int, all_rows: bool) -> TableOptions:
    return TableOptions(precision=precision, max_rows=None if all_rows else max_rows)


def check_stage(stage: str | None, allowed: tuple[str, ...] = STAGE_NAMES) -> None:
    if stage is not None and stage not in allowed:
        raise UsageError(f"There is no stage {stage!r}. Stages: {', '.join(allowed)}.")
