"""Keras LSTM weights from `.keras` archives and `.weights.h5` files, read with h5py.

A Keras LSTM cell has kernel (I × 4H), recurrent_kernel (H × 4H) and bias (4H,),
columns stacked as i, f, c, o; z = x·kernel + h·recurrent_kernel + bias. Keras 3
stores them as datasets "0", "1", "2" of a `vars` group (Keras 2 as
`kernel:0`, ...), at paths that depend on the model, so cells are found by their
datasets' shapes rather than by guessing one fixed path. A `.keras` archive is a
zip holding `model.weights.h5` and `config.json`; the config says the
activations, which a bare `.weights.h5` does not store.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, shape_text
from .cells import CellKey, WeightsFile
from .extras import import_optional
from .keras_config import lstm_configs, unsupported_settings
from .layouts import KERAS_ORDER, canonical_weights, mapping_text, split_blocks
from .model import LSTMWeights

FRAMEWORK = "Keras"
_NUMBERED = {"0": "kernel", "1": "recurrent_kernel", "2": "bias"}  # Keras 3 `vars` datasets


@dataclass(frozen=True)
class _FoundCell:
    group: str  # the h5 group holding the datasets
    layer_key: str  # the h5 path of the layer (the Bidirectional wrapper for its two cells)
    direction: str
    name: str  # the LSTM layer's own Keras name, as its config knows it
    layer_name: str  # the name shown for the layer: the LSTM's, or its Bidirectional wrapper's
    arrays: dict[str, np.ndarray]  # kernel, recurrent_kernel[, bias]


def read_keras_cells(path: Path) -> WeightsFile:
    h5py = import_optional("h5py", "reading Keras .keras and .weights.h5 files")
    weights_bytes, config = _open(path)
    try:
        with h5py.File(io.BytesIO(weights_bytes) if weights_bytes is not None else path, "r") as h5:
            if config is None and "model_config" in h5.attrs:  # a Keras 2 whole-model .h5
                config = _json(h5.attrs["model_config"], path)
            found = _find_cells(h5, path)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise DataError(
            f"Cannot read '{path}' as a Keras HDF5 weights file (it may be truncated or of another format): "
            f"{' '.join(str(error).split())[:200]}."
        ) from None
    if not found:
        raise DataError(
            f"The Keras file '{path}' has no LSTM layer: no group holds a kernel (I × 4H), a recurrent_kernel "
            f"(H × 4H) and a bias (4H,)."
        )
    return _weights_file(found, path, config)


def _open(path: Path) -> tuple[bytes | None, Any]:
    """The HDF5 bytes and the config of a .keras archive; (None, None) for an .h5 file."""
    if path.suffix.lower() != ".keras":
        return None, None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "model.weights.h5" not in names:
                raise DataError(
                    f"The Keras archive '{path}' has no model.weights.h5; it holds: {', '.join(names) or 'nothing'}."
                )
            config = _json(archive.read("config.json"), path) if "config.json" in names else None
            return archive.read("model.weights.h5"), config
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise DataError(
            f"Cannot read '{path}' as a Keras .keras archive (a zip file; it may be truncated or of another "
            f"format): {error}."
        ) from None


def _json(raw: bytes | str, path: Path) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"The model config in '{path}' is not valid JSON: {error}.") from None


def _find_cells(h5: Any, path: Path) -> list[_FoundCell]:
    import h5py

    groups: list[str] = []
    h5.visititems(lambda name, item: groups.append(name) if isinstance(item, h5py.Group) else None)
    found = []
    for group in groups:
        roles = _roles(h5[group], h5py)
        if roles is None:
            continue
        arrays = {role: np.asarray(h5[f"{group}/{name}"][()]) for role, name in roles.items()}
        if _is_lstm(arrays, group, path):
            found.append(_found_cell(h5, group, arrays))
    return found


def _roles(group: Any, h5py: Any) -> dict[str, str] | None:
    """Which dataset of `group` is the kernel, the recurrent kernel and the bias, if any."""
    datasets = [name for name, item in group.items() if isinstance(item, h5py.Dataset)]
    if datasets and set(datasets) <= set(_NUMBERED) and {"0", "1"} <= set(datasets):
        return {_NUMBERED[name]: name for name in datasets}
    named = {name.split(":")[0]: name for name in datasets}
    if {"kernel", "recurrent_kernel"} <= set(named):
        return {role: named[role] for role in ("kernel", "recurrent_kernel", "bias") if role in named}
    return None


def _is_lstm(arrays: dict[str, np.ndarray], group: str, path: Path) -> bool:
    """True for an LSTM cell's shapes, False for other layers; an error for an LSTM whose shapes disagree."""
    recurrent = arrays["recurrent_kernel"]
    if recurrent.ndim != 2 or recurrent.shape[1] != 4 * recurrent.shape[0] or recurrent.shape[0] == 0:
        return False  # a GRU (H × 3H), a Dense layer, ...
    H = recurrent.shape[0]
    kernel, bias = arrays["kernel"], arrays.get("bias")
    problems = []
    if kernel.ndim != 2 or kernel.shape[1] != 4 * H or kernel.shape[0] == 0:
        problems.append(f"the kernel has shape {shape_text(kernel.shape)}, expected (I, {4 * H})")
    if bias is not None and bias.shape != (4 * H,):
        problems.append(f"the bias has shape {shape_text(bias.shape)}, expected ({4 * H},)")
    if problems:
        raise DataError(
            f"In the Keras file '{path}', the LSTM weights in {group} disagree: the recurrent kernel "
            f"{shape_text(recurrent.shape)} makes H = {H}, but {' and '.join(problems)}."
        )
    return True


