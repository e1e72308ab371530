"""The forward step of every cell against independent implementations: torch.nn.LSTMCell, nn.GRUCell,
nn.LSTM (with proj_size) and nn.GRU, and ONNX Runtime's LSTM and GRU operators. Always H ≠ I but for one size.

PyTorch is run in float64 (tolerance 1e-10) and in float32 (1e-5); ONNX Runtime computes in float32 (1e-5).
The sequence checks loop `cell_step`, the entry point a sequence command calls, and compare with the
framework's own sequence layer.
"""

from __future__ import annotations

import numpy as np
import pytest
from frameworks import LazyImport

from lstm_trace import GRU, LSTM, LSTMWeights
from lstm_trace.cells.step import cell_step
from lstm_trace.io.scenarios import preset_weights
from lstm_trace.weights.presets import gru_preset, lstm_preset

torch = LazyImport("torch")
onnxruntime = LazyImport("onnxruntime")
TensorProto = LazyImport("onnx", "TensorProto")
helper = LazyImport("onnx.helper")

pytestmark = pytest.mark.framework

SIZES = [(3, 5), (7, 2), (1, 4), (12, 9)]  # (H, I), H ≠ I
TORCH_ORDER = {"lstm": ("input", "forget", "candidate", "output"),  # PyTorch stacks LSTM rows as i, f, g, o
               "gru": ("reset", "update", "new")}  # and GRU rows as r, z, n  # fmt: skip
ONNX_LSTM_ORDER = ("input", "output", "forget", "candidate")  # ONNX stacks LSTM gates as i, o, f, c
ONNX_GRU_ORDER = ("update", "reset", "new")  # and GRU blocks as z, r, h
DTYPES = [("float64", 1e-10), ("float32", 1e-5)]


# --- PyTorch ----------------------------------------------------------------------------------------


def torch_parameters(weights, kind: str) -> dict[str, np.ndarray]:
    """weight_ih, weight_hh, bias_ih, bias_hh (and weight_hr) of torch's LSTM or GRU holding `weights`."""
    P = weights.h_size  # the length of h: P with a projection, else H
    W = np.vstack([weights.W[g] for g in TORCH_ORDER[kind]])  # columns [h | x]
    parameters = {
        "weight_ih": W[:, P:],
        "weight_hh": W[:, :P],
        "bias_ih": np.concatenate([weights.b[g] for g in TORCH_ORDER[kind]]),
        # an LSTM's gates have one summed bias; a GRU's n keeps its hidden-side b_hn inside r ⊙ (...)
        "bias_hh": np.zeros(4 * weights.hidden_size) if kind == "lstm" else
                   np.concatenate([np.zeros(2 * weights.hidden_size), weights.b_hn]),
    }  # fmt: skip
    if getattr(weights, "projection", None) is not None:
        parameters["weight_hr"] = weights.projection
    return parameters


def torch_module(module, weights, kind: str, dtype: str, suffix: str = ""):
    """`module` (a cell, or a layer with suffix "_l0") with its parameters set to `weights`, in `dtype`."""
    module = module.to(getattr(torch, dtype))
    with torch.no_grad():
        for name, value in torch_parameters(weights, kind).items():
            getattr(module, name + suffix).copy_(torch.from_numpy(np.asarray(value, dtype=dtype)))
    return module


TORCH_CELLS = {"lstm": LSTM(), "gru": GRU()}


