"""ONNX models with `LSTM` nodes, read with the `onnx` package.

An ONNX LSTM node takes W [dirs, 4H, I], R [dirs, 4H, H] and B [dirs, 8H] =
[Wb, Rb], rows stacked as i, o, f, c; direction 0 is forward and, for a
bidirectional node, direction 1 is reverse. The canonical b_g = Wb + Rb.
Peepholes (P), clip, input_forget and non-default activations change what the
node computes; the plain cell does not compute them, so they are reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, shape_text
from .cells import CellKey, WeightsFile
from .extras import import_optional
from .layouts import ONNX_ORDER, canonical_weights, mapping_text, split_blocks
from .model import LSTMWeights

FRAMEWORK = "ONNX"
DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "tanh")
_DIRECTIONS = {"forward": ("forward",), "reverse": ("reverse",), "bidirectional": ("forward", "reverse")}
_INPUT_NAMES = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")


def read_onnx_cells(path: Path) -> WeightsFile:
    onnx = import_optional("onnx", "reading ONNX models")
    model = _load(onnx, path)
    try:
        tensors = _constant_tensors(model.graph)
    except (ValueError, TypeError) as error:  # a tensor whose bytes do not fill its shape: a cut-off file
        raise DataError(f"Cannot read the weights stored in the ONNX model '{path}': {error}.") from None
    nodes = [node for node in model.graph.node if node.op_type == "LSTM"]
    if not nodes:
        ops = sorted({node.op_type for node in model.graph.node})
        raise DataError(f"The ONNX model '{path}' has no LSTM node; its nodes are: {', '.join(ops) or 'none'}.")
    cells: dict[CellKey, LSTMWeights] = {}
    names: dict[int, str] = {}
    bias_parts: dict[CellKey, dict] = {}
    unsupported: list[str] = []
    for index, node in enumerate(nodes):
        names[index] = node.name or f"LSTM node {index}"
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        unsupported += [f"Layer {index} ({names[index]}) {text}." for text in _unsupported(node, attributes)]
        for key, weights, parts in _node_cells(node, attributes, tensors, path, index, names[index]):
            cells[key] = weights
            bias_parts[key] = parts
    return WeightsFile(
        path=str(path), framework=FRAMEWORK, cells=cells, layer_names=names,
        unsupported=tuple(unsupported), bias_parts=bias_parts,
    )  # fmt: skip


def _load(onnx: Any, path: Path) -> Any:
    from google.protobuf.message import DecodeError

    try:
        return onnx.load(str(path))
    except (DecodeError, OSError, ValueError, RuntimeError) as error:
        raise DataError(
            f"Cannot read '{path}' as an ONNX model (it may be truncated or of another format): "
            f"{' '.join(str(error).split())[:200] or type(error).__name__}."
        ) from None


def _constant_tensors(graph: Any) -> dict[str, np.ndarray]:
    """Initializers and Constant nodes' values, by name: where a model keeps its weights."""
    from onnx import numpy_helper

    tensors = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.output:
            for attribute in node.attribute:
                if attribute.name == "value":
                    tensors[node.output[0]] = numpy_helper.to_array(attribute.t)
    return tensors


def _unsupported(node: Any, attributes: dict[str, Any]) -> list[str]:
    found = []
    inputs = list(node.input) + [""] * (len(_INPUT_NAMES) - len(node.input))
    if inputs[7]:
        found.append(f"has peephole weights P ({inputs[7]!r})")
    if "clip" in attributes:
        found.append(f"clips pre-activations (clip = {attributes['clip']})")
    if attributes.get("input_forget", 0):
        found.append("couples the input and forget gates (input_forget = 1)")
    activations = [a.decode() if isinstance(a, bytes) else str(a) for a in attributes.get("activations", [])]
    directions = 2 if _direction(attributes) == "bidirectional" else 1
    if activations and [a.lower() for a in activations] != [*DEFAULT_ACTIVATIONS] * directions:
        found.append(f"uses activations {activations} where lstm-trace computes {list(DEFAULT_ACTIVATIONS)}")
    elif "activation_alpha" in attributes or "activation_beta" in attributes:
        found.append("sets activation_alpha/activation_beta")
    return found


def _direction(attributes: dict[str, Any]) -> str:
    value = attributes.get("direction", b"forward")
    return value.decode() if isinstance(value, bytes) else str(value)


