"""The native weights format, read and written: W_f, W_i, W_c, W_o (H × (H+I)) and b_f, b_i, b_c, b_o (H,).

`.npz` holds them as arrays; `.json` as an object of nested lists (an optional
`"format": "lstm-trace-weights/1"` key is allowed). Columns of each W_g are
[h_{t-1} | x_t]: the first H weigh the previous hidden state.

Peepholes p_f, p_i, p_o and a projection W_hr are read too, and a GRU's W_r,
W_z, W_n, b_r, b_z, b_in, b_hn as `GRUWeights`; an optional `cell_options`
entry (a JSON object, or in .npz a string holding one) states the options of
the cell the weights are for, e.g. {"variant": "cifg", "preact_clip": 2.0}; a
.json file's top-level `"variant"` counts as one.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO, Mapping

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import DataError
from .gru_weights import GRUWeights, looks_like_gru
from .layers import WeightsFile
from .lstm_weights import LSTMWeights
from .stated_options import CELL_OPTIONS_KEY, implied_options

FRAMEWORK = "lstm-trace native"
FORMAT = "lstm-trace-weights/1"

# A damaged zip archive (.npz, .keras) fails in many ways: bad headers, an unknown zip version or compression
# (NotImplementedError), broken deflate streams (zlib.error), a member flagged as encrypted (RuntimeError).
DAMAGED_ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error)


def read_cells(path: Path) -> WeightsFile:
    """The one cell of a native file, as layer 0, forward."""
    weights = read_json(path) if path.suffix.lower() == ".json" else read_npz(path)
    return WeightsFile(path=str(path), framework=FRAMEWORK, cells={(0, "forward"): weights})


def read_npz(path: Path) -> LSTMWeights | GRUWeights:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (*DAMAGED_ZIP_ERRORS, KeyError) as error:
        raise DataError(f"Cannot read the weights file '{path}' as .npz: {error}.") from None
    return weights_from_arrays(arrays, _provenance(path), f"weights file '{path}'")


def read_json(path: Path) -> LSTMWeights | GRUWeights:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"Cannot read the weights file '{path}' as JSON: {error}.") from None
    return weights_from_json_object(content, f"weights file '{path}'", _provenance(path))


def weights_from_json_object(content: object, origin: str, provenance: dict) -> LSTMWeights | GRUWeights:
    if not isinstance(content, dict):
        raise DataError(
            f"The {origin} must hold a JSON object with keys W_f, W_i, W_c, W_o, b_f, b_i, b_c, "
            f"b_o; it holds a {type(content).__name__}."
        )
    if content.get("format", FORMAT) != FORMAT:
        raise DataError(f"The {origin} says format {content['format']!r}; expected {FORMAT!r}.")
    return weights_from_arrays(content, provenance, origin)


def weights_from_arrays(arrays: Mapping[str, Any], provenance: dict, origin: str) -> LSTMWeights | GRUWeights:
    """LSTM or GRU weights by their keys, with the file's stated cell options in the provenance."""
    gru = looks_like_gru(arrays)
    stated = _stated_options(arrays, origin, gru)
    if stated:
        provenance = {**provenance, CELL_OPTIONS_KEY: stated}
    if gru:
        return GRUWeights.from_arrays(arrays, provenance, origin)
    return LSTMWeights.from_arrays(arrays, provenance, origin)


def write(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """The canonical arrays as they are (float64), for `weights convert --to npz`: one bias per gate,
    the sum of any two; and the cell's options (a GRU's, ONNX's clip, ...) as a `cell_options` entry."""
    np.savez(stream, **npz_arrays(weights))


def usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    return f"lstm-trace step --weights {file_name} --x ... (H = {weights.hidden_size}, I = {weights.input_size})"


def npz_arrays(weights: LSTMWeights | GRUWeights) -> dict[str, np.ndarray]:
    """The arrays, and the cell's options as a JSON string: an .npz holds arrays only."""
    arrays = dict(weights.as_arrays())
    options = implied_options(weights)
    if options:
        arrays[CELL_OPTIONS_KEY] = np.array(json.dumps(options))
    return arrays


def write_json(weights: LSTMWeights | GRUWeights) -> str:
    content: dict[str, Any] = {"format": FORMAT}
    options = implied_options(weights)
    if options:
        content[CELL_OPTIONS_KEY] = options
    content.update({key: value.tolist() for key, value in weights.as_arrays().items()})
    return json.dumps(content)


def _stated_options(arrays: Mapping[str, Any], origin: str, gru: bool) -> dict[str, Any]:
    """The non-default options of the file's `cell_options` (and a .json file's `"variant"`), checked."""
    raw = arrays.get(CELL_OPTIONS_KEY, {})
    if isinstance(raw, np.ndarray):  # .npz: a string holding a JSON object
        try:
            raw = json.loads(str(raw[()]))
        except (json.JSONDecodeError, TypeError, ValueError) as error:
            raise DataError(f"In the {origin}, cell_options is not a JSON object in a string: {error}.") from None
    if not isinstance(raw, Mapping):
        raise DataError(f"In the {origin}, cell_options must be an object such as {{\"variant\": \"cifg\"}}.")
    if "variant" in arrays and not isinstance(arrays["variant"], np.ndarray):
        raw = {"variant": arrays["variant"], **raw}
    if not raw:
        return {}
    options = CellOptions.from_dict(dict(raw), f"{origin}'s cell_options")
    stated = {key: value for key, value in options.to_dict().items() if value != getattr(PLAIN, key)}
    variant = options.variant
    if (variant == "gru") != gru and (not gru or "variant" in raw):  # GRU keys need not say "gru"
        holds = "GRU weights (W_r, W_z, W_n)" if gru else "LSTM weights (W_f, W_i, W_c, W_o)"
        raise DataError(f"The {origin} says variant {variant!r} in its cell_options, but it holds {holds}.")
    return stated


def _provenance(path: Path) -> dict:
    return {"source": str(path), "framework": FRAMEWORK, "format": path.suffix.lstrip(".")}
