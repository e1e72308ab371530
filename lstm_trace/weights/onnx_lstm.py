"""The cells of one ONNX `LSTM` node, in the canonical layout.

W [dirs, 4H, I], R [dirs, 4H, H], B [dirs, 8H] = [Wb, Rb] and the optional
peepholes P [dirs, 3H] = [p_i, p_o, p_f]; rows stacked as i, o, f, c. The canonical
b_g = Wb + Rb. With input_forget = 1 ONNX computes i and sets f = 1 - i, so the
forget gate is built from the input gate's rows, negated (see `onnx_attributes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import DataError, shape_text
from .cell_options import CELL_OPTIONS_KEY
from .layouts import ONNX_ORDER, canonical_weights, mapping_text, split_blocks
from .model import LSTMWeights
from .onnx_attributes import NodeOptions
from .onnx_node import check_shapes, node_inputs, stored, stored_bias

INPUT_NAMES = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")
PEEPHOLE_ORDER = ("input", "output", "forget")  # ONNX's P holds [p_i, p_o, p_f]


def has_peepholes(node: Any) -> bool:
    return bool(node_inputs(node, len(INPUT_NAMES))[7])


def lstm_node_cells(
    node: Any, attributes: dict, found: NodeOptions, directions: tuple[str, ...], tensors: dict, path: Path,
    index: int, name: str,
) -> Iterator[tuple[tuple[int, str], LSTMWeights, dict]]:  # fmt: skip
    """(key, weights, bias parts) for each direction of one LSTM node."""
    inputs = node_inputs(node, len(INPUT_NAMES))
    W, R = (stored(inputs[k], INPUT_NAMES[k], tensors, path, name) for k in (1, 2))
    D = len(directions)
    H = check_shapes(W, R, D, 4, attributes.get("hidden_size"), path, name)
    B = stored_bias(inputs[3], tensors, D, 4, H, W, path, name)
    P = _peepholes(inputs[7], tensors, D, H, path, name)
    for d, label in enumerate(directions):
        Wb, Rb = split_blocks(B[d][: 4 * H], ONNX_ORDER), split_blocks(B[d][4 * H :], ONNX_ORDER)
        recurrent, weights_x = split_blocks(R[d], ONNX_ORDER), split_blocks(W[d], ONNX_ORDER)
        options = found.options[d]
        if options.get("variant") == "cifg":  # f = 1 - i in ONNX is lstm-trace's f = σ(-(i's pre-activation))
            for blocks in (recurrent, weights_x, Wb, Rb):
                blocks["forget"] = -blocks["input"]
        bias = {gate: Wb[gate].astype(np.float64) + Rb[gate] for gate in ONNX_ORDER}
        peepholes = None if P is None else split_blocks(P[d], PEEPHOLE_ORDER)
        if peepholes is not None:
            options = {"variant": "peephole", **options}
        extras = ([] if P is None else [f"P[{d}] = [p_i | p_o | p_f] -> the peepholes"]) + found.mappings[d]
        provenance = {
            "source": str(path),
            "framework": "ONNX",
            "layer": index,
            "layer_name": name,
            "direction": label,
            "mapping": f"{mapping_text('ONNX rows', ONNX_ORDER)} (of W[{d}], R[{d}] and both halves of B[{d}]); "
            f"W_g = [R rows | W rows]; b = Wb + Rb (B[{d}] = [Wb, Rb])" + "".join(f"; {text}" for text in extras),
            "gate_order": "i, o, f, c",
            "bias": "two biases, B = [Wb, Rb], b = Wb + Rb" if inputs[3] else "none (no B input), b = 0",
            "stored_dtype": str(W.dtype),
            "parameters": int(W[d].size + R[d].size + (B[d].size if inputs[3] else 0) + (3 * H if P is not None else 0)),
        }
        if options:
            provenance[CELL_OPTIONS_KEY] = options
        weights = canonical_weights(
            recurrent, weights_x, bias, provenance, f"ONNX model '{path}' (node {name!r})", peepholes=peepholes,
        )  # fmt: skip
        yield (index, label), weights, {"Wb": Wb, "Rb": Rb}


def _peepholes(name: str, tensors: dict, directions: int, H: int, path: Path, node: str) -> np.ndarray | None:
    if not name:
        return None
    P = stored(name, "P", tensors, path, node)
    if P.shape != (directions, 3 * H):
        raise DataError(
            f"In the ONNX model '{path}', P of node {node!r} has shape {shape_text(P.shape)}, but R makes H = {H} "
            f"with {directions} direction(s), so P must have shape ({directions}, {3 * H}) ([p_i, p_o, p_f])."
        )
    return P
