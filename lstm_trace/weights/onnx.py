"""ONNX models with `LSTM` and `GRU` nodes, read and written with the `onnx` package.

Each node is a layer (numbered in the graph's order); each of its directions a
cell: `onnx_layout` lays them out canonically. What a node's attributes make it
compute beyond the plain cell (peepholes P, clip, input_forget, activations,
linear_before_reset) becomes the cell's options (`onnx_attributes`); what
lstm-trace has no equivalent for is reported.

A written model has one LSTM (or GRU) node that ONNX Runtime runs. Graph inputs:
X [T, B, I], initial_h [1, B, H] (and initial_c [1, B, H] for an LSTM); outputs
Y [T, 1, B, H], Y_h (and Y_c) [1, B, H]; the weights are initializers, and the
cell's options the node's attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, Mapping

import numpy as np

from ..errors import DataError
from .gru_weights import GRUWeights
from .layers import CellKey, WeightsFile
from .lstm_weights import LSTMWeights
from .onnx_attributes import node_attributes, node_options
from .onnx_layout import FRAMEWORK, gru_node_arrays, gru_node_cells, has_peepholes, lstm_node_arrays, lstm_node_cells
from .onnx_node import node_directions
from .optional_packages import import_optional
from .stated_options import implied_options

OPSET = 17  # LSTM-14 and GRU-14 semantics; old enough for every recent ONNX Runtime
IR_VERSION = 8
NODE_CELLS = {"LSTM": lstm_node_cells, "GRU": gru_node_cells}


def read_cells(path: Path) -> WeightsFile:
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


def write(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """Two stored biases (PyTorch's b_ih, b_hh) become Wb and Rb as they were; one bias becomes Wb, Rb = 0."""
    onnx = import_optional("onnx", "writing ONNX models")
    from onnx import TensorProto, helper, numpy_helper

    options = implied_options(weights)
    gru = isinstance(weights, GRUWeights)
    arrays = gru_node_arrays(weights, bias_parts) if gru else lstm_node_arrays(weights, bias_parts, options)
    H, I = weights.hidden_size, weights.input_size
    state = ["initial_h"] if gru else ["initial_h", "initial_c"]
    outputs = ["Y", "Y_h"] if gru else ["Y", "Y_h", "Y_c"]
    peephole_input = ["P"] if "P" in arrays else []
    node = helper.make_node(
        "GRU" if gru else "LSTM", ["X", "W", "R", "B", "", *state, *peephole_input], outputs,
        name="gru" if gru else "lstm", hidden_size=H, direction="forward", **node_attributes(options, gru),
    )  # fmt: skip
    floats = TensorProto.FLOAT
    graph = helper.make_graph(
        [node],
        "lstm_trace_cell",
        inputs=[helper.make_tensor_value_info("X", floats, ["T", "B", I])]
        + [helper.make_tensor_value_info(name, floats, [1, "B", H]) for name in state],
        outputs=[helper.make_tensor_value_info("Y", floats, ["T", 1, "B", H])]
        + [helper.make_tensor_value_info(name, floats, [1, "B", H]) for name in outputs[1:]],
        initializer=[numpy_helper.from_array(value.astype(np.float32), name) for name, value in arrays.items()],
    )
    model = helper.make_model(graph, producer_name="lstm-trace", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    stream.write(model.SerializeToString())


def usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    H = weights.hidden_size
    state = f"'initial_h': h (1, B, {H})"
    if not isinstance(weights, GRUWeights):
        state += f", 'initial_c': c (1, B, {H})"
    return f"onnxruntime.InferenceSession({file_name!r}).run(None, {{'X': x (T, B, {weights.input_size}), {state}}})"
