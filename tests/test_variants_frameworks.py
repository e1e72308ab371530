"""The variants against independent implementations: ONNX Runtime's LSTM and GRU operators,
torch.nn.GRUCell / nn.GRU and torch.nn.LSTM(proj_size=P). Random sizes, always H ≠ I.

ONNX Runtime computes in float32 (tolerance 1e-5); PyTorch is run in float64 (1e-10)
and in float32 (1e-5). Multi-step checks loop `cell_step`, the entry point a
sequence command calls, and compare with the framework's own sequence layer.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import LSTMWeights
from lstm_trace.weights.presets import gru_preset, lstm_preset

pytestmark = pytest.mark.framework

SIZES = [(3, 5), (7, 2), (1, 4), (12, 9)]  # (H, I), H ≠ I
ONNX_LSTM_ORDER = ("input", "output", "forget", "candidate")  # ONNX stacks LSTM gates as i, o, f, c
ONNX_GRU_ORDER = ("update", "reset", "new")  # and GRU blocks as z, r, h
TORCH_LSTM_ORDER = ("input", "forget", "candidate", "output")  # PyTorch: i, f, g, o
TORCH_GRU_ORDER = ("reset", "update", "new")  # PyTorch: r, z, n


def _run_onnx(op: str, feeds: dict, hidden_size: int, **attributes) -> list[np.ndarray]:
    import onnxruntime
    from onnx import TensorProto, helper

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


def _onnx_lstm(weights, x, h, c, input_forget=False, **attributes):
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
    _, h_new, c_new = _run_onnx("LSTM", feeds, H, input_forget=int(input_forget), **attributes)
    return h_new, c_new


def _inputs(rng, H, I, h_size=None):
    return rng.normal(size=I), rng.normal(size=h_size or H), rng.normal(size=H) * 2


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize(
    "cell, attributes",
    [
        (CellOptions(variant="peephole"), {}),
        (CellOptions(variant="cifg"), {}),
        (CellOptions(preact_clip=0.4), {"clip": 0.4}),
        (CellOptions(variant="peephole", preact_clip=1.5), {"clip": 1.5}),
        (CellOptions(variant="cifg", preact_clip=0.7), {"clip": 0.7}),
        (CellOptions(gate_activation="hard_sigmoid"), {"activations": ["HardSigmoid", "Tanh", "Tanh"]}),
        (CellOptions(cell_activation="relu"), {"activations": ["Sigmoid", "Relu", "Relu"]}),
        (
            CellOptions(variant="peephole", cell_activation="softsign"),
            {"activations": ["Sigmoid", "Softsign", "Softsign"]},
        ),
        (CellOptions(variant="cifg", gate_activation="hard_sigmoid"), {"activations": ["HardSigmoid", "Tanh", "Tanh"]}),
    ],
    ids=[
        "peephole",
        "cifg",
        "preact-clip",
        "peephole+clip",
        "cifg+clip",
        "hard-sigmoid",
        "relu",
        "peephole+softsign",
        "cifg+hard-sigmoid",
    ],
)
def test_lstm_variants_match_onnx_runtime(H, I, cell, attributes):
    rng = np.random.default_rng(H * 31 + I)
    weights = lstm_preset("random", H, I, seed=H + I, peepholes=cell.variant == "peephole")
    # Random peepholes and biases drawn larger than PyTorch's init, so the terms matter and clips bite.
    weights = LSTMWeights(
        W={g: 2 * w for g, w in weights.W.items()},
        b={g: 3 * v for g, v in weights.b.items()},
        provenance=weights.provenance,
        peepholes=None if weights.peepholes is None else {g: 4 * p for g, p in weights.peepholes.items()},
    )
    x, h, c = _inputs(rng, H, I)
    step = cell_step(weights.astype("float32"), x, h, c, cell)
    h_ref, c_ref = _onnx_lstm(weights, x, h, c, input_forget=cell.variant == "cifg", **attributes)
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-5)
    plain = cell_step(weights.astype("float32"), x, h, c, CellOptions())
    assert np.abs(plain.h - step.h).max() > 1e-5  # the variant really changed the numbers


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("reset_before", [False, True])
def test_gru_matches_onnx_runtime_both_reset_conventions(H, I, reset_before):
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
    _, h_ref = _run_onnx("GRU", feeds, H, linear_before_reset=int(not reset_before))
    step = cell_step(weights.astype("float32"), x, h, cell=CellOptions(variant="gru", gru_reset_before=reset_before))
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-5)


def _torch_gru_cell(weights, dtype):
    import torch

    H, I = weights.hidden_size, weights.input_size
    cell = torch.nn.GRUCell(I, H).to(getattr(torch, dtype))
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(np.vstack([weights.W[g][:, H:] for g in TORCH_GRU_ORDER])))
        cell.weight_hh.copy_(torch.from_numpy(np.vstack([weights.W[g][:, :H] for g in TORCH_GRU_ORDER])))
        cell.bias_ih.copy_(torch.from_numpy(np.concatenate([weights.b[g] for g in TORCH_GRU_ORDER])))
        # r and z have one summed bias here; n's hidden-side bias b_hn must stay inside r ⊙ (...).
        cell.bias_hh.copy_(torch.from_numpy(np.concatenate([np.zeros(2 * H), weights.b_hn])))
    return cell


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 1e-5)])
def test_gru_matches_torch_gru_cell(H, I, dtype, tolerance):
    import torch

    rng = np.random.default_rng(H + 100 * I)
    weights = gru_preset("random", H, I, seed=I).astype(dtype)
    x, h = rng.normal(size=I), rng.normal(size=H)
    step = cell_step(weights, x, h, cell=CellOptions(variant="gru"))
    with torch.no_grad():
        t = lambda v: torch.from_numpy(np.asarray(v, dtype=dtype))[None]  # noqa: E731
        h_ref = _torch_gru_cell(weights, dtype)(t(x), t(h))[0].numpy()
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=tolerance)


@pytest.mark.parametrize("H, I", SIZES)
def test_gru_sequence_matches_torch_nn_gru(H, I):
    import torch

    rng = np.random.default_rng(H * I)
    weights = gru_preset("random", H, I, seed=3)
    xs, h0 = rng.normal(size=(6, I)), rng.normal(size=H)
    layer = torch.nn.GRU(I, H).double()
    reference_cell = _torch_gru_cell(weights, "float64")
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(layer, f"{name}_l0").copy_(getattr(reference_cell, name))
        outputs, _ = layer(torch.from_numpy(xs)[:, None], torch.from_numpy(h0)[None, None])
    h = h0
    for t, x in enumerate(xs, start=1):
        h = cell_step(weights, x, h, cell=CellOptions(variant="gru"), t=t).h
        np.testing.assert_allclose(h, outputs[t - 1, 0].numpy(), rtol=0, atol=1e-10)


def _torch_proj_lstm(weights, dtype):
    import torch

    H, P, I = weights.hidden_size, weights.h_size, weights.input_size
    layer = torch.nn.LSTM(I, H, proj_size=P).to(getattr(torch, dtype))
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.from_numpy(np.vstack([weights.W[g][:, P:] for g in TORCH_LSTM_ORDER])))
        layer.weight_hh_l0.copy_(torch.from_numpy(np.vstack([weights.W[g][:, :P] for g in TORCH_LSTM_ORDER])))
        layer.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([weights.b[g] for g in TORCH_LSTM_ORDER])))
        layer.bias_hh_l0.zero_()
        layer.weight_hr_l0.copy_(torch.from_numpy(weights.projection))
    return layer


@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("H, P, I", [(5, 2, 3), (8, 7, 2), (4, 1, 6), (12, 5, 9)])
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-10), ("float32", 1e-5)])
def test_projection_matches_torch_lstm_proj_size_over_a_sequence(H, P, I, dtype, tolerance):
    import torch

    rng = np.random.default_rng(H * P * I)
    weights = lstm_preset("random", H, I, seed=P, proj_size=P).astype(dtype)
    xs, h0, c0 = rng.normal(size=(5, I)), rng.normal(size=P), rng.normal(size=H)
    with torch.no_grad():
        t = lambda v: torch.from_numpy(np.asarray(v, dtype=dtype))  # noqa: E731
        outputs, (h_n, c_n) = _torch_proj_lstm(weights, dtype)(t(xs)[:, None], (t(h0)[None, None], t(c0)[None, None]))
    h, c = h0, c0
    for step_number, x in enumerate(xs, start=1):
        step = cell_step(weights, x, h, c, CellOptions(proj_size=P), t=step_number)
        h, c = step.h, step.c
        assert h.shape == (P,) and c.shape == (H,)
        np.testing.assert_allclose(h, outputs[step_number - 1, 0].numpy(), rtol=0, atol=tolerance)
    np.testing.assert_allclose(c, c_n[0, 0].numpy(), rtol=0, atol=tolerance)
