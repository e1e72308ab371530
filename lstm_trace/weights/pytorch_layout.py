"""PyTorch's state-dict layout of LSTM and GRU cells, in NumPy, read and written: for .pt and .safetensors.

`nn.LSTM` stores, per layer k and direction, weight_ih_l{k}[_reverse] (4H × I),
weight_hh_l{k}[_reverse] (4H × H), bias_ih_l{k} and bias_hh_l{k} (4H each);
`nn.LSTMCell` the same without the `_l{k}` suffix. Either may sit under a
prefix (`encoder.lstm.`) when the state dict is a whole model's. Rows are
stacked as i, f, g, o, and the two biases are always added together, so the
canonical b_g = b_ih + b_hh. `nn.LSTM(proj_size=P)` adds weight_hr_l{k} (P × H),
the projection W_hr, and its weight_hh is then 4H × P.

`nn.GRU` and `nn.GRUCell` use the same keys with 3H rows stacked as r, z, n. The
reset and update gates add their two biases (b_r = b_ir + b_hr, b_z = b_iz + b_hz);
the new state keeps them apart, because PyTorch's reset gate multiplies
W_hn·h + b_hn: b_in = bias_ih rows 2H:3H, b_hn = bias_hh rows 2H:3H.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from ..errors import DataError, shape_text
from .gate_blocks import mapping_text, split_blocks, stack_blocks
from .gru_weights import GRUWeights
from .layers import CellKey, WeightsFile
from .lstm_weights import LSTMWeights

LSTM_ORDER = ("input", "forget", "candidate", "output")  # PyTorch stacks an LSTM's rows as i, f, g, o
GRU_ORDER = ("reset", "update", "new")  # and a GRU's as r, z, n

_KEY = re.compile(
    r"^(?P<prefix>(?:.*\.)?)(?P<part>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
    r"(?:_l(?P<layer>\d+)(?P<reverse>_reverse)?)?$"
)


@dataclass
class Group:
    """The keys of one cell: one layer and direction of one module."""

    prefix: str
    layer: int | None  # None for nn.LSTMCell's keys, which have no _l{k}
    reverse: bool
    keys: dict[str, str] = field(default_factory=dict)  # part -> full key

    def key(self, part: str) -> str:
        suffix = "" if self.layer is None else f"_l{self.layer}" + ("_reverse" if self.reverse else "")
        return f"{self.prefix}{part}{suffix}"

    @property
    def name(self) -> str:
        if self.layer is None:
            return self.prefix.rstrip(".") or "cell"
        return f"{self.prefix}l{self.layer}"


def cells_from_state_dict(arrays: Mapping[str, np.ndarray], path: str, framework: str) -> WeightsFile:
    """Every LSTM and GRU cell of a flat state dict, numbered in the order the modules appear."""
    groups = _groups(arrays)
    if not groups:
        raise DataError(
            f"The {framework} file '{path}' holds no LSTM or GRU weights: expected keys such as weight_ih_l0, "
            f"weight_hh_l0, bias_ih_l0, bias_hh_l0 (nn.LSTM, nn.GRU) or weight_ih, weight_hh, bias_ih, bias_hh "
            f"(nn.LSTMCell, nn.GRUCell), possibly under a prefix. Found keys: {found_keys(arrays)}."
        )
    cells: dict[CellKey, LSTMWeights | GRUWeights] = {}
    names: dict[int, str] = {}
    bias_parts: dict[CellKey, dict] = {}
    layer_of: dict[tuple[str, int | None], int] = {}
    for group in groups:
        index = layer_of.setdefault((group.prefix, group.layer), len(layer_of))
        names[index] = group.name
        key = (index, "reverse" if group.reverse else "forward")
        read_cell = _gru_cell if _is_gru_group(group, arrays) else _lstm_cell
        cells[key], parts = read_cell(group, arrays, path, framework, index)
        if parts is not None:
            bias_parts[key] = parts
    return WeightsFile(path=path, framework=framework, cells=cells, layer_names=names, bias_parts=bias_parts)


def state_dict_arrays(weights: LSTMWeights | GRUWeights, bias_parts: Mapping[str, Mapping] | None) -> dict:
    """One cell as the state dict of a one-layer `nn.LSTM(I, H)`: weight_ih_l0, weight_hh_l0,
    bias_ih_l0, bias_hh_l0, and weight_hr_l0 with a projection (`nn.LSTM(I, H, proj_size=P)`);
    a GRU as `nn.GRU(I, H)`'s. Two biases are kept as they were when the source had two; else the
    single bias goes to bias_ih_l0 and bias_hh_l0 is zero (their sum is what counts), but for a
    GRU's b_hn, which stays on the hidden side of the new state."""
    order = GRU_ORDER if isinstance(weights, GRUWeights) else LSTM_ORDER
    if bias_parts is None:
        hidden_side = {gate: np.zeros_like(b) for gate, b in weights.b.items()}
        if isinstance(weights, GRUWeights):
            hidden_side["new"] = weights.b_hn
        bias_parts = {"bias_ih": weights.b, "bias_hh": hidden_side}
    first, second = bias_parts.values()
    arrays = {
        "weight_ih_l0": stack_blocks(weights.input_blocks(), order),  # (4H, I); a GRU's (3H, I)
        "weight_hh_l0": stack_blocks(weights.recurrent_blocks(), order),  # (4H, H) or (4H, P); (3H, H)
        "bias_ih_l0": stack_blocks(first, order),  # (4H,); (3H,)
        "bias_hh_l0": stack_blocks(second, order),
    }
    if isinstance(weights, LSTMWeights) and weights.projection is not None:
        arrays["weight_hr_l0"] = weights.projection  # (P, H)
    return arrays


