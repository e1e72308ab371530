"""From what the user gave to a `Trace`: presets, defaults and sizes resolved, then the cell run.

Every command that takes `--preset/--h/--x/--c/--weights` goes through
`resolve_inputs`, so they all agree on defaults and on the errors for sizes
that do not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Collection

import numpy as np

from .cells.lstm import lstm_step
from .errors import UsageError, shape_text
from .scenarios import load_scenario, scenario_weights
from .traces import Trace
from .cells.options import PLAIN, CellOptions
from .weights import DTYPES, PRESET_NAMES, LayerSelection, LSTMWeights, load_weights, read_weights_file

# 4 gates × H × (H+I) float64 values: at H = I = 8192 that is already 4 GiB.
MAX_SIZE = 8192


@dataclass(frozen=True)
class StepInputs:
    weights: LSTMWeights  # or GRUWeights for --variant gru
    x: np.ndarray  # (I,)
    h_prev: np.ndarray  # (H,), or (P,) with a projection
    c_prev: np.ndarray | None  # (H,); None for a GRU, which has no cell state
    title: str | None = None
    notes: tuple[str, ...] = ()  # what was assumed, said on screen and kept in the trace
    cell: CellOptions = PLAIN  # which cell to run: variants and their options (issue 6)


def resolve_inputs(
    *,
    preset: str | None = None,
    h: np.ndarray | None = None,
    x: np.ndarray | None = None,
    c: np.ndarray | None = None,
    weights: str | Path | LSTMWeights | None = None,  # a preset name, a file, or weights already read
    seed: int = 0,
    hidden_size: int | None = None,
    dtype: str = "float64",
    selection: LayerSelection = LayerSelection(),
    cell: CellOptions | None = None,
    x_option: str = "--x",  # how errors name x: `grad --xs` passes "each step of --xs"
    given_options: Collection[str] | None = None,
) -> StepInputs:
    """Fill in what the user left out: explicit options win over the preset's values.

    A weights file may imply the cell (a GRU, peepholes, ONNX's clip, ...): its
    options join `cell`; `given_options` names the CellOptions fields the user set
    (None: those of `cell` that are not the plain cell's), and one that says
    otherwise than the file is a UsageError.
    """
    weights, cell, file_notes = _file_and_its_cell(weights, selection, cell, given_options)
    if cell is not None and not cell.is_plain:  # a variant: GRU weights, peepholes, a projection
        from .variants.inputs import resolve_variant_inputs

        inputs = resolve_variant_inputs(
            cell=cell, preset=preset, h=h, x=x, c=c, weights=weights, seed=seed,
            hidden_size=hidden_size, dtype=dtype, selection=selection, x_option=x_option,
        )  # fmt: skip
        return replace(inputs, notes=file_notes + inputs.notes)
    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r} is not supported; choose one of {', '.join(DTYPES)}.")
    scenario = load_scenario(preset) if preset else None
    title = f"{scenario.title} (preset {scenario.name})" if scenario else None
    if scenario is not None:  # --hidden-size with another size than the preset's makes a new h
        if weights is None:
            check_preset_size(scenario, hidden_size)
        h = scenario.h if h is None and hidden_size in (None, len(scenario.h)) else h
        x = scenario.x if x is None else x
        c = scenario.c if c is None else c
    if x is None:
        raise UsageError("No input vector: give --x (for example --x=-0.1,0.3,0.1) or --preset NAME.")
    _check_size(len(x), "--x (input size I)")
    if hidden_size is not None:
        _check_size(hidden_size, "--hidden-size")
        if h is not None and len(h) != hidden_size:
            raise UsageError(f"--hidden-size {hidden_size} disagrees with --h, which has {len(h)} entries.")
    if h is not None:
        _check_size(len(h), "--h (hidden size H)")
        hidden_size = len(h)

    if isinstance(weights, LSTMWeights):  # read from a file above
        loaded = weights
    elif weights is None and scenario is not None:
        loaded = scenario_weights(scenario)
    else:
        loaded = load_weights(weights or "identity", hidden_size, len(x), seed, selection)

    check_hidden_size(hidden_size, loaded)
    notes = _plain_weights_notes(loaded)
    H = loaded.hidden_size
    if h is None:
        h = np.zeros(H)
        notes.append(f"h_(t-1) was not given, so it is assumed to be zeros (H = {H}).")
    if c is None:
        c = np.zeros(H)
        notes.append("C_(t-1) was not given, so it is assumed to be zeros.")
    _check_fits(loaded, x=x, h=h, c=c, x_option=x_option)
    return StepInputs(
        weights=loaded.astype(dtype),
        x=x.astype(dtype),
        h_prev=h.astype(dtype),
        c_prev=c.astype(dtype),
        title=title,
        notes=tuple(notes),
    )


def _file_and_its_cell(weights, selection: LayerSelection, cell: CellOptions | None, given_options):
    """A weights file is read here, once, because it may say which cell it holds: (weights, cell, notes)."""
    if not isinstance(weights, (str, Path)) or weights in PRESET_NAMES:
        return weights, cell, ()
    from .variants.from_weights import cell_for_weights

    loaded = read_weights_file(Path(weights), selection)  # LSTMWeights or GRUWeights
    cell, notes = cell_for_weights(loaded, cell, given_options)
    return loaded, cell, notes


def trace_step(inputs: StepInputs) -> Trace:
    """Run the cell once on resolved inputs and wrap the step with its provenance."""
    if inputs.cell.is_plain:
        step = lstm_step(inputs.weights, inputs.x, inputs.h_prev, inputs.c_prev)
    else:
        from .cells.step import cell_step

        step = cell_step(inputs.weights, inputs.x, inputs.h_prev, inputs.c_prev, inputs.cell)
    return Trace(
        hidden_size=inputs.weights.hidden_size,
        input_size=inputs.weights.input_size,
        dtype=str(inputs.weights.dtype),
        weights=dict(inputs.weights.provenance),
        steps=(step,),
        title=inputs.title,
        notes=inputs.notes,
        cell=inputs.cell,
    )


def _plain_weights_notes(weights: LSTMWeights) -> list[str]:
    """Weights made for a variant: a projection does not fit the plain cell, peepholes would go unused."""
    if weights.projection is not None:
        raise UsageError(
            f"The weights ({weights.source}) project h to P = {weights.h_size} entries (W_hr is "
            f"{weights.h_size} × {weights.hidden_size}): add --proj-size {weights.h_size} to trace an LSTM with a projection."
        )
    if weights.peepholes is not None:
        return ["The weights hold peephole weights p_f, p_i, p_o, which the plain LSTM does not use: add --variant peephole to use them."]
    return []


def check_preset_size(scenario, hidden_size: int | None) -> None:
    """A scenario preset's own weights have its size: --hidden-size may only repeat it."""
    if hidden_size not in (None, len(scenario.h)):
        raise UsageError(
            f"--hidden-size {hidden_size} disagrees with preset '{scenario.name}', whose cell has "
            f"H = {len(scenario.h)}: drop --hidden-size, or give --weights (identity, random, zeros) to make "
            f"a cell of H = {hidden_size} for the preset's inputs."
        )


def check_hidden_size(hidden_size: int | None, weights) -> None:
    """--hidden-size must agree with weights that have their own size (a file, a scenario preset)."""
    if hidden_size is not None and hidden_size != weights.hidden_size:
        source = weights.provenance.get("source", "the weights")
        raise UsageError(
            f"--hidden-size {hidden_size} disagrees with the weights ({source}), whose cell has "
            f"H = {weights.hidden_size}: their size is fixed, so drop --hidden-size or give weights of H = {hidden_size}."
        )


def _check_size(size: int, what: str) -> None:
    if not 1 <= size <= MAX_SIZE:
        raise UsageError(f"{what} is {size}; it must be between 1 and {MAX_SIZE}.")


def _check_fits(weights: LSTMWeights, *, x: np.ndarray, h: np.ndarray, c: np.ndarray, x_option: str = "--x") -> None:
    H, I = weights.hidden_size, weights.input_size
    for option, vector, size, letter in ((x_option, x, I, "I"), ("--h", h, H, "H"), ("--c", c, H, "H")):
        if vector.shape != (size,):
            raise UsageError(
                f"{option} has shape {shape_text(vector.shape)}, but the weights ({weights.source}) "
                f"are for H = {H}, I = {I}: W_f has shape {shape_text(weights.W['forget'].shape)}, "
                f"so {option} must have shape ({size},) ({letter} = {size})."
            )
