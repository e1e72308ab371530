"""One cell as an ONNX model with one LSTM node that ONNX Runtime runs.

Graph inputs: X [T, B, I], initial_h [1, B, H], initial_c [1, B, H]; outputs
Y [T, 1, B, H], Y_h and Y_c [1, B, H]. The weights are initializers W [1, 4H, I],
R [1, 4H, H] and B [1, 8H] = [Wb, Rb], rows stacked as i, o, f, c.
"""

from __future__ import annotations

from typing import BinaryIO, Mapping

import numpy as np

from .extras import import_optional
from .layouts import ONNX_ORDER, input_part, recurrent_part, stack_blocks
from .model import LSTMWeights

OPSET = 17  # LSTM-14 semantics; old enough for every recent ONNX Runtime
IR_VERSION = 8


def write_onnx(weights: LSTMWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """Two stored biases (PyTorch's b_ih, b_hh) become Wb and Rb as they were; one bias becomes Wb, Rb = 0."""
    onnx = import_optional("onnx", "writing ONNX models")
    from onnx import TensorProto, helper, numpy_helper

    H, I = weights.hidden_size, weights.input_size
    if bias_parts is None:
        bias_parts = {"Wb": weights.b, "Rb": {gate: np.zeros_like(b) for gate, b in weights.b.items()}}
    input_bias, recurrent_bias = bias_parts.values()
    arrays = {
        "W": stack_blocks(input_part(weights), ONNX_ORDER)[None],  # (1, 4H, I)
        "R": stack_blocks(recurrent_part(weights), ONNX_ORDER)[None],  # (1, 4H, H)
        "B": np.concatenate([stack_blocks(input_bias, ONNX_ORDER), stack_blocks(recurrent_bias, ONNX_ORDER)])[None],
    }
    node = helper.make_node(
        "LSTM", ["X", "W", "R", "B", "", "initial_h", "initial_c"], ["Y", "Y_h", "Y_c"],
        name="lstm", hidden_size=H, direction="forward",
    )  # fmt: skip
    floats = TensorProto.FLOAT
    graph = helper.make_graph(
        [node],
        "lstm_trace_cell",
        inputs=[
            helper.make_tensor_value_info("X", floats, ["T", "B", I]),
            helper.make_tensor_value_info("initial_h", floats, [1, "B", H]),
            helper.make_tensor_value_info("initial_c", floats, [1, "B", H]),
        ],
        outputs=[
            helper.make_tensor_value_info("Y", floats, ["T", 1, "B", H]),
            helper.make_tensor_value_info("Y_h", floats, [1, "B", H]),
            helper.make_tensor_value_info("Y_c", floats, [1, "B", H]),
        ],
        initializer=[numpy_helper.from_array(value.astype(np.float32), name) for name, value in arrays.items()],
    )
    model = helper.make_model(graph, producer_name="lstm-trace", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    stream.write(model.SerializeToString())


def onnx_usage(weights: LSTMWeights, file_name: str) -> str:
    return (
        f"onnxruntime.InferenceSession({file_name!r}).run(None, {{'X': x (T, B, {weights.input_size}), "
        f"'initial_h': h (1, B, {weights.hidden_size}), 'initial_c': c (1, B, {weights.hidden_size})}})"
    )
