"""From what the user gave to `StepInputs` for a variant: the plain rules, plus what a variant changes.

The rules are those of `tracer.resolve_inputs` (explicit options win over the
preset's values; h and C default to zeros, and the notes say so). A variant
changes three things: the weights (GRU blocks; peepholes; a projection W_hr),
the length of h (P with a projection, so H must come from --hidden-size or the
weights file), and the cell state (a GRU has none).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError, UsageError, shape_text
from ..scenarios import Scenario, load_scenario
from ..tracer import StepInputs, _check_size, check_hidden_size
from ..weights import DTYPES, PRESET_NAMES, LayerSelection, LSTMWeights, read_weights_file
from ..weights.gru_weights import GRUWeights
from ..weights.native import weights_from_json_object
from ..weights.presets import gru_preset, lstm_preset
from ..cells.options import CellOptions
from ..cells.step import check_weights_fit


def resolve_variant_inputs(
    *,
    cell: CellOptions,
    preset: str | None = None,
    h: np.ndarray | None = None,
    x: np.ndarray | None = None,
    c: np.ndarray | None = None,
    weights: str | LSTMWeights | GRUWeights | None = None,  # a preset name, a file, or weights already read
    seed: int = 0,
    hidden_size: int | None = None,
    dtype: str = "float64",
    selection: LayerSelection = LayerSelection(),
    x_option: str = "--x",  # how errors name x: `grad --xs` passes "each step of --xs"
) -> StepInputs:
    cell.check()
    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r} is not supported; choose one of {', '.join(DTYPES)}.")
    if not cell.has_cell_state and c is not None:
        raise UsageError("--c sets C_(t-1), but a GRU has no cell state: its whole memory is h. Drop --c.")
    notes: list[str] = []
    scenario = load_scenario(preset) if preset else None
    title = f"{scenario.title} (preset {scenario.name})" if scenario else None
    if scenario is not None:
        h = scenario.h if h is None and hidden_size is None else h
        x = scenario.x if x is None else x
        if cell.has_cell_state:
            c = scenario.c if c is None else c
        elif scenario.c is not None:
            notes.append("The preset's C_(t-1) is not used: a GRU has no cell state.")
    if x is None:
        raise UsageError("No input vector: give --x (for example --x=-0.1,0.3,0.1) or --preset NAME.")
    _check_size(len(x), "--x (input size I)")
    if hidden_size is not None:
        _check_size(hidden_size, "--hidden-size")
    if h is not None:
        _check_size(len(h), "--h (hidden size H)")

    loaded = _load_weights(cell, weights, scenario, hidden_size, h, len(x), seed, selection)
    check_hidden_size(hidden_size, loaded)
    check_weights_fit(cell, loaded)
    if cell.variant == "lstm" and getattr(loaded, "peepholes", None) is not None:
        notes.append("The weights hold peephole weights p_f, p_i, p_o, which --variant lstm does not use.")
    if cell.variant == "cifg":
        notes.append("cifg: iₜ = 1 − fₜ, so W_i and b_i in the weights are not used.")
    H, P = loaded.hidden_size, loaded.h_size
    if h is None:
        h = np.zeros(P)
        notes.append(f"h_(t-1) was not given, so it is assumed to be zeros ({'P' if P != H else 'H'} = {P}).")
    if cell.has_cell_state and c is None:
        c = np.zeros(H)
        notes.append("C_(t-1) was not given, so it is assumed to be zeros.")
    _check_fits(loaded, x=x, h=h, c=c, x_option=x_option)
    return StepInputs(
        weights=loaded.astype(dtype),
        x=x.astype(dtype),
        h_prev=h.astype(dtype),
        c_prev=None if c is None else c.astype(dtype),
        title=title,
        notes=tuple(notes),
        cell=cell,
    )


def _load_weights(cell, spec, scenario, hidden_size, h, input_size, seed, selection) -> LSTMWeights | GRUWeights:
    if isinstance(spec, (LSTMWeights, GRUWeights)):
        return spec
    if spec is None and scenario is not None:
        return _scenario_weights(cell, scenario, hidden_size)
    spec = spec or "identity"
    if spec in PRESET_NAMES:
        return _preset(cell, spec, _preset_hidden_size(cell, hidden_size, h, spec), input_size, seed)
    return read_weights_file(Path(spec), selection)  # a native GRU file is read as one


def _preset(cell: CellOptions, name: str, hidden_size: int, input_size: int, seed: int):
    if cell.variant == "gru":
        return gru_preset(name, hidden_size, input_size, seed)
    return lstm_preset(name, hidden_size, input_size, seed,
                       peepholes=cell.variant == "peephole", proj_size=cell.proj_size)  # fmt: skip


def _preset_hidden_size(cell: CellOptions, hidden_size: int | None, h: np.ndarray | None, spec: str) -> int:
    """H for a preset: --hidden-size, or the length of h, which with a projection is P, not H."""
    if cell.proj_size is not None:
        if hidden_size is None:
            raise UsageError(
                f"With --proj-size {cell.proj_size}, h has P = {cell.proj_size} entries and the cell has more: "
                f"give the cell's size with --hidden-size H (H > {cell.proj_size}) to make the '{spec}' weights."
            )
        cell.check_sizes(hidden_size)
        return hidden_size
    if hidden_size is not None and h is not None and len(h) != hidden_size:
        raise UsageError(f"--hidden-size {hidden_size} disagrees with --h, which has {len(h)} entries.")
    if hidden_size is None and h is None:
        raise UsageError(
            f"The '{spec}' weights preset is made to fit the inputs, so it needs both sizes: "
            f"give --x (I = its length) and --h or --hidden-size (H)."
        )
    return hidden_size if hidden_size is not None else len(h)


def _scenario_weights(cell: CellOptions, scenario: Scenario, hidden_size: int | None):
    """The scenario's weights made for the variant: its preset with the variant's extras, then its overrides."""
    spec, origin = scenario.weights, f"preset '{scenario.name}'"
    H = hidden_size if hidden_size is not None else len(scenario.h)
    if cell.proj_size is not None:
        H = _preset_hidden_size(cell, hidden_size, None, spec if isinstance(spec, str) else "preset")
    if isinstance(spec, str):
        return _preset(cell, spec, H, len(scenario.x), 0)  # seed 0, as `scenarios.scenario_weights` does
    if not isinstance(spec, dict):
        raise DataError(f"The {origin} has weights of type {type(spec).__name__}; expected a name or an object.")
    if "preset" not in spec:
        if cell.variant == "gru":
            raise UsageError(
                f"The {origin} holds LSTM weights; for --variant gru give --weights identity, zeros, random "
                "or a GRU weights file."
            )
        return weights_from_json_object(spec, origin, {"source": f"preset {scenario.name}"})
    if spec["preset"] not in PRESET_NAMES:
        raise DataError(f"The {origin} names weights preset {spec['preset']!r}; expected one of {PRESET_NAMES}.")
    base = _preset(cell, spec["preset"], H, len(scenario.x), int(spec.get("seed", 0)))
    overrides = {key: value for key, value in spec.items() if key[:2] in ("W_", "b_", "p_")}
    if not overrides:
        return base
    if cell.variant == "gru":
        raise UsageError(
            f"The {origin} sets LSTM weights ({', '.join(overrides)}); for --variant gru give --weights "
            f"identity, zeros, random or a GRU weights file."
        )
    provenance = {
        **base.provenance,
        "source": f"{base.source}, modified by preset {scenario.name}",
        "description": f"{base.provenance['description']}, except {', '.join(overrides)} as the preset sets them",
    }
    return LSTMWeights.from_arrays({**base.as_arrays(), **overrides}, provenance, origin)


def _check_fits(weights, *, x: np.ndarray, h: np.ndarray, c: np.ndarray | None, x_option: str = "--x") -> None:
    H, P, I = weights.hidden_size, weights.h_size, weights.input_size
    checks = [(x_option, x, I, "I"), ("--h", h, P, "P" if P != H else "H")]
    if c is not None:
        checks.append(("--c", c, H, "H"))
    for option, vector, size, letter in checks:
        if vector.shape != (size,):
            projected = f" and project h to P = {P}" if P != H else ""
            raise UsageError(
                f"{option} has shape {shape_text(vector.shape)}, but the weights ({weights.source}) are for "
                f"H = {H}, I = {I}{projected}, so {option} must have shape ({size},) ({letter} = {size})."
            )
