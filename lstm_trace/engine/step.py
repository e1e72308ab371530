"""From what the user gave to a `Trace`: presets, defaults and sizes resolved, then the cell run.

Every command that takes `--preset/--h/--x/--c/--weights` goes through
`resolve_inputs`, for every cell, so they all agree on defaults, on the notes
and on the errors for sizes that do not fit (the rules are in `inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Collection

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..cells.step import cell_step, check_weights_fit
from ..errors import UsageError, shape_text
from ..io.scenarios import load_scenario
from ..traces.step import Trace
from ..weights import PRESET_NAMES, GRUWeights, LayerSelection, LSTMWeights, read_weights_file
from .inputs import (
    cell_for_weights, check_dtype, check_hidden_size, check_size, made_weights, preset_state, square_identity,
)  # fmt: skip


@dataclass(frozen=True)
class StepInputs:
    weights: LSTMWeights | GRUWeights
    x: np.ndarray  # (I,)
    h_prev: np.ndarray  # (H,), or (P,) with a projection
    c_prev: np.ndarray | None  # (H,); None for a GRU, which has no cell state
    title: str | None = None
    notes: tuple[str, ...] = ()  # what was assumed, said on screen and kept in the trace
    cell: CellOptions = PLAIN  # which cell to run: the plain LSTM, a variant, a GRU, with their options


def resolve_inputs(
    *,
    preset: str | None = None,
    h: np.ndarray | None = None,
    x: np.ndarray | None = None,
    c: np.ndarray | None = None,
    weights: str | Path | LSTMWeights | GRUWeights | None = None,  # a preset name, a file, or weights already read
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
    options join `cell` (None: the plain LSTM); `given_options` names the
    CellOptions fields the user set (None: those of `cell` that are not the plain
    cell's), and one that says otherwise than the file is a UsageError.
    """
    cell = PLAIN if cell is None else cell
    notes: list[str] = []
    if isinstance(weights, (str, Path)) and weights not in PRESET_NAMES:  # read once: it may say which cell it holds
        weights = read_weights_file(Path(weights), selection)
        cell, file_notes = cell_for_weights(weights, cell, given_options)
        notes += file_notes
    cell.check()
    check_dtype(dtype)
    if not cell.has_cell_state and c is not None:
        raise UsageError("--c sets C_(t-1), but a GRU has no cell state: its whole memory is h. Drop --c.")
    scenario = load_scenario(preset) if preset else None
    if scenario is not None:
        h, c = preset_state(scenario, cell, hidden_size, weights is not None, h, c)
        x = scenario.x if x is None else x
        if not cell.has_cell_state and c is not None:
            c = None
            notes.append("The preset's C_(t-1) is not used: a GRU has no cell state.")
    if x is None:
        raise UsageError("No input vector: give --x (for example --x=-0.1,0.3,0.1) or --preset NAME.")
    _check_sizes(cell, x, h, hidden_size)
    if isinstance(weights, (LSTMWeights, GRUWeights)):  # read from a file above, or given in Python
        loaded = weights
    else:
        hidden_size, square = square_identity(cell, weights, scenario, hidden_size, h, c, len(x))
        notes += square
        loaded = made_weights(cell, weights, scenario, hidden_size, None if h is None else len(h), len(x), seed)
    check_hidden_size(hidden_size, loaded)
    _check_cell_fits(cell, loaded)
    notes += _weights_notes(cell, loaded)
    H, P = loaded.hidden_size, loaded.h_size
    if h is None:
        h = np.zeros(P)
        notes.append(f"h_(t-1) was not given, so it is assumed to be zeros ({'P' if P != H else 'H'} = {P}).")
    if cell.has_cell_state and c is None:
        c = np.zeros(H)
        notes.append("C_(t-1) was not given, so it is assumed to be zeros.")
    _check_fits(loaded, cell, x=x, h=h, c=c, x_option=x_option)
    return StepInputs(
        weights=loaded.astype(dtype),
        x=x.astype(dtype),
        h_prev=h.astype(dtype),
        c_prev=None if c is None else c.astype(dtype),
        title=f"{scenario.title} (preset {scenario.name})" if scenario else None,
        notes=tuple(notes),
        cell=cell,
    )


def trace_step(inputs: StepInputs) -> Trace:
    """Run the cell once on resolved inputs and wrap the step with its provenance."""
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


def _check_sizes(cell: CellOptions, x: np.ndarray, h: np.ndarray | None, hidden_size: int | None) -> None:
    check_size(len(x), "--x (input size I)")
    if hidden_size is not None:
        check_size(hidden_size, "--hidden-size")
        if h is not None and cell.proj_size is None and len(h) != hidden_size:
            raise UsageError(f"--hidden-size {hidden_size} disagrees with --h, which has {len(h)} entries.")
    if h is not None:
        check_size(len(h), "--h (hidden size H)")


def _check_cell_fits(cell: CellOptions, weights: LSTMWeights | GRUWeights) -> None:
    """The weights hold what the cell uses; weights with a projection W_hr need the cell to project too."""
    if cell.has_cell_state and cell.proj_size is None and getattr(weights, "projection", None) is not None:
        raise UsageError(
            f"The weights ({weights.source}) project h to P = {weights.h_size} entries (W_hr is "
            f"{weights.h_size} × {weights.hidden_size}): add --proj-size {weights.h_size} to trace an LSTM with a projection."
        )
    check_weights_fit(cell, weights)


def _weights_notes(cell: CellOptions, weights: LSTMWeights | GRUWeights) -> list[str]:
    """What the weights hold that the cell leaves unused."""
    notes = []
    if cell.variant != "peephole" and getattr(weights, "peepholes", None) is not None:
        notes.append(f"The weights hold peephole weights p_f, p_i, p_o, which --variant {cell.variant} does not use: "
                     f"add --variant peephole to use them.")  # fmt: skip
    if cell.variant == "cifg":
        notes.append("cifg: iₜ = 1 − fₜ, so W_i and b_i in the weights are not used.")
    return notes


def _check_fits(weights, cell: CellOptions, *, x: np.ndarray, h: np.ndarray, c: np.ndarray | None, x_option: str) -> None:
    H, P, I = weights.hidden_size, weights.h_size, weights.input_size
    checks = [(x_option, x, I, "I"), ("--h", h, P, "P" if P != H else "H")]
    if c is not None:
        checks.append(("--c", c, H, "H"))
    block = "forget" if cell.has_cell_state else "reset"  # the first block: W_f, or a GRU's W_r
    for option, vector, size, letter in checks:
        if vector.shape != (size,):
            projected = f" and project h to P = {P}" if P != H else ""
            raise UsageError(
                f"{option} has shape {shape_text(vector.shape)}, but the weights ({weights.source}) are for "
                f"H = {H}, I = {I}{projected}: W_{block[0]} has shape {shape_text(weights.W[block].shape)}, "
                f"so {option} must have shape ({size},) ({letter} = {size})."
            )
