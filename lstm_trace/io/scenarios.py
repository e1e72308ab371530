"""Scenario presets: named files in `presets/` holding h, x, C and weights that teach something.

A scenario file is JSON:

    {"title": "...", "description": "one line",
     "h": [...], "x": [...], "c": [...],            (c optional: zeros)
     "weights": "identity"                          (a weights preset name, or)
     "weights": {"preset": "identity", "b_f": [6, 6, 6]}   (a preset with arrays overridden, or)
     "weights": {"W_f": ..., ..., "b_o": ...}}      (the native weights, inline)

A scenario's weights are made for the cell that runs it (`scenario_weights`): a
weights preset gets the cell's extras (peepholes, a projection, GRU blocks; see
`preset_weights`), always at the scenario's own size H.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import DataError, UsageError
from ..weights import PRESET_NAMES, GRUWeights, LSTMWeights, gru_preset, lstm_preset
from ..weights.native import weights_from_json_object


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    h: np.ndarray
    x: np.ndarray
    c: np.ndarray | None
    weights: Any  # the file's "weights" value, resolved by `scenario_weights`


def presets_dir() -> Path:
    """Installed wheels carry the files inside the package; a source checkout keeps them at the top."""
    package = Path(__file__).parent.parent  # lstm_trace/
    packaged = package / "presets"  # inside an installed wheel
    return packaged if packaged.is_dir() else package.parent / "presets"  # a checkout


def scenario_names() -> list[str]:
    return sorted(path.stem for path in presets_dir().glob("*.json"))


def load_scenario(name: str) -> Scenario:
    path = presets_dir() / f"{name}.json"
    if not path.is_file():
        raise UsageError(f"There is no preset '{name}'. Presets: {', '.join(scenario_names())}.")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        return Scenario(
            name=name,
            title=content["title"],
            description=content["description"],
            h=np.array(content["h"], dtype=np.float64),
            x=np.array(content["x"], dtype=np.float64),
            c=None if content.get("c") is None else np.array(content["c"], dtype=np.float64),
            weights=content["weights"],
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise DataError(f"The preset file '{path}' is malformed: {error!r}.") from None


def preset_weights(cell: CellOptions, name: str, hidden_size: int, input_size: int, seed: int = 0
                   ) -> LSTMWeights | GRUWeights:  # fmt: skip
    """The weights preset `name` (identity, zeros, random) made for `cell`: GRU blocks for a GRU, and an
    LSTM's peepholes and projection W_hr when the cell uses them."""
    cell.check_sizes(hidden_size)
    if cell.variant == "gru":
        return gru_preset(name, hidden_size, input_size, seed)
    return lstm_preset(name, hidden_size, input_size, seed,
                       peepholes=cell.variant == "peephole", proj_size=cell.proj_size)  # fmt: skip


def scenario_weights(scenario: Scenario, cell: CellOptions = PLAIN) -> LSTMWeights | GRUWeights:
    """The scenario's weights for `cell`: a preset made for the cell, then the arrays the scenario sets."""
    spec, origin = scenario.weights, f"preset '{scenario.name}'"
    H, I = len(scenario.h), len(scenario.x)
    if isinstance(spec, str):
        return preset_weights(cell, spec, H, I)
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
    base = preset_weights(cell, spec["preset"], H, I, seed=int(spec.get("seed", 0)))
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