def usage(weights: LSTMWeights | GRUWeights, loader: str) -> str:
    """How to load a written state dict: the module to build and `loader`, the call that reads the file."""
    module = "GRU" if isinstance(weights, GRUWeights) else "LSTM"
    projected = isinstance(weights, LSTMWeights) and weights.projection is not None
    projection = f", proj_size={weights.h_size}" if projected else ""
    return (
        f"torch.nn.{module}(input_size={weights.input_size}, hidden_size={weights.hidden_size}{projection})"
        f".load_state_dict({loader})"
    )


def found_keys(arrays: Mapping[str, object], limit: int = 40) -> str:
    keys = list(map(str, arrays))
    shown = ", ".join(keys[:limit]) or "none"
    return shown + (f", … ({len(keys) - limit} more)" if len(keys) > limit else "")


def _groups(arrays: Mapping[str, np.ndarray]) -> list[Group]:
    """The cells' key groups, in the order their keys first appear (modules, then layers)."""
    groups: dict[tuple[str, int | None, bool], Group] = {}
    for key in arrays:
        match = _KEY.match(str(key))
        if match is None:
            continue
        layer = None if match["layer"] is None else int(match["layer"])
        reverse = match["reverse"] is not None
        group = groups.setdefault((match["prefix"], layer, reverse), Group(match["prefix"], layer, reverse))
        group.keys[match["part"]] = str(key)
    # Forward before reverse and layers in order, within each module in order of appearance.
    modules = list(dict.fromkeys(prefix for prefix, _, _ in groups))
    return sorted(groups.values(), key=lambda g: (modules.index(g.prefix), g.layer or 0, g.reverse))


def _is_gru_group(group: Group, arrays: Mapping[str, np.ndarray]) -> bool:
    """3H rows of weight_hh for H columns (and no projection): nn.GRU or nn.GRUCell."""
    if "weight_hh" not in group.keys or "weight_hr" in group.keys:
        return False
    weight_hh = arrays[group.keys["weight_hh"]]
    return weight_hh.ndim == 2 and weight_hh.shape[1] > 0 and weight_hh.shape[0] == 3 * weight_hh.shape[1]


