"""Scenario presets: named files in `presets/` holding h, x, C and weights that teach something.

A scenario file is JSON:

    {"title": "...", "description": "one line",
     "h": [...], "x": [...], "c": [...],            (c optional: zeros)
     "weights": "identity"                          (a weights preset name, or)
     "weights": {"preset": "identity", "b_f": [6, 6, 6]}   (a preset with arrays overridden, or)
     "weights": {"W_f": ..., ..., "b_o": ...}}      (the native weights, inline)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import DataError, UsageError
from .stages import BIAS_KEYS, WEIGHT_KEYS
from .weights import PRESET_NAMES, LSTMWeights, load_weights
from .weights.native import weights_from_json_object


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
    packaged = Path(__file__).parent / "presets"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "presets"


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


def scenario_weights(scenario: Scenario) -> LSTMWeights:
    spec = scenario.weights
    H, I = len(scenario.h), len(scenario.x)
    origin = f"preset '{scenario.name}'"
    if isinstance(spec, str):
        return load_weights(spec, H, I)
    if not isinstance(spec, dict):
        raise DataError(f"The {origin} has weights of type {type(spec).__name__}; expected a name or an object.")
    if "preset" not in spec:
        return weights_from_json_object(spec, origin, {"source": f"preset {scenario.name}"})
    if spec["preset"] not in PRESET_NAMES:
        raise DataError(f"The {origin} names weights preset {spec['preset']!r}; expected one of {PRESET_NAMES}.")
    base = load_weights(spec["preset"], H, I, seed=int(spec.get("seed", 0)))
    overrides = {key: spec[key] for key in (*WEIGHT_KEYS, *BIAS_KEYS) if key in spec}
    if not overrides:
        return base
    arrays = {**base.as_arrays(), **overrides}
    provenance = {
        **base.provenance,
        "source": f"{base.source}, modified by preset {scenario.name}",
        "description": f"{base.provenance['description']}, except {', '.join(overrides)} as the preset sets them",
    }
    return LSTMWeights.from_arrays(arrays, provenance, origin)
