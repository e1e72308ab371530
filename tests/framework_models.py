"""Real framework models for the weights tests: built with fixed seeds, run by their own framework.

Every reference number in the weights tests comes from here: PyTorch's nn.LSTM /
nn.LSTMCell, Keras 3's LSTM layer (torch backend), or ONNX Runtime running an
ONNX LSTM node. lstm-trace's numbers come from `lstm_step` on the loaded weights.
"""

from __future__ import annotations

import os

# Keras 3 picks its backend when first imported; these tests run it on PyTorch.
os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
from frameworks import LazyImport  # noqa: E402

from lstm_trace.cells.lstm import lstm_step  # noqa: E402

torch = LazyImport("torch")
keras = LazyImport("keras")
onnxruntime = LazyImport("onnxruntime")
TensorProto = LazyImport("onnx", "TensorProto")
helper = LazyImport("onnx.helper")
numpy_helper = LazyImport("onnx.numpy_helper")

SIZES = [(3, 5), (7, 2), (16, 9)]  # (H, I), never H == I, so a swapped block cannot fit
TOLERANCE = 1e-5  # float32 frameworks against lstm-trace


def step_inputs(hidden_size: int, input_size: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (I,), h_prev (H,), c_prev (H,): float32 values in (-1, 1), non-zero so every weight block counts."""
    rng = np.random.default_rng(1000 + seed)
    x = rng.uniform(-1, 1, input_size).astype(np.float32)
    h = rng.uniform(-1, 1, hidden_size).astype(np.float32)
    c = rng.uniform(-1, 1, hidden_size).astype(np.float32)
    return x, h, c


def traced(weights, x, h, c) -> tuple[np.ndarray, np.ndarray]:
    """lstm-trace's h_t and C_t for one step."""
    step = lstm_step(weights, x, h, c)
    return step.h, step.c


# --- PyTorch -------------------------------------------------------------------------------


def torch_lstm(hidden_size: int, input_size: int, seed: int, **options):
    torch.manual_seed(seed)
    return torch.nn.LSTM(input_size, hidden_size, **options)


def torch_run(lstm, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """nn.LSTM on a (T, I) sequence with state (L·D, H): returns h_n, c_n as (L·D, H)."""
    with torch.no_grad():
        _, (h_n, c_n) = lstm(
            torch.from_numpy(xs[:, None, :]),
            (torch.from_numpy(h0[:, None, :]), torch.from_numpy(c0[:, None, :])),
        )
    return h_n[:, 0].numpy(), c_n[:, 0].numpy()


def torch_cell_run(cell, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    with torch.no_grad():
        h_new, c_new = cell(torch.from_numpy(x[None]), (torch.from_numpy(h[None]), torch.from_numpy(c[None])))
    return h_new[0].numpy(), c_new[0].numpy()


# --- Keras ---------------------------------------------------------------------------------


def keras_lstm_layer(hidden_size: int, seed: int, **options):
    """An LSTM layer with seeded random kernels and a random (not zero) bias."""
    return keras.layers.LSTM(
        hidden_size,
        kernel_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed),
        recurrent_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed + 1),
        bias_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed + 2),
        **options,
    )


def keras_state_model(hidden_size: int, input_size: int, seed: int):
    """inputs (x, h0, c0) -> (h_t, C_t): a functional model around one LSTM layer."""
    xs = keras.Input((None, input_size))
    h0, c0 = keras.Input((hidden_size,)), keras.Input((hidden_size,))
    layer = keras_lstm_layer(hidden_size, seed, return_state=True)
    _, h, c = layer(xs, initial_state=[h0, c0])
    return keras.Model([xs, h0, c0], [h, c])