def _check_keys(group: Group, arrays: Mapping[str, np.ndarray], path: str, framework: str, blocks: int) -> None:
    """The keys of one cell are all there and their shapes agree: `blocks` = 4 for an LSTM, 3 for a GRU."""
    kind = "LSTM" if blocks == 4 else "GRU"
    biases = [part for part in ("bias_ih", "bias_hh") if part in group.keys]
    needed = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if biases else ())
    missing = [group.key(part) for part in needed if part not in group.keys]
    if missing:
        raise DataError(
            f"The {framework} file '{path}' lacks {', '.join(missing)} for the {kind} {group.name!r}. "
            f"Found keys: {found_keys(arrays)}."
        )
    weight_hh = arrays[group.keys["weight_hh"]]
    H = _hidden_size(group, arrays, path, framework, blocks)
    weight_ih = arrays[group.keys["weight_ih"]]
    if weight_ih.ndim != 2 or weight_ih.shape[0] != blocks * H or weight_ih.shape[1] == 0:
        raise DataError(
            f"In the {framework} file '{path}', {group.keys['weight_ih']} has shape {shape_text(weight_ih.shape)}, "
            f"but {group.keys['weight_hh']} {shape_text(weight_hh.shape)} makes H = {H}, so it must have shape "
            f"({blocks * H}, I) with I ≥ 1."
        )
    for part in biases:
        bias = arrays[group.keys[part]]
        if bias.shape != (blocks * H,):
            raise DataError(
                f"In the {framework} file '{path}', {group.keys[part]} has shape {shape_text(bias.shape)}, but "
                f"{group.keys['weight_hh']} {shape_text(weight_hh.shape)} makes H = {H}, so it must have shape "
                f"({blocks * H},)."
            )


def _hidden_size(group: Group, arrays: Mapping[str, np.ndarray], path: str, framework: str, blocks: int) -> int:
    """H from weight_hh (kH × H), or with a projection from weight_hh (4H × P) and weight_hr (P × H)."""
    weight_hh = arrays[group.keys["weight_hh"]]
    if "weight_hr" not in group.keys:
        if weight_hh.ndim != 2 or weight_hh.shape[0] != blocks * weight_hh.shape[1] or weight_hh.shape[1] == 0:
            kind = "an LSTM's weight_hh has shape (4H, H)" if blocks == 4 else "a GRU's weight_hh has shape (3H, H)"
            raise DataError(
                f"In the {framework} file '{path}', {group.keys['weight_hh']} has shape "
                f"{shape_text(weight_hh.shape)}; {kind}."
            )
        return weight_hh.shape[1]
    weight_hr = arrays[group.keys["weight_hr"]]
    if weight_hh.ndim != 2 or weight_hh.shape[0] % 4 or weight_hh.shape[0] == 0 or weight_hh.shape[1] == 0:
        raise DataError(
            f"In the {framework} file '{path}', {group.keys['weight_hh']} has shape {shape_text(weight_hh.shape)}; "
            f"beside the projection {group.keys['weight_hr']} an LSTM's weight_hh has shape (4H, P)."
        )
    H, P = weight_hh.shape[0] // 4, weight_hh.shape[1]
    if weight_hr.shape != (P, H) or P >= H:
        raise DataError(
            f"In the {framework} file '{path}', {group.keys['weight_hr']} has shape {shape_text(weight_hr.shape)}, "
            f"but {group.keys['weight_hh']} {shape_text(weight_hh.shape)} makes H = {H} and P = {P}, so it must "
            f"have shape ({P}, {H}) (P × H, with P < H as nn.LSTM's proj_size)."
        )
    return H


def _bias_parts(group: Group, arrays: Mapping[str, np.ndarray], order: tuple[str, ...], H: int):
    """Per stored bias (bias_ih, bias_hh), gate -> (H,); zeros for a module made with bias=False."""
    has_bias = "bias_ih" in group.keys
    return {
        part: split_blocks(np.asarray(arrays[group.keys[part]], np.float64), order)
        if has_bias else {gate: np.zeros(H) for gate in order}
        for part in ("bias_ih", "bias_hh")
    }  # fmt: skip


