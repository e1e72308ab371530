"""One cell as an ONNX model with one LSTM (or GRU) node that ONNX Runtime runs.

Graph inputs: X [T, B, I], initial_h [1, B, H] (and initial_c [1, B, H] for an
LSTM); outputs Y [T, 1, B, H], Y_h (and Y_c) [1, B, H]. The weights are
initializers W [1, 4H, I], R [1, 4H, H], B [1, 8H] = [Wb, Rb] (rows i, o, f, c) and
P [1, 3H] = [p_i, p_o, p_f] with peepholes; a GRU's are W [1, 3H, I], R [1, 3H, H],
B [1, 6H] (rows z, r, h). The cell's options become the node's attributes: clip,
activations, input_forget, linear_before_reset.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Mapping

import numpy as np

from .cell_options import implied_options
from .extras import import_optional
from .gru import GRUWeights
from .layouts import ONNX_GRU_ORDER, ONNX_ORDER, input_part, recurrent_part, stack_blocks
from .model import LSTMWeights
from .onnx_lstm import PEEPHOLE_ORDER

OPSET = 17  # LSTM-14 and GRU-14 semantics; old enough for every recent ONNX Runtime
IR_VERSION = 8
ACTIVATION_NAMES = {"sigmoid": "Sigmoid", "hard_sigmoid": "HardSigmoid", "tanh": "Tanh", "relu": "Relu",
                    "softsign": "Softsign"}  # fmt: skip


def write_onnx(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """Two stored biases (PyTorch's b_ih, b_hh) become Wb and Rb as they were; one bias becomes Wb, Rb = 0."""
    onnx = import_optional("onnx", "writing ONNX models")
    from onnx import TensorProto, helper, numpy_helper

    options = implied_options(weights)
    gru = isinstance(weights, GRUWeights)
    arrays = _gru_arrays(weights, bias_parts) if gru else _lstm_arrays(weights, bias_parts, options)
    H, I = weights.hidden_size, weights.input_size
    state = ["initial_h"] if gru else ["initial_h", "initial_c"]
    outputs = ["Y", "Y_h"] if gru else ["Y", "Y_h", "Y_c"]
    peephole_input = ["P"] if "P" in arrays else []
    node = helper.make_node(
        "GRU" if gru else "LSTM", ["X", "W", "R", "B", "", *state, *peephole_input], outputs,
        name="gru" if gru else "lstm", hidden_size=H, direction="forward", **_attributes(options, gru),
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


def _lstm_arrays(weights: LSTMWeights, bias_parts: Mapping | None, options: dict) -> dict[str, np.ndarray]:
    if bias_parts is None:
        bias_parts = {"Wb": weights.b, "Rb": {gate: np.zeros_like(b) for gate, b in weights.b.items()}}
    input_bias, recurrent_bias = (dict(part) for part in bias_parts.values())
    inputs, recurrent = input_part(weights), recurrent_part(weights)
    if options.get("variant") == "cifg":
        # ONNX's input_forget computes i from the input gate's rows and sets f = 1 - i: lstm-trace's
        # f = σ(a) with i = 1 - f is that cell when ONNX's input rows are the negated forget rows.
        for blocks in (inputs, recurrent, input_bias, recurrent_bias):
            blocks["input"] = -blocks["forget"]
    arrays = {
        "W": stack_blocks(inputs, ONNX_ORDER)[None],  # (1, 4H, I)
        "R": stack_blocks(recurrent, ONNX_ORDER)[None],  # (1, 4H, H)
        "B": np.concatenate([stack_blocks(input_bias, ONNX_ORDER), stack_blocks(recurrent_bias, ONNX_ORDER)])[None],
    }
    if weights.peepholes is not None and options.get("variant") == "peephole":
        arrays["P"] = stack_blocks(weights.peepholes, PEEPHOLE_ORDER)[None]  # (1, 3H) = [p_i, p_o, p_f]
    return arrays


def _gru_arrays(weights: GRUWeights, bias_parts: Mapping | None) -> dict[str, np.ndarray]:
    """B = [Wb, Rb]: r and z's bias in Wb (or as stored), the new state's b_in in Wb and b_hn in Rb."""
    if bias_parts is None:
        zeros = np.zeros_like(weights.b_hn)
        bias_parts = {"Wb": weights.b, "Rb": {"reset": zeros, "update": zeros, "new": weights.b_hn}}
    input_bias, recurrent_bias = bias_parts.values()
    return {
        "W": stack_blocks(input_part(weights), ONNX_GRU_ORDER)[None],  # (1, 3H, I)
        "R": stack_blocks(recurrent_part(weights), ONNX_GRU_ORDER)[None],  # (1, 3H, H)
        "B": np.concatenate([stack_blocks(input_bias, ONNX_GRU_ORDER), stack_blocks(recurrent_bias, ONNX_GRU_ORDER)])[
            None
        ],
    }


def _attributes(options: dict, gru: bool) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if "preact_clip" in options:
        attributes["clip"] = float(options["preact_clip"])
    if "gate_activation" in options or "cell_activation" in options:
        gate = ACTIVATION_NAMES[options.get("gate_activation", "sigmoid")]
        cell = ACTIVATION_NAMES[options.get("cell_activation", "tanh")]
        attributes["activations"] = [gate, cell] if gru else [gate, cell, cell]  # f, g (, h)
    if gru:
        attributes["linear_before_reset"] = 0 if options.get("gru_reset_before") else 1
    elif options.get("variant") == "cifg":
        attributes["input_forget"] = 1
    return attributes


def onnx_usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    H = weights.hidden_size
    state = f"'initial_h': h (1, B, {H})"
    if not isinstance(weights, GRUWeights):
        state += f", 'initial_c': c (1, B, {H})"
    return f"onnxruntime.InferenceSession({file_name!r}).run(None, {{'X': x (T, B, {weights.input_size}), {state}}})"