def keras_run(model, x: np.ndarray, h: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h_new, c_new = model([x[None, None, :], h[None], c[None]])
    return keras.ops.convert_to_numpy(h_new)[0], keras.ops.convert_to_numpy(c_new)[0]


def keras_sequential(steps: int, hidden_size: int, input_size: int):
    """The model the issue names: keras.Sequential([keras.Input((T, I)), keras.layers.LSTM(H)])."""
    return keras.Sequential([keras.Input((steps, input_size)), keras.layers.LSTM(hidden_size)])


def keras_run_with_weights_of(sequential, x, h, c) -> tuple[np.ndarray, np.ndarray]:
    """Run the Sequential's LSTM weights from state (h, c) through a twin layer that returns its state."""
    model = keras_state_model(sequential.layers[0].units, x.shape[0], seed=0)
    model.layers[-1].set_weights(sequential.layers[0].get_weights())
    return keras_run(model, x, h, c)


# --- ONNX ----------------------------------------------------------------------------------


def onnx_lstm_model(
    hidden_size: int,
    input_size: int,
    seed: int,
    direction: str = "forward",
    peephole: bool = False,
    **attributes,
):
    """An ONNX model with one LSTM node: random W, R, B (and P) initializers; inputs X, initial_h, initial_c."""
    H, I, D = hidden_size, input_size, 2 if direction == "bidirectional" else 1
    rng = np.random.default_rng(seed)
    stored = {
        "W": rng.uniform(-0.5, 0.5, (D, 4 * H, I)),
        "R": rng.uniform(-0.5, 0.5, (D, 4 * H, H)),
        "B": rng.uniform(-0.5, 0.5, (D, 8 * H)),
    }
    if peephole:
        stored["P"] = rng.uniform(-0.5, 0.5, (D, 3 * H))
    node = helper.make_node(
        "LSTM",
        ["X", "W", "R", "B", "", "initial_h", "initial_c"] + (["P"] if peephole else []),
        ["Y", "Y_h", "Y_c"],
        name="encoder_lstm",
        hidden_size=H,
        direction=direction,
        **attributes,
    )
    floats = TensorProto.FLOAT
    graph = helper.make_graph(
        [node],
        "test_lstm",
        inputs=[
            helper.make_tensor_value_info("X", floats, ["T", 1, I]),
            helper.make_tensor_value_info("initial_h", floats, [D, 1, H]),
            helper.make_tensor_value_info("initial_c", floats, [D, 1, H]),
        ],
        outputs=[
            helper.make_tensor_value_info("Y", floats, ["T", D, 1, H]),
            helper.make_tensor_value_info("Y_h", floats, [D, 1, H]),
            helper.make_tensor_value_info("Y_c", floats, [D, 1, H]),
        ],
        initializer=[numpy_helper.from_array(v.astype(np.float32), k) for k, v in stored.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def ort_run(path, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ONNX Runtime on a (T, I) sequence with state (D, H): returns Y_h, Y_c as (D, H)."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _, y_h, y_c = session.run(None, {"X": xs[:, None, :], "initial_h": h0[:, None, :], "initial_c": c0[:, None, :]})
    return y_h[:, 0], y_c[:, 0]


def one_line(text: str) -> str:
    """Terminal output with its wrapping undone, to look for whole sentences."""
    return " ".join(text.replace("│", " ").split())


def onnx_gru_model(hidden_size: int, input_size: int, seed: int, direction: str = "forward", **attributes):
    """An ONNX model with one GRU node: random W, R, B initializers; inputs X, initial_h."""
    H, I, D = hidden_size, input_size, 2 if direction == "bidirectional" else 1
    rng = np.random.default_rng(seed)
    stored = {
        "W": rng.uniform(-0.5, 0.5, (D, 3 * H, I)),
        "R": rng.uniform(-0.5, 0.5, (D, 3 * H, H)),
        "B": rng.uniform(-0.5, 0.5, (D, 6 * H)),
    }
    node = helper.make_node(
        "GRU", ["X", "W", "R", "B", "", "initial_h"], ["Y", "Y_h"], name="encoder_gru", hidden_size=H,
        direction=direction, **attributes,
    )  # fmt: skip
    floats = TensorProto.FLOAT
    graph = helper.make_graph(
        [node],
        "test_gru",
        inputs=[
            helper.make_tensor_value_info("X", floats, ["T", 1, I]),
            helper.make_tensor_value_info("initial_h", floats, [D, 1, H]),
        ],
        outputs=[
            helper.make_tensor_value_info("Y", floats, ["T", D, 1, H]),
            helper.make_tensor_value_info("Y_h", floats, [D, 1, H]),
        ],
        initializer=[numpy_helper.from_array(v.astype(np.float32), k) for k, v in stored.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def ort_run_gru(path, xs: np.ndarray, h0: np.ndarray) -> np.ndarray:
    """ONNX Runtime's GRU on a (T, I) sequence from state (D, H): returns Y_h as (D, H)."""
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _, y_h = session.run(None, {"X": xs[:, None, :], "initial_h": h0[:, None, :]})
    return y_h[:, 0]


def as_text(vector) -> str:
    """A vector as --x/--h/--c take it, every float32 digit kept."""
    return ",".join(repr(float(v)) for v in vector)