def _lstm_cell(group: Group, arrays: Mapping[str, np.ndarray], path: str, framework: str, index: int):
    """The canonical LSTM of one key group, and its two stored biases (None with bias=False)."""
    _check_keys(group, arrays, path, framework, blocks=4)
    weight_ih, weight_hh = arrays[group.keys["weight_ih"]], arrays[group.keys["weight_hh"]]
    H = weight_hh.shape[0] // 4
    projection = arrays[group.keys["weight_hr"]] if "weight_hr" in group.keys else None  # (P, H)
    has_bias = "bias_ih" in group.keys
    parts = _bias_parts(group, arrays, LSTM_ORDER, H)
    bias = {gate: parts["bias_ih"][gate] + parts["bias_hh"][gate] for gate in LSTM_ORDER}
    summed = f"b = {group.key('bias_ih')} + {group.key('bias_hh')}" if has_bias else "no biases (bias=False), b = 0"
    projected = "" if projection is None else f"; W_hr = {group.key('weight_hr')} (P × H, nn.LSTM's proj_size)"
    parameters = weight_ih.size + weight_hh.size + (8 * H if has_bias else 0)
    parameters += 0 if projection is None else projection.size
    provenance = _provenance(
        group, path, framework, index, LSTM_ORDER, biases=f"{summed}{projected}", gate_order="i, f, g, o",
        bias="two biases, b_ih + b_hh" if has_bias else "none (bias=False)", weight_ih=weight_ih, parameters=parameters,
    )  # fmt: skip
    weights = LSTMWeights.from_blocks(
        split_blocks(weight_hh, LSTM_ORDER), split_blocks(weight_ih, LSTM_ORDER), bias,
        provenance, f"{framework} file '{path}' ({group.name})", projection=projection,
    )  # fmt: skip
    return weights, (parts if has_bias else None)


def _gru_cell(group: Group, arrays: Mapping[str, np.ndarray], path: str, framework: str, index: int):
    """The canonical GRU of one key group, and its two stored biases (None with bias=False)."""
    _check_keys(group, arrays, path, framework, blocks=3)
    weight_ih, weight_hh = arrays[group.keys["weight_ih"]], arrays[group.keys["weight_hh"]]
    H = weight_hh.shape[1]
    has_bias = "bias_ih" in group.keys
    parts = _bias_parts(group, arrays, GRU_ORDER, H)
    b_ih, b_hh = parts["bias_ih"], parts["bias_hh"]
    bias = {"reset": b_ih["reset"] + b_hh["reset"], "update": b_ih["update"] + b_hh["update"], "new": b_ih["new"]}
    bih, bhh = group.key("bias_ih"), group.key("bias_hh")
    biases = (
        f"b_r = {bih} + {bhh} rows 0:H, b_z = the same rows H:2H; b_in = {bih} rows 2H:3H, b_hn = {bhh} rows 2H:3H"
        if has_bias else "no biases (bias=False), b = 0"
    )  # fmt: skip
    provenance = _provenance(
        group, path, framework, index, GRU_ORDER, biases=biases, gate_order="r, z, n",
        bias="two biases, b_ih + b_hh for r and z; b_in and b_hn kept apart" if has_bias else "none (bias=False)",
        weight_ih=weight_ih, parameters=weight_ih.size + weight_hh.size + (6 * H if has_bias else 0),
    )  # fmt: skip
    provenance["cell_options"] = {"variant": "gru"}
    weights = GRUWeights.from_blocks(
        split_blocks(weight_hh, GRU_ORDER), split_blocks(weight_ih, GRU_ORDER), bias,
        b_hh["new"], provenance, f"{framework} file '{path}' ({group.name})",
    )  # fmt: skip
    return weights, (parts if has_bias else None)


def _provenance(group: Group, path: str, framework: str, index: int, order: tuple[str, ...], *, biases: str,
                gate_order: str, bias: str, weight_ih: np.ndarray, parameters: int) -> dict[str, Any]:  # fmt: skip
    """What one cell of a state dict is and where its blocks came from; `biases` says how b was made."""
    ih, hh = group.key("weight_ih"), group.key("weight_hh")
    return {
        "source": path,
        "framework": framework,
        "layer": index,
        "layer_name": group.name,
        "direction": "reverse" if group.reverse else "forward",
        "mapping": f"{mapping_text('PyTorch rows', order)} (of {ih}, {hh} and the biases); "
        f"W_g = [{hh} rows | {ih} rows]; {biases}",
        "gate_order": gate_order,
        "bias": bias,
        "stored_dtype": str(weight_ih.dtype),
        "parameters": int(parameters),
    }
