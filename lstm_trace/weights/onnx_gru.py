"""The cells of one ONNX `GRU` node, in the canonical GRU layout.

W [dirs, 3H, I], R [dirs, 3H, H], B [dirs, 6H] = [Wb, Rb]; blocks stacked as
z, r, h (update, reset, new). r and z add their two biases: b_z = Wb_z + Rb_z,
b_r = Wb_r + Rb_r. The new state keeps them apart, because with
linear_before_reset = 1 the reset gate multiplies R_h·h + Rb_h: b_in = Wb_h,
b_hn = Rb_h (with linear_before_reset = 0 both are outside, so either way works).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from .cell_options import CELL_OPTIONS_KEY
from .gru import GRUWeights
from .layouts import ONNX_GRU_ORDER, canonical_gru, mapping_text, split_blocks
from .onnx_attributes import NodeOptions
from .onnx_node import check_shapes, node_inputs, stored, stored_bias

INPUT_NAMES = ("X", "W", "R", "B", "sequence_lens", "initial_h")


def gru_node_cells(
    node: Any, attributes: dict, found: NodeOptions, directions: tuple[str, ...], tensors: dict, path: Path,
    index: int, name: str,
) -> Iterator[tuple[tuple[int, str], GRUWeights, dict]]:  # fmt: skip
    """(key, weights, bias parts) for each direction of one GRU node."""
    inputs = node_inputs(node, len(INPUT_NAMES))
    W, R = (stored(inputs[k], INPUT_NAMES[k], tensors, path, name) for k in (1, 2))
    D = len(directions)
    H = check_shapes(W, R, D, 3, attributes.get("hidden_size"), path, name)
    B = stored_bias(inputs[3], tensors, D, 3, H, W, path, name)
    for d, label in enumerate(directions):
        Wb, Rb = split_blocks(B[d][: 3 * H], ONNX_GRU_ORDER), split_blocks(B[d][3 * H :], ONNX_GRU_ORDER)
        bias = {
            "reset": Wb["reset"].astype(np.float64) + Rb["reset"],
            "update": Wb["update"].astype(np.float64) + Rb["update"],
            "new": Wb["new"],
        }
        extras = "".join(f"; {text}" for text in found.mappings[d])
        provenance = {
            "source": str(path),
            "framework": "ONNX",
            "layer": index,
            "layer_name": name,
            "direction": label,
            "mapping": f"{mapping_text('ONNX rows', ONNX_GRU_ORDER)} (of W[{d}], R[{d}] and both halves of B[{d}]); "
            f"W_g = [R rows | W rows]; b_z = Wb_z + Rb_z, b_r = Wb_r + Rb_r, b_in = Wb_h, b_hn = Rb_h{extras}",
            "gate_order": "z, r, h",
            "bias": "two biases, B = [Wb, Rb]: summed for r and z, kept apart for the new state"
            if inputs[3] else "none (no B input), b = 0",
            "stored_dtype": str(W.dtype),
            "parameters": int(W[d].size + R[d].size + (B[d].size if inputs[3] else 0)),
        }  # fmt: skip
        provenance[CELL_OPTIONS_KEY] = {"variant": "gru", **found.options[d]}
        weights = canonical_gru(
            split_blocks(R[d], ONNX_GRU_ORDER), split_blocks(W[d], ONNX_GRU_ORDER), bias, Rb["new"],
            provenance, f"ONNX model '{path}' (node {name!r})",
        )  # fmt: skip
        yield (index, label), weights, {"Wb": Wb, "Rb": Rb}
