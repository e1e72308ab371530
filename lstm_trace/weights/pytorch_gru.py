"""PyTorch's GRU state-dict layout (`nn.GRU`, `nn.GRUCell`), in NumPy: read and written.

The keys are an LSTM's (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k};
a cell's without `_l{k}`) with 3H rows stacked as r, z, n. The reset and update
gates add their two biases (b_r = b_ir + b_hr, b_z = b_iz + b_hz); the new state
keeps them apart, because PyTorch's reset gate multiplies W_hn·h + b_hn:
b_in = bias_ih rows 2H:3H, b_hn = bias_hh rows 2H:3H.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .gru import GRUWeights
from .layouts import PYTORCH_GRU_ORDER, canonical_gru, input_part, mapping_text, recurrent_part, split_blocks
from .pytorch_layout import Group, bias_parts_of, check_keys


def gru_cell(group: Group, arrays: Mapping[str, np.ndarray], path: str, framework: str, index: int):
    """The canonical GRU of one key group, and its two stored biases (None with bias=False)."""
    check_keys(group, arrays, path, framework, blocks=3)
    weight_ih, weight_hh = arrays[group.keys["weight_ih"]], arrays[group.keys["weight_hh"]]
    H = weight_hh.shape[1]
    has_bias = "bias_ih" in group.keys
    parts = bias_parts_of(group, arrays, PYTORCH_GRU_ORDER, H)
    b_ih, b_hh = parts["bias_ih"], parts["bias_hh"]
    bias = {"reset": b_ih["reset"] + b_hh["reset"], "update": b_ih["update"] + b_hh["update"], "new": b_ih["new"]}
    ih, hh = group.key("weight_ih"), group.key("weight_hh")
    bih, bhh = group.key("bias_ih"), group.key("bias_hh")
    biases = (
        f"b_r = {bih} + {bhh} rows 0:H, b_z = the same rows H:2H; b_in = {bih} rows 2H:3H, b_hn = {bhh} rows 2H:3H"
        if has_bias else "no biases (bias=False), b = 0"
    )  # fmt: skip
    provenance = {
        "source": path,
        "framework": framework,
        "layer": index,
        "layer_name": group.name,
        "direction": "reverse" if group.reverse else "forward",
        "mapping": f"{mapping_text('PyTorch rows', PYTORCH_GRU_ORDER)} (of {ih}, {hh} and the biases); "
        f"W_g = [{hh} rows | {ih} rows]; {biases}",
        "gate_order": "r, z, n",
        "bias": "two biases, b_ih + b_hh for r and z; b_in and b_hn kept apart" if has_bias else "none (bias=False)",
        "stored_dtype": str(weight_ih.dtype),
        "parameters": int(weight_ih.size + weight_hh.size + (6 * H if has_bias else 0)),
        "cell_options": {"variant": "gru"},
    }
    weights = canonical_gru(
        split_blocks(weight_hh, PYTORCH_GRU_ORDER), split_blocks(weight_ih, PYTORCH_GRU_ORDER), bias,
        b_hh["new"], provenance, f"{framework} file '{path}' ({group.name})",
    )  # fmt: skip
    return weights, ({"bias_ih": b_ih, "bias_hh": b_hh} if has_bias else None)


def gru_state_dict_arrays(weights: GRUWeights, bias_parts: Mapping[str, Mapping[str, np.ndarray]] | None) -> dict:
    """One GRU as the state dict of `nn.GRU(I, H)`. Two stored biases are written as they were;
    from one bias per gate, r and z get theirs in bias_ih_l0, and n its b_in there and b_hn in bias_hh_l0."""
    if bias_parts is None:
        zeros = np.zeros_like(weights.b_hn)
        bias_parts = {
            "bias_ih": {"reset": weights.b["reset"], "update": weights.b["update"], "new": weights.b["new"]},
            "bias_hh": {"reset": zeros, "update": zeros, "new": weights.b_hn},
        }
    first, second = bias_parts.values()
    return {
        "weight_ih_l0": np.concatenate([input_part(weights)[g] for g in PYTORCH_GRU_ORDER]),  # (3H, I)
        "weight_hh_l0": np.concatenate([recurrent_part(weights)[g] for g in PYTORCH_GRU_ORDER]),  # (3H, H)
        "bias_ih_l0": np.concatenate([first[g] for g in PYTORCH_GRU_ORDER]),  # (3H,)
        "bias_hh_l0": np.concatenate([second[g] for g in PYTORCH_GRU_ORDER]),
    }