@pytest.mark.parametrize("H, I", [(1, 1), (3, 7), (8, 2), (5, 5), (17, 11), *SIZES])
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("name", TORCH_CELLS)
def test_a_step_matches_torch_cell(name, dtype, tolerance, H, I):
    """torch.nn.LSTMCell, or nn.GRUCell (PyTorch's reset convention)."""
    cell = TORCH_CELLS[name]
    rng = np.random.default_rng(H * 100 + I)
    weights = preset_weights(cell, "random", H, I, seed=H).astype(dtype)
    x, h, c = rng.normal(size=I), rng.normal(size=H), rng.normal(size=H)
    kind = cell.variant
    step = cell_step(weights, x, h, c if cell.has_cell_state else None, cell)
    assert step.h.dtype == np.dtype(dtype)
    module = torch_module({"lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](I, H), weights, kind, dtype)
    with torch.no_grad():
        t = lambda v: torch.from_numpy(np.asarray(v, dtype=dtype))[None]  # noqa: E731
        if cell.has_cell_state:
            h_ref, c_ref = module(t(x), (t(h), t(c)))
        else:
            h_ref, c_ref = module(t(x), t(h)), None
    np.testing.assert_allclose(step.h, h_ref[0].numpy(), rtol=0, atol=tolerance)
    if c_ref is not None:
        np.testing.assert_allclose(step.c, c_ref[0].numpy(), rtol=0, atol=tolerance)


# Each cell given (H, P, I): P sizes the projection, where the cell has one.
SEQUENCE_CELLS = {"lstm": lambda P: LSTM(), "projection": lambda P: LSTM(proj_size=P), "gru": lambda P: GRU()}


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("H, P, I", [(5, 2, 3), (8, 7, 2), (4, 1, 6), (12, 5, 9)])
@pytest.mark.parametrize("dtype, tolerance", DTYPES)
@pytest.mark.parametrize("name", SEQUENCE_CELLS)
def test_a_sequence_of_steps_matches_torchs_own_layer(name, dtype, tolerance, H, P, I):
    """nn.LSTM (with proj_size=P for the projection) or nn.GRU over five steps; the state carried by hand."""
    cell = SEQUENCE_CELLS[name](P)
    rng = np.random.default_rng(H * P * I)
    weights = preset_weights(cell, "random", H, I, seed=P).astype(dtype)
    xs, h0, c0 = rng.normal(size=(5, I)), rng.normal(size=weights.h_size), rng.normal(size=H)
    kind = cell.variant
    options = {"proj_size": cell.proj_size} if cell.proj_size else {}
    layer = torch_module({"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](I, H, **options), weights, kind, dtype, "_l0")
    with torch.no_grad():
        t = lambda v: torch.from_numpy(np.asarray(v, dtype=dtype))  # noqa: E731
        state = (t(h0)[None, None], t(c0)[None, None]) if cell.has_cell_state else t(h0)[None, None]
        outputs, last = layer(t(xs)[:, None], state)
    h, c = h0, c0 if cell.has_cell_state else None
    for step_number, x in enumerate(xs, start=1):
        step = cell_step(weights, x, h, c, cell, t=step_number)
        h, c = step.h, step.c
        assert h.shape == (weights.h_size,)
        np.testing.assert_allclose(h, outputs[step_number - 1, 0].numpy(), rtol=0, atol=tolerance)
    if cell.has_cell_state:
        assert c.shape == (H,)
        np.testing.assert_allclose(c, last[1][0, 0].numpy(), rtol=0, atol=tolerance)


# --- ONNX Runtime -----------------------------------------------------------------------------------


def run_onnx(op: str, feeds: dict, hidden_size: int, **attributes) -> list[np.ndarray]:
    names = ["X", "W", "R", "B", "", "h0"] + (["c0", "P"] if op == "LSTM" else [])
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(feeds[n].shape)) for n in names if n]
    outputs = ["Y", "Y_h"] + (["Y_c"] if op == "LSTM" else [])
    node = helper.make_node(op, names, outputs, hidden_size=hidden_size, **attributes)
    graph = helper.make_graph(
        [node], "cell", inputs, [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in outputs]
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return [out.reshape(-1) for out in session.run(None, {k: v for k, v in feeds.items() if k in names})]


def onnx_lstm(weights, x, h, c, input_forget=False, **attributes):
    """ONNX Runtime's LSTM on our weights: W holds the x columns, R the h columns, gates i, o, f, c.

    With input_forget=1 ONNX Runtime computes i from W_i and sets f = 1 − i; our cifg computes f
    from W_f and sets i = 1 − f. The two agree when ONNX's input block is the negated forget block,
    because 1 − σ(a) = σ(−a) (and likewise for hard σ): ONNX's i is then our 1 − f, its f our f.
    """
    H = weights.hidden_size
    W, b = dict(weights.W), dict(weights.b)
    peep = (
        dict(weights.peepholes)
        if weights.peepholes is not None
        else {g: np.zeros(H) for g in ("forget", "input", "output")}
    )
    if input_forget:
        W["input"], b["input"] = -W["forget"], -b["forget"]
        W["forget"] = np.full_like(W["forget"], 123.0)  # never read with input_forget=1
    f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
    feeds = {
        "X": f32(x).reshape(1, 1, -1),
        "W": f32(np.vstack([W[g][:, H:] for g in ONNX_LSTM_ORDER]))[None],
        "R": f32(np.vstack([W[g][:, :H] for g in ONNX_LSTM_ORDER]))[None],
        "B": f32(np.concatenate([*(b[g] for g in ONNX_LSTM_ORDER), np.zeros(4 * H)]))[None],
        "h0": f32(h).reshape(1, 1, -1),
        "c0": f32(c).reshape(1, 1, -1),
        "P": f32(np.concatenate([peep["input"], peep["output"], peep["forget"]]))[None],
    }
    _, h_new, c_new = run_onnx("LSTM", feeds, H, input_forget=int(input_forget), **attributes)
    return h_new, c_new


# The LSTM's options as ONNX node attributes.
ONNX_LSTM_CELLS = {
    "peephole": (LSTM(peephole=True), {}),
    "cifg": (LSTM(cifg=True), {}),
    "preact-clip": (LSTM(preact_clip=0.4), {"clip": 0.4}),
    "peephole+clip": (LSTM(peephole=True, preact_clip=1.5), {"clip": 1.5}),
    "cifg+clip": (LSTM(cifg=True, preact_clip=0.7), {"clip": 0.7}),
    "hard-sigmoid": (LSTM(gate_activation="hard_sigmoid"), {"activations": ["HardSigmoid", "Tanh", "Tanh"]}),
    "relu": (LSTM(cell_activation="relu"), {"activations": ["Sigmoid", "Relu", "Relu"]}),
    "peephole+softsign": (LSTM(peephole=True, cell_activation="softsign"),
                          {"activations": ["Sigmoid", "Softsign", "Softsign"]}),
    "cifg+hard-sigmoid": (LSTM(cifg=True, gate_activation="hard_sigmoid"),
                          {"activations": ["HardSigmoid", "Tanh", "Tanh"]}),
}  # fmt: skip


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("name", ONNX_LSTM_CELLS)
def test_an_lstm_with_options_matches_onnx_runtime(name, H, I):
    cell, attributes = ONNX_LSTM_CELLS[name]
    rng = np.random.default_rng(H * 31 + I)
    weights = lstm_preset("random", H, I, seed=H + I, peepholes=cell.variant == "peephole")
    # Random peepholes and biases drawn larger than PyTorch's init, so the terms matter and clips bite.
    weights = LSTMWeights(
        W={g: 2 * w for g, w in weights.W.items()},
        b={g: 3 * v for g, v in weights.b.items()},
        provenance=weights.provenance,
        peepholes=None if weights.peepholes is None else {g: 4 * p for g, p in weights.peepholes.items()},
    )
    x, h, c = rng.normal(size=I), rng.normal(size=H), rng.normal(size=H) * 2
    step = cell_step(weights.astype("float32"), x, h, c, cell)
    h_ref, c_ref = onnx_lstm(weights, x, h, c, input_forget=cell.variant == "cifg", **attributes)
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-5)
    plain = cell_step(weights.astype("float32"), x, h, c, LSTM())
    assert np.abs(plain.h - step.h).max() > 1e-5  # the option really changed the numbers


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("reset_before", [False, True], ids=["gru", "gru-reset-before"])
def test_a_gru_matches_onnx_runtime_in_both_reset_conventions(H, I, reset_before):
    """ONNX's linear_before_reset=1 is PyTorch's convention, =0 the original (reset before W_hn)."""
    rng = np.random.default_rng(H * 7 + I)
    weights = gru_preset("random", H, I, seed=H)
    x, h = rng.normal(size=I), rng.normal(size=H)
    f32 = lambda a: np.asarray(a, np.float32)  # noqa: E731
    feeds = {
        "X": f32(x).reshape(1, 1, -1),
        "W": f32(np.vstack([weights.W[g][:, H:] for g in ONNX_GRU_ORDER]))[None],
        "R": f32(np.vstack([weights.W[g][:, :H] for g in ONNX_GRU_ORDER]))[None],
        "B": f32(np.concatenate([*(weights.b[g] for g in ONNX_GRU_ORDER), np.zeros(2 * H), weights.b_hn]))[None],
        "h0": f32(h).reshape(1, 1, -1),
    }
    _, h_ref = run_onnx("GRU", feeds, H, linear_before_reset=int(not reset_before))
    step = cell_step(weights.astype("float32"), x, h, cell=GRU(reset_before=reset_before))
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-5)
