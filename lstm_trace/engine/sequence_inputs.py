"""From what the user gave `run` to checked arrays: the sequence, the initial states and the cells.

Presets, weights and the cell they imply resolve by the rules of `step` (`inputs`).
A weights file that holds several cells (layers and/or two directions, found by
`weights.read_weight_cells`) runs as a whole stack, unless --layer/--direction pick
one cell; every cell of a stack runs the same cell options (`inputs.cell_for_file`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import DataError, UsageError, shape_text
from ..io.scenarios import load_scenario
from ..io.vectors import named_file, parse_vector
from ..traces.sequence import DIRECTIONS, CellInfo, SequenceInfo
from ..weights import PRESET_NAMES, LSTMWeights, read_weight_cells
from ..weights.layers import select_key
from .inputs import (
    cell_for_file, check_dtype, check_hidden_size, check_size, made_weights, preset_state, square_identity,
)  # fmt: skip
from .stack import CellKey, initial_states, stack_layout, StackLayout


@dataclass(frozen=True)
class SequenceInputs:
    cells: dict[CellKey, LSTMWeights]  # in the dtype asked for (GRUWeights for a GRU)
    xs: np.ndarray  # (T, B, I), time-major whatever the input layout was
    h0: np.ndarray  # (number of cells, B, H), or (cells, B, P) with a projection
    c0: np.ndarray | None  # None for a GRU
    info: SequenceInfo  # info.cell: the cell that runs


@dataclass(frozen=True)
class SequenceRequest:
    """The options of `run`, as typed (vectors and files not yet read)."""

    xs: np.ndarray  # (T, I), or (T, B, I) / (B, T, I) from a .npy
    h: str | np.ndarray | None = None  # text as typed, or an array (lstm_trace.run)
    c: str | np.ndarray | None = None
    preset: str | None = None
    weights: str | None = None  # a preset name, a file, or a WeightsFile of cells already read (lstm_trace.run)
    seed: int = 0
    hidden_size: int | None = None
    dtype: str = "float64"
    layer: str | None = None
    direction: str | None = None
    batch_first: bool = False
    cell: CellOptions = PLAIN  # the cell options given (a weights file may imply more)
    given_options: frozenset[str] | None = None  # CellOptions fields typed on the command line; None: cell's own


def resolve_sequence_inputs(request: SequenceRequest) -> SequenceInputs:
    check_dtype(request.dtype)
    cell = request.cell.check()
    scenario = load_scenario(request.preset) if request.preset else None
    h = parse_state(request.h, "--h") if request.h is not None else None
    c = parse_state(request.c, "--c") if request.c is not None else None
    xs = _time_major(request.xs, request.batch_first)  # (T, B, I)
    T, B, I = xs.shape
    if request.hidden_size is not None:
        check_size(request.hidden_size, "--hidden-size")
    if scenario is not None:  # as in `step`: a --hidden-size of a new size (or a projection's P) drops h
        h, c = preset_state(scenario, cell, request.hidden_size, request.weights is not None, h, c)

    hidden_size, notes = square_identity(cell, request.weights, scenario, request.hidden_size, h, c, I)
    request = replace(request, hidden_size=hidden_size)
    cells, provenance, stacked, cell = _cells(request, cell, scenario, None if h is None else h.shape[-1], I)
    for weights in cells.values():
        check_hidden_size(request.hidden_size, weights)
    if not cell.has_cell_state and request.c is not None:
        raise UsageError("--c sets C_0, but a GRU has no cell state: its whole memory is h. Drop --c.")
    keys = sorted(cells, key=lambda key: (key[0], DIRECTIONS.index(key[1])))  # the order they run in
    cells = {key: cells[key].astype(request.dtype) for key in keys}
    first = cells[keys[0]]
    if first.input_size != I:
        block = "W_r" if cell.variant == "gru" else "W_f"
        raise UsageError(
            f"--xs has {I} values per step (shape {shape_text(request.xs.shape)}), but the weights "
            f"({first.source}) have input size I = {first.input_size}: {block} has shape "
            f"{shape_text(next(iter(first.W.values())).shape)}, so every step needs {first.input_size} values."
        )
    layout = (stack_layout(cells) if len(cells) > 1
              else StackLayout(1, (keys[0][1],), first.hidden_size, I, first.h_size))  # fmt: skip
    notes = list(notes)
    if request.batch_first and request.xs.ndim == 2:  # torch.nn.LSTM(batch_first=True) does the same
        notes.append(f"--xs is one sequence of shape {shape_text(request.xs.shape)} (T, I): --batch-first only "
                     f"changes how a batch (B, T, I) is read, as in PyTorch.")  # fmt: skip
    states = []
    for name, option, state, size in (("h_0", "--h", h, layout.h_size), ("c_0", "--c", c, layout.hidden_size)):
        if name == "c_0" and not cell.has_cell_state:
            if state is not None:
                notes.append("The preset's C_0 is not used: a GRU has no cell state.")
            states.append(None)
            continue
        if state is None:
            notes.append(f"{name} was not given, so it is assumed to be zeros.")
        states.append(_states(layout, state, B, option, size).astype(request.dtype))
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
        cell=cell,
    )
    return SequenceInputs(cells=cells, xs=xs.astype(request.dtype, copy=False), h0=states[0], c0=states[1], info=info)


def _time_major(xs: np.ndarray, batch_first: bool) -> np.ndarray:
    if xs.ndim == 2:
        return xs[:, None, :]
    return xs.transpose(1, 0, 2) if batch_first else xs


def _cells(request: SequenceRequest, cell: CellOptions, scenario, h_size: int | None, input_size: int):
    """({key: weights}, the trace's "weights" block, whether steps should name their cell, the cell that runs)."""
    if request.weights is None or request.weights in PRESET_NAMES:  # one cell, made for the cell options
        weights = made_weights(cell, request.weights, scenario, request.hidden_size, h_size, input_size, request.seed)
        return {(0, "forward"): weights}, dict(weights.provenance), False, cell
    spec = request.weights  # a file's name, or a WeightsFile of cells already read (lstm_trace.run)
    found = read_weight_cells(Path(spec)) if isinstance(spec, (str, Path)) else spec
    picked = request.layer is not None or request.direction is not None
    if picked or len(found.cells) == 1:
        key = select_key(found, request.layer, request.direction)
        cells = {key: found.cells[key]}
        provenance, stacked = dict(found.cells[key].provenance), len(found.cells) > 1 or picked
    else:
        layout = stack_layout(found.cells)
        provenance = {
            "source": str(found.path),
            "framework": found.framework,
            "description": f"{layout.layers} layer(s), {' and '.join(layout.directions)}: run as a stack like "
            f"torch.nn.{'GRU' if found.kind == 'GRU' else 'LSTM'}",
        }
        if found.notes:
            provenance["notes"] = list(found.notes)
        cells, stacked = dict(found.cells), True
    return cells, provenance, stacked, cell_for_file(cells, cell, request.given_options, str(found.path))


def parse_state(text: str, option: str) -> np.ndarray:
    """An initial state: a vector typed or read like --h of `step`, or a .npy of (cells, H) or
    (cells, B, H) as torch.nn.LSTM takes h_0 and c_0. An array (from `lstm_trace.run`) is taken as it is."""
    if isinstance(text, np.ndarray):
        return text
    path = named_file(text)
    if path is None or path.suffix.lower() != ".npy":
        return parse_vector(text, option)
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


def _states(layout: StackLayout, state: np.ndarray | None, batch: int, option: str, size: int | None = None
            ) -> np.ndarray:  # fmt: skip
    """(cells, B, H): a vector (H,) applies to every cell and every sequence. `size` replaces H for
    h of a projected LSTM (P entries)."""
    H = size or layout.hidden_size
    if state is not None and state.ndim == 1:
        if state.shape != (H,):
            projected = H != layout.hidden_size  # h of a projected LSTM has P entries
            what = f"project h to P = {H} entries" if projected else f"have hidden size H = {H}"
            letter = "P" if projected else "H"
            raise UsageError(
                f"{option} has {state.shape[0]} values, but the weights {what}, so "
                f"{option} must have {H} values (or shape (cells, {letter}) / (cells, B, {letter}) from a .npy)."
            )
        state = np.broadcast_to(state, (len(layout.keys), H))
    return initial_states(layout, state, batch, option, H)
