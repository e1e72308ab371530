"""ONNX models with `LSTM` and `GRU` nodes, read with the `onnx` package.

Each node is a layer (numbered in the graph's order); each of its directions a
cell: `onnx_lstm` and `onnx_gru` lay them out canonically. What a node's
attributes make it compute beyond the plain cell (peepholes P, clip,
input_forget, activations, linear_before_reset) becomes the cell's options
(`onnx_attributes`); what lstm-trace has no equivalent for is reported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from .cells import CellKey, WeightsFile
from .extras import import_optional
from .gru import GRUWeights
from .model import LSTMWeights
from .onnx_attributes import node_options
from .onnx_gru import gru_node_cells
from .onnx_lstm import has_peepholes, lstm_node_cells
from .onnx_node import node_directions

FRAMEWORK = "ONNX"
NODE_CELLS = {"LSTM": lstm_node_cells, "GRU": gru_node_cells}


def read_onnx_cells(path: Path) -> WeightsFile:
    onnx = import_optional("onnx", "reading ONNX models")
    model = _load(onnx, path)
    try:
        tensors = _constant_tensors(model.graph)
    except (ValueError, TypeError) as error:  # a tensor whose bytes do not fill its shape: a cut-off file
        raise DataError(f"Cannot read the weights stored in the ONNX model '{path}': {error}.") from None
    nodes = [node for node in model.graph.node if node.op_type in NODE_CELLS]
    if not nodes:
        ops = sorted({node.op_type for node in model.graph.node})
        raise DataError(
            f"The ONNX model '{path}' has no LSTM or GRU node; its nodes are: {', '.join(ops) or 'none'}."
        )
    cells: dict[CellKey, LSTMWeights | GRUWeights] = {}
    names: dict[int, str] = {}
    bias_parts: dict[CellKey, dict] = {}
    unsupported: list[str] = []
    notes: list[str] = []
    for index, node in enumerate(nodes):
        names[index] = node.name or f"{node.op_type} node {index}"
        attributes = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        directions = node_directions(attributes, path, names[index])
        peepholes = node.op_type == "LSTM" and has_peepholes(node)
        found = node_options(node.op_type, attributes, len(directions), peepholes)
        unsupported += [f"Layer {index} ({names[index]}) {text}." for text in found.unsupported]
        notes += [f"Layer {index} ({names[index]}): {text}" for text in found.notes]
        read_node = NODE_CELLS[node.op_type]
        for key, weights, parts in read_node(node, attributes, found, directions, tensors, path, index, names[index]):
            cells[key] = weights
            bias_parts[key] = parts
    return WeightsFile(
        path=str(path), framework=FRAMEWORK, cells=cells, layer_names=names,
        unsupported=tuple(unsupported), notes=tuple(notes), bias_parts=bias_parts,
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
