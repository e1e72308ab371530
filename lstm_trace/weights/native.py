"""The native weights format: W_f, W_i, W_c, W_o (H × (H+I)) and b_f, b_i, b_c, b_o (H,).

`.npz` holds them as arrays; `.json` as an object of nested lists (an optional
`"format": "lstm-trace-weights/1"` key is allowed). Columns of each W_g are
[h_{t-1} | x_t]: the first H weigh the previous hidden state.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from .model import LSTMWeights

FORMAT = "lstm-trace-weights/1"


def read_npz(path: Path) -> LSTMWeights:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    # a damaged archive fails in many ways: bad headers, unknown compression, broken deflate streams
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, NotImplementedError, zlib.error, KeyError) as error:
        raise DataError(f"Cannot read the weights file '{path}' as .npz: {error}.") from None
    return LSTMWeights.from_arrays(arrays, _provenance(path), f"weights file '{path}'")


def read_json(path: Path) -> LSTMWeights:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"Cannot read the weights file '{path}' as JSON: {error}.") from None
    return weights_from_json_object(content, f"weights file '{path}'", _provenance(path))


def weights_from_json_object(content: object, origin: str, provenance: dict) -> LSTMWeights:
    if not isinstance(content, dict):
        raise DataError(
            f"The {origin} must hold a JSON object with keys W_f, W_i, W_c, W_o, b_f, b_i, b_c, "
            f"b_o; it holds a {type(content).__name__}."
        )
    if content.get("format", FORMAT) != FORMAT:
        raise DataError(f"The {origin} says format {content['format']!r}; expected {FORMAT!r}.")
    return LSTMWeights.from_arrays(content, provenance, origin)


def write_npz(weights: LSTMWeights, path: Path) -> None:
    np.savez(path, **weights.as_arrays())


def write_json(weights: LSTMWeights) -> str:
    content = {"format": FORMAT}
    content.update({key: value.tolist() for key, value in weights.as_arrays().items()})
    return json.dumps(content)


def _provenance(path: Path) -> dict:
    return {"source": str(path), "framework": "lstm-trace native", "format": path.suffix.lstrip(".")}


READERS = {".npz": read_npz, ".json": read_json}
