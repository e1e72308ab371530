"""Keras LSTM and GRU weights: `.keras` archives and `.weights.h5` files, read and written with h5py.

A cell is a kernel (I × 4H), a recurrent_kernel (H × 4H) and a bias (a GRU's: 3H
columns, and a bias of (2, 3H) or (3H,)); `keras_layout` lays them out. Keras 3
stores them as datasets "0", "1", "2" of a `vars` group (Keras 2 as `kernel:0`,
...), at paths that depend on the model, so cells are found by their datasets'
shapes rather than by guessing one fixed path. A `.keras` archive is a zip
holding `model.weights.h5`, `config.json` and `metadata.json`; the config says
the activations (which a bare `.weights.h5` does not store, `keras_config`), the
metadata the Keras version.

A written `.weights.h5` is that of `keras.Sequential([keras.Input((T, I)),
keras.layers.LSTM(H)])` (or `GRU(H)`): datasets "0", "1", "2" of
`layers/<layer>/cell/vars`, the layer path being the snake_case class name, which
is how `model.load_weights` matches them. It holds no config, so a cell
activation other than tanh, or a GRU's reset_after=False, is said in the usage
line that builds the layer.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Mapping

import numpy as np

from ..errors import DataError, shape_text
from .gru_weights import GRUWeights
from .keras_config import config_options, recurrent_configs
from .keras_layout import FRAMEWORK, KerasCell, gru_cell, layer_arrays, lstm_cell
from .layers import CellKey, WeightsFile
from .lstm_weights import LSTMWeights
from .native import DAMAGED_ZIP_ERRORS
from .optional_packages import import_optional
from .stated_options import implied_options

_NUMBERED = {"0": "kernel", "1": "recurrent_kernel", "2": "bias"}  # Keras 3 `vars` datasets


@dataclass(frozen=True)
class _Model:
    """What the file says beside the weights: the model config and the Keras version, when stored."""

    config: Any = None
    keras_version: str | None = None


def read_cells(path: Path) -> WeightsFile:
    h5py = import_optional("h5py", "reading Keras .keras and .weights.h5 files")
    weights_bytes, model = _open(path)
    try:
        with h5py.File(io.BytesIO(weights_bytes) if weights_bytes is not None else path, "r") as h5:
            if model.config is None and "model_config" in h5.attrs:  # a legacy whole-model .h5
                version = h5.attrs.get("keras_version")
                version = version.decode() if isinstance(version, bytes) else version
                model = _Model(_json(h5.attrs["model_config"], path), None if version is None else str(version))
            found = _find_cells(h5, path)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        raise DataError(
            f"Cannot read '{path}' as a Keras HDF5 weights file (it may be truncated or of another format): "
            f"{' '.join(str(error).split())[:200]}."
        ) from None
    if not found:
        raise DataError(
            f"The Keras file '{path}' has no LSTM or GRU layer: no group holds a kernel (I × 4H, or I × 3H for a "
            f"GRU), a recurrent_kernel (H × 4H or H × 3H) and a bias."
        )
    return _weights_file(found, path, model)


def _open(path: Path) -> tuple[bytes | None, _Model]:
    """The HDF5 bytes, the config and the Keras version of a .keras archive; (None, nothing) for an .h5 file."""
    if path.suffix.lower() != ".keras":
        return None, _Model()
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "model.weights.h5" not in names:
                raise DataError(
                    f"The Keras archive '{path}' has no model.weights.h5; it holds: {', '.join(names) or 'nothing'}."
                )
            config = _json(archive.read("config.json"), path) if "config.json" in names else None
            metadata = _json(archive.read("metadata.json"), path) if "metadata.json" in names else {}
            version = metadata.get("keras_version") if isinstance(metadata, dict) else None
            return archive.read("model.weights.h5"), _Model(config, None if version is None else str(version))
    except DAMAGED_ZIP_ERRORS as error:
        raise DataError(
            f"Cannot read '{path}' as a Keras .keras archive (a zip file; it may be truncated or of another "
            f"format): {error}."
        ) from None


def _json(raw: bytes | str, path: Path) -> Any:
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DataError(f"The model config in '{path}' is not valid JSON: {error}.") from None


def _find_cells(h5: Any, path: Path) -> list[KerasCell]:
    import h5py

    groups: list[str] = []
    h5.visititems(lambda name, item: groups.append(name) if isinstance(item, h5py.Group) else None)
    found = []
    for group in groups:
        roles = _roles(h5[group], h5py)
        if roles is None:
            continue
        arrays = {role: np.asarray(h5[f"{group}/{name}"][()]) for role, name in roles.items()}
        kind = _cell_kind(arrays, group, path)
        if kind is not None:
            found.append(_found_cell(h5, group, arrays, kind))
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


def _cell_kind(arrays: dict[str, np.ndarray], group: str, path: Path) -> str | None:
    """"LSTM" or "GRU" for a cell's shapes, None for other layers; an error for a cell whose shapes disagree."""
    recurrent = arrays["recurrent_kernel"]
    if recurrent.ndim != 2 or recurrent.shape[0] == 0 or recurrent.shape[1] not in (3 * recurrent.shape[0],
                                                                                    4 * recurrent.shape[0]):
        return None  # a SimpleRNN (H × H), a Dense layer, ...
    H = recurrent.shape[0]
    blocks = recurrent.shape[1] // H
    kind = "LSTM" if blocks == 4 else "GRU"
    kernel, bias = arrays["kernel"], arrays.get("bias")
    problems = []
    if kernel.ndim != 2 or kernel.shape[1] != blocks * H or kernel.shape[0] == 0:
        problems.append(f"the kernel has shape {shape_text(kernel.shape)}, expected (I, {blocks * H})")
    biases = [(blocks * H,)] + ([(2, blocks * H)] if kind == "GRU" else [])  # a GRU with reset_after has two
    if bias is not None and bias.shape not in biases:
        expected = " or ".join(shape_text(shape) for shape in biases)
        problems.append(f"the bias has shape {shape_text(bias.shape)}, expected {expected}")
    if problems:
        raise DataError(
            f"In the Keras file '{path}', the {kind} weights in {group} disagree: the recurrent kernel "
            f"{shape_text(recurrent.shape)} makes H = {H}, but {' and '.join(problems)}."
        )
    return kind