def _found_cell(h5: Any, group: str, arrays: dict[str, np.ndarray]) -> _FoundCell:
    parts = group.split("/")
    # The LSTM layer's own path: the group without Keras 3's trailing "cell/vars" (Keras 2: "lstm_cell").
    while parts and (parts[-1] in ("vars", "cell") or parts[-1].startswith("lstm_cell")):
        parts.pop()
    layer_path = "/".join(parts)
    direction, layer_key = "forward", layer_path
    for depth in range(len(parts) - 1, -1, -1):
        if parts[depth].startswith(("forward", "backward")):  # inside a Bidirectional wrapper
            direction = "reverse" if parts[depth].startswith("backward") else "forward"
            layer_key = "/".join(parts[:depth])
            break
    name = _layer_name(h5, layer_path)
    shown = name if layer_key == layer_path else _layer_name(h5, layer_key)
    return _FoundCell(group, layer_key, direction, name, shown, arrays)


def _layer_name(h5: Any, layer_path: str) -> str:
    """Keras 3 writes the layer's own name (`name="encoder"`) as an attribute of its `vars` group;
    older files name the layer's group after it."""
    vars_group = h5.get(f"{layer_path}/vars") if layer_path else None
    name = vars_group.attrs.get("name") if vars_group is not None else None
    return str(name) if name else layer_path.rsplit("/", 1)[-1] or layer_path


def _natural(text: str) -> list:
    """'lstm_2' before 'lstm_10': Keras numbers its layers lstm, lstm_1, lstm_2, ..."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _weights_file(found: list[_FoundCell], path: Path, config: Any) -> WeightsFile:
    layer_keys = sorted({cell.layer_key for cell in found}, key=_natural)
    configs = lstm_configs(config) if config is not None else None
    cells: dict[CellKey, LSTMWeights] = {}
    names: dict[int, str] = {}
    unsupported: list[str] = []
    unchecked: list[str] = []
    for cell in found:
        index = layer_keys.index(cell.layer_key)
        names[index] = cell.layer_name
        key = (index, cell.direction)
        if key in cells:
            raise DataError(f"The Keras file '{path}' has two {cell.direction} LSTM cells for layer {cell.layer_key}.")
        cells[key] = _canonical(cell, path, index)
        if configs is not None and cell.name in configs:
            settings = unsupported_settings(configs[cell.name])
            unsupported += [f"Layer {index} ({cell.name}) uses {setting}." for setting in settings]
        else:
            unchecked.append(cell.name)
    notes = ()
    if unchecked and configs is None:
        notes = ("The file does not store the activations; Keras' defaults are assumed (sigmoid gates, tanh).",)
    elif unchecked:
        notes = (f"The model config has no entry for {', '.join(unchecked)}; Keras' default activations are assumed.",)
    return WeightsFile(
        path=str(path), framework=FRAMEWORK, cells=dict(sorted(cells.items())), layer_names=names,
        unsupported=tuple(unsupported), notes=notes,
    )  # fmt: skip


def _canonical(cell: _FoundCell, path: Path, index: int) -> LSTMWeights:
    kernel, recurrent = cell.arrays["kernel"], cell.arrays["recurrent_kernel"]  # (I, 4H), (H, 4H)
    H = recurrent.shape[0]
    bias = cell.arrays.get("bias")
    kernel_blocks = {g: block.T for g, block in split_blocks(kernel, KERAS_ORDER, axis=1).items()}  # (H, I)
    recurrent_blocks = {g: block.T for g, block in split_blocks(recurrent, KERAS_ORDER, axis=1).items()}  # (H, H)
    biases = split_blocks(bias, KERAS_ORDER) if bias is not None else {g: np.zeros(H) for g in KERAS_ORDER}
    b_text = "b = bias" if bias is not None else "no bias (use_bias=False), b = 0"
    provenance = {
        "source": str(path),
        "framework": FRAMEWORK,
        "layer": index,
        "layer_name": cell.layer_name,
        "direction": cell.direction,
        "mapping": f"{mapping_text('Keras columns', KERAS_ORDER)} (of kernel, recurrent_kernel and bias, in "
        f"{cell.group}); W_g = [recurrent_kernel columns | kernel columns], transposed; {b_text}",
        "gate_order": "i, f, c, o",
        "bias": "one bias" if bias is not None else "none (use_bias=False)",
        "stored_dtype": str(kernel.dtype),
        "parameters": int(kernel.size + recurrent.size + (bias.size if bias is not None else 0)),
    }
    return canonical_weights(recurrent_blocks, kernel_blocks, biases, provenance, f"Keras file '{path}' ({cell.group})")