def _node_cells(node: Any, attributes: dict, tensors: dict, path: Path, index: int, name: str):
    """(key, weights, bias parts) for each direction of one LSTM node."""
    inputs = list(node.input) + [""] * (len(_INPUT_NAMES) - len(node.input))
    W, R = (_stored(inputs[k], _INPUT_NAMES[k], tensors, path, name) for k in (1, 2))
    direction = _direction(attributes)
    directions = _DIRECTIONS.get(direction)
    if directions is None:
        raise DataError(
            f"In the ONNX model '{path}', node {name!r} has direction {direction!r}; expected forward, reverse "
            f"or bidirectional."
        )
    H = _check_shapes(W, R, len(directions), attributes.get("hidden_size"), path, name)
    B = _stored(inputs[3], "B", tensors, path, name) if inputs[3] else np.zeros((len(directions), 8 * H))
    if B.shape != (len(directions), 8 * H):
        raise DataError(
            f"In the ONNX model '{path}', B of node {name!r} has shape {shape_text(B.shape)}, but W "
            f"{shape_text(W.shape)} makes H = {H} with {len(directions)} direction(s), so B must have shape "
            f"({len(directions)}, {8 * H})."
        )
    for d, label in enumerate(directions):
        Wb, Rb = split_blocks(B[d][: 4 * H], ONNX_ORDER), split_blocks(B[d][4 * H :], ONNX_ORDER)
        bias = {gate: Wb[gate].astype(np.float64) + Rb[gate] for gate in ONNX_ORDER}
        provenance = {
            "source": str(path),
            "framework": FRAMEWORK,
            "layer": index,
            "layer_name": name,
            "direction": label,
            "mapping": f"{mapping_text('ONNX rows', ONNX_ORDER)} (of W[{d}], R[{d}] and both halves of B[{d}]); "
            f"W_g = [R rows | W rows]; b = Wb + Rb (B[{d}] = [Wb, Rb])",
            "gate_order": "i, o, f, c",
            "bias": "two biases, B = [Wb, Rb], b = Wb + Rb" if inputs[3] else "none (no B input), b = 0",
            "stored_dtype": str(W.dtype),
            "parameters": int(W[d].size + R[d].size + (B[d].size if inputs[3] else 0)),
        }
        weights = canonical_weights(
            split_blocks(R[d], ONNX_ORDER), split_blocks(W[d], ONNX_ORDER), bias,
            provenance, f"ONNX model '{path}' (node {name!r})",
        )  # fmt: skip
        yield (index, label), weights, {"Wb": Wb, "Rb": Rb}


def _stored(name: str, role: str, tensors: dict[str, np.ndarray], path: Path, node: str) -> np.ndarray:
    if not name:
        raise DataError(f"In the ONNX model '{path}', LSTM node {node!r} has no {role} input.")
    if name not in tensors:
        raise DataError(
            f"In the ONNX model '{path}', the {role} input {name!r} of LSTM node {node!r} is not stored in the "
            f"file (it is a graph input or computed by other nodes); lstm-trace needs it as an initializer."
        )
    return tensors[name]


def _check_shapes(W: np.ndarray, R: np.ndarray, directions: int, hidden_size: Any, path: Path, name: str) -> int:
    if R.ndim != 3 or R.shape[0] != directions or R.shape[1] != 4 * R.shape[2] or R.shape[2] == 0:
        raise DataError(
            f"In the ONNX model '{path}', R of node {name!r} has shape {shape_text(R.shape)}; expected "
            f"({directions}, 4H, H) for {directions} direction(s)."
        )
    H = R.shape[2]
    if W.ndim != 3 or W.shape[:2] != (directions, 4 * H) or W.shape[2] == 0:
        raise DataError(
            f"In the ONNX model '{path}', W of node {name!r} has shape {shape_text(W.shape)}, but R "
            f"{shape_text(R.shape)} makes H = {H}, so W must have shape ({directions}, {4 * H}, I)."
        )
    if hidden_size is not None and hidden_size != H:
        raise DataError(
            f"In the ONNX model '{path}', node {name!r} says hidden_size = {hidden_size}, but R "
            f"{shape_text(R.shape)} makes H = {H}."
        )
    return H