def _found_cell(h5: Any, group: str, arrays: dict[str, np.ndarray], kind: str) -> KerasCell:
    parts = group.split("/")
    # The layer's own path: the group without Keras 3's trailing "cell/vars" (Keras 2: "lstm_cell", "gru_cell").
    while parts and (parts[-1] in ("vars", "cell") or parts[-1].startswith(("lstm_cell", "gru_cell"))):
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
    return KerasCell(group, layer_key, direction, name, shown, arrays, kind)


def _layer_name(h5: Any, layer_path: str) -> str:
    """Keras 3 writes the layer's own name (`name="encoder"`) as an attribute of its `vars` group;
    older files name the layer's group after it."""
    vars_group = h5.get(f"{layer_path}/vars") if layer_path else None
    name = vars_group.attrs.get("name") if vars_group is not None else None
    return str(name) if name else layer_path.rsplit("/", 1)[-1] or layer_path


def _natural(text: str) -> list:
    """'lstm_2' before 'lstm_10': Keras numbers its layers lstm, lstm_1, lstm_2, ..."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _weights_file(found: list[KerasCell], path: Path, model: _Model) -> WeightsFile:
    layer_keys = sorted({cell.layer_key for cell in found}, key=_natural)
    configs = recurrent_configs(model.config) if model.config is not None else None
    cells: dict[CellKey, LSTMWeights | GRUWeights] = {}
    names: dict[int, str] = {}
    bias_parts: dict[CellKey, dict] = {}  # a GRU with reset_after stores an input and a recurrent bias
    unsupported: list[str] = []
    notes: list[str] = []
    unchecked: list[str] = []
    for cell in found:
        index = layer_keys.index(cell.layer_key)
        names[index] = cell.layer_name
        key = (index, cell.direction)
        if key in cells:
            raise DataError(f"The Keras file '{path}' has two {cell.direction} cells for layer {cell.layer_key}.")
        layer_config = configs.get(cell.name) if configs is not None else None
        options, problems, mapping = config_options(layer_config or {}, model.keras_version)
        unsupported += [f"Layer {index} ({cell.name}) uses {problem}." for problem in problems]
        if layer_config is None:
            unchecked.append(cell.name)
        if cell.kind == "GRU":
            cells[key], parts, note = gru_cell(cell, path, index, options, mapping, layer_config)
            notes += [note] if note else []
            if parts is not None:
                bias_parts[key] = parts
        else:
            cells[key] = lstm_cell(cell, path, index, options, mapping)
    if unchecked and configs is None:
        notes.append("The file does not store the activations; Keras' defaults are assumed (sigmoid gates, tanh).")
    elif unchecked:
        notes.append(f"The model config has no entry for {', '.join(unchecked)}; Keras' default activations are assumed.")
    return WeightsFile(
        path=str(path), framework=FRAMEWORK, cells=dict(sorted(cells.items())), layer_names=names,
        unsupported=tuple(unsupported), notes=tuple(notes), bias_parts=bias_parts,
    )  # fmt: skip


def write(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """One cell as the `.weights.h5` of a Sequential model holding one LSTM (or GRU) layer, float32."""
    h5py = import_optional("h5py", "writing Keras .weights.h5 files")
    layer = "gru" if isinstance(weights, GRUWeights) else "lstm"
    with h5py.File(stream, "w") as h5:
        h5.create_group("vars").attrs["name"] = "sequential"
        h5.create_group(f"layers/{layer}/vars").attrs["name"] = layer
        cell = h5.create_group(f"layers/{layer}/cell/vars")
        cell.attrs["name"] = f"{layer}_cell"
        for index, array in enumerate(layer_arrays(weights, bias_parts)):  # kernel, recurrent_kernel, bias
            cell.create_dataset(str(index), data=array.astype(np.float32))


def usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    options = implied_options(weights)
    arguments = [str(weights.hidden_size)]
    if "cell_activation" in options:
        arguments.append(f"activation={options['cell_activation']!r}")
    if options.get("gru_reset_before"):
        arguments.append("reset_after=False")
    layer = "GRU" if isinstance(weights, GRUWeights) else "LSTM"
    return (
        f"keras.Sequential([keras.Input((T, {weights.input_size})), keras.layers.{layer}({', '.join(arguments)})])"
        f".load_weights({file_name!r})"
    )
