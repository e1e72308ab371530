"""From what the user gave `run` to checked arrays: the sequence, the initial states and the cells.

Weights and presets resolve as in `step`. A weights file that holds several cells
(layers and/or two directions, found by `weights.read_weight_cells`) runs as a whole
stack, unless --layer/--direction pick one cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError, UsageError, shape_text
from .scenarios import load_scenario, scenario_weights
from .sequence_trace import DIRECTIONS, CellInfo, SequenceInfo
from .stack import CellKey, initial_states, stack_layout, StackLayout
from .tracer import MAX_SIZE
from .vectors import parse_vector
from .weights import DTYPES, PRESET_NAMES, LSTMWeights, load_weights, read_weight_cells
from .weights.cell_options import cell_kind, implied_options, options_text
from .weights.cells import select_key


@dataclass(frozen=True)
class SequenceInputs:
    cells: dict[CellKey, LSTMWeights]  # in the dtype asked for
    xs: np.ndarray  # (T, B, I), time-major whatever the input layout was
    h0: np.ndarray  # (number of cells, B, H)
    c0: np.ndarray
    info: SequenceInfo


@dataclass(frozen=True)
class SequenceRequest:
    """The options of `run`, as typed (vectors and files not yet read)."""

    xs: np.ndarray  # (T, I), or (T, B, I) / (B, T, I) from a .npy
    h: str | None = None
    c: str | None = None
    preset: str | None = None
    weights: str | None = None
    seed: int = 0
    hidden_size: int | None = None
    dtype: str = "float64"
    layer: str | None = None
    direction: str | None = None
    batch_first: bool = False


def resolve_sequence_inputs(request: SequenceRequest) -> SequenceInputs:
    if request.dtype not in DTYPES:
        raise UsageError(f"--dtype {request.dtype!r} is not supported; choose one of {', '.join(DTYPES)}.")
    scenario = load_scenario(request.preset) if request.preset else None
    h = parse_state(request.h, "--h") if request.h is not None else (scenario.h if scenario else None)
    c = parse_state(request.c, "--c") if request.c is not None else (scenario.c if scenario else None)
    xs = _time_major(request.xs, request.batch_first)  # (T, B, I)
    T, B, I = xs.shape
    hidden_size = request.hidden_size if request.hidden_size is not None else (None if h is None else h.shape[-1])
    if request.hidden_size is not None and not 1 <= request.hidden_size <= MAX_SIZE:
        raise UsageError(f"--hidden-size is {request.hidden_size}; it must be between 1 and {MAX_SIZE}.")

    cells, provenance, stacked = _cells(request, scenario, hidden_size, I)
    keys = sorted(cells, key=lambda key: (key[0], DIRECTIONS.index(key[1])))  # the order they run in
    cells = {key: cells[key].astype(request.dtype) for key in keys}
    first = cells[keys[0]]
    if first.input_size != I:
        raise UsageError(
            f"--xs has {I} values per step (shape {shape_text(request.xs.shape)}), but the weights "
            f"({first.source}) have input size I = {first.input_size}: W_f has shape "
            f"{shape_text(first.W['forget'].shape)}, so every step needs {first.input_size} values."
        )
    layout = stack_layout(cells) if len(cells) > 1 else StackLayout(1, (keys[0][1],), first.hidden_size, I)
    notes = []
    states = []
    for name, option, state in (("h_0", "--h", h), ("c_0", "--c", c)):
        if state is None:
            notes.append(f"{name} was not given, so it is assumed to be zeros.")
        states.append(_states(layout, state, B, option).astype(request.dtype))
    info = SequenceInfo(
        hidden_size=first.hidden_size,
        input_size=I,
        dtype=request.dtype,
        weights=provenance,
        sequence_length=T,
        batch_size=B if request.xs.ndim == 3 else None,
        cells=tuple(CellInfo(layer if stacked else None, direction, cells[(layer, direction)].input_size,
                             dict(cells[(layer, direction)].provenance)) for layer, direction in keys),  # fmt: skip
        batch_first=request.batch_first,
        stacked=stacked,
        title=f"{scenario.title} (preset {scenario.name})" if scenario else None,
        notes=tuple(notes),
    )
    return SequenceInputs(cells=cells, xs=xs.astype(request.dtype, copy=False), h0=states[0], c0=states[1], info=info)


def _time_major(xs: np.ndarray, batch_first: bool) -> np.ndarray:
    if xs.ndim == 2:
        return xs[:, None, :]
    return xs.transpose(1, 0, 2) if batch_first else xs


def _cells(request: SequenceRequest, scenario, hidden_size: int | None, input_size: int):
    """({key: weights}, the trace's "weights" block, whether steps should name their cell)."""
    if request.weights is None and scenario is not None:
        weights = scenario_weights(scenario)
        return {(0, "forward"): weights}, dict(weights.provenance), False
    spec = request.weights or "identity"
    if spec in PRESET_NAMES:
        if hidden_size is None:
            raise UsageError(
                f"The '{spec}' weights preset is made to fit the inputs, so it needs the hidden size: "
                f"give --h (H = its length) or --hidden-size H."
            )
        weights = load_weights(spec, hidden_size, input_size, request.seed)
        return {(0, "forward"): weights}, dict(weights.provenance), False
    found = read_weight_cells(Path(spec))
    _check_plain(found)
    picked = request.layer is not None or request.direction is not None
    if picked or len(found.cells) == 1:
        key = select_key(found, request.layer, request.direction)
        return {key: found.cells[key]}, dict(found.cells[key].provenance), len(found.cells) > 1 or picked
    layout = stack_layout(found.cells)
    provenance = {
        "source": str(found.path),
        "framework": found.framework,
        "description": f"{layout.layers} layer(s), {' and '.join(layout.directions)}: run as a stack like torch.nn.LSTM",
    }
    if found.notes:
        provenance["notes"] = list(found.notes)
    return dict(found.cells), provenance, True


def _check_plain(found) -> None:
    """`run` computes the plain LSTM; a file whose cells compute something else is refused, not approximated."""
    for (layer, direction), weights in sorted(found.cells.items()):
        options = implied_options(weights)
        if options:
            raise DataError(
                f"'{found.path}' holds a cell that is not the plain LSTM: {cell_kind(weights)} (layer {layer}, "
                f"{direction}; {options_text(options)}). `run` traces the plain LSTM only and will not compute "
                f"something else in its place; `lstm-trace step --weights {found.path}` traces one step of that cell."
            )


def parse_state(text: str, option: str) -> np.ndarray:
    """An initial state: a vector typed or read like --h of `step`, or a .npy of (cells, H) or
    (cells, B, H) as torch.nn.LSTM takes h_0 and c_0."""
    stripped = text.strip()
    if not (stripped.startswith("@") and stripped.lower().endswith(".npy")):
        return parse_vector(text, option)
    path = Path(stripped[1:])
    where = f"{option} file '{path}'"
    if not path.is_file():
        raise UsageError(f"{where} does not exist or is not a file.")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise DataError(f"Cannot read {where} as .npy: {error}.") from None
    if loaded.dtype.kind not in "fiu" or loaded.ndim not in (1, 2, 3) or 0 in loaded.shape:
        raise DataError(
            f"{where} holds dtype {loaded.dtype}, shape {shape_text(loaded.shape)}; expected real numbers of "
            f"shape (H,), (cells, H) or (cells, B, H)."
        )
    if not np.all(np.isfinite(loaded)):
        raise DataError(f"{where} contains NaN or infinity; every value must be a finite number.")
    return loaded.astype(np.float64)


def _states(layout: StackLayout, state: np.ndarray | None, batch: int, option: str) -> np.ndarray:
    """(cells, B, H): a vector (H,) applies to every cell and every sequence."""
    H = layout.hidden_size
    if state is not None and state.ndim == 1:
        if state.shape != (H,):
            raise UsageError(
                f"{option} has {state.shape[0]} values, but the weights have hidden size H = {H}, so "
                f"{option} must have {H} values (or shape (cells, H) / (cells, B, H) from a .npy)."
            )
        state = np.broadcast_to(state, (len(layout.keys), H))
    return initial_states(layout, state, batch, option)
