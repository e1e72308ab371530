"""ONNX LSTM nodes: every cell lstm-trace reads computes what ONNX Runtime computes.

The nodes whose attributes make a variant (P, clip, input_forget, activations) and GRU nodes are
in test_weights_onnx_variants.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framework_models import SIZES, TOLERANCE, onnx_lstm_model, ort_run, step_inputs, traced
from frameworks import LazyImport
from lstm_trace.weights import read_weight_cells, read_weights_file

onnx = LazyImport("onnx")
onnxruntime = LazyImport("onnxruntime")
torch = LazyImport("torch")

pytestmark = pytest.mark.framework


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("H, I", SIZES)
def test_forward_lstm_node_matches_onnx_runtime(tmp_path, H, I):
    path = save(onnx_lstm_model(H, I, seed=H), tmp_path / "lstm.onnx")
    x, h, c = step_inputs(H, I, seed=H)
    expected_h, expected_c = ort_run(path, x[None], h[None], c[None])
    weights = read_weights_file(path)
    h_t, c_t = traced(weights, x, h, c)
    np.testing.assert_allclose(h_t, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c[0], atol=TOLERANCE, rtol=0)
    provenance = weights.provenance
    assert provenance["framework"] == "ONNX" and provenance["layer_name"] == "encoder_lstm"
    assert provenance["mapping"].startswith(
        "ONNX rows 0:H -> input gate, H:2H -> output, 2H:3H -> forget, 3H:4H -> candidate"
    )
    assert "b = Wb + Rb" in provenance["mapping"]


def test_three_steps_with_the_state_carried(tmp_path):
    H, I, T = 4, 6, 3
    path = save(onnx_lstm_model(H, I, seed=3), tmp_path / "lstm.onnx")
    xs = np.random.default_rng(2).uniform(-1, 1, (T, I)).astype(np.float32)
    _, h, c = step_inputs(H, I, seed=3)
    expected_h, expected_c = ort_run(path, xs, h[None], c[None])
    weights = read_weights_file(path)
    for x in xs:
        h, c = traced(weights, x, h, c)
    np.testing.assert_allclose(h, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c, expected_c[0], atol=TOLERANCE, rtol=0)


def test_bidirectional_node_gives_a_forward_and_a_reverse_cell(tmp_path, cli):
    H, I = 5, 3
    path = save(onnx_lstm_model(H, I, seed=8, direction="bidirectional"), tmp_path / "bi.onnx")
    x, _, _ = step_inputs(H, I, seed=8)
    rng = np.random.default_rng(1)
    h0, c0 = rng.uniform(-1, 1, (2, H)).astype(np.float32), rng.uniform(-1, 1, (2, H)).astype(np.float32)
    expected_h, expected_c = ort_run(path, x[None], h0, c0)
    weights_file = read_weight_cells(path)
    assert sorted(weights_file.cells) == [(0, "forward"), (0, "reverse")]
    for d, direction in enumerate(("forward", "reverse")):
        h_t, c_t = traced(weights_file.cells[(0, direction)], x, h0[d], c0[d])
        np.testing.assert_allclose(h_t, expected_h[d], atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(c_t, expected_c[d], atol=TOLERANCE, rtol=0)

    as_text = lambda v: ",".join(repr(float(e)) for e in v)  # noqa: E731
    result = cli("step", "--weights", str(path), "--direction", "reverse", "--x", as_text(x),
                 "--h", as_text(h0[1]), "--c", as_text(c0[1]), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    trace = json.loads(result.output)
    np.testing.assert_allclose(trace["steps"][0]["h"], expected_h[1], atol=TOLERANCE, rtol=0)
    assert trace["weights"]["direction"] == "reverse" and trace["weights"]["framework"] == "ONNX"


def test_default_activations_written_out_are_fine(tmp_path):
    model = onnx_lstm_model(3, 2, seed=1, activations=["Sigmoid", "Tanh", "Tanh"])
    weights = read_weights_file(save(model, tmp_path / "explicit.onnx"))
    assert weights.hidden_size == 3 and "cell_options" not in weights.provenance  # the plain cell


def test_inspect_shows_both_onnx_biases(tmp_path, cli):
    model = onnx_lstm_model(2, 3, seed=5)
    path = save(model, tmp_path / "m.onnx")
    B = onnx.numpy_helper.to_array(next(t for t in model.graph.initializer if t.name == "B"))[0]
    result = cli("weights", "inspect", str(path), "--precision", "6")
    assert result.exit_code == 0, result.output
    assert "gate order: i, o, f, c" in result.output
    forget_row = next(line for line in result.output.splitlines() if line.startswith("forget (b_f)"))
    # ONNX's third row block (4:6 for H = 2) is the forget gate; Wb is B[:8], Rb is B[8:].
    expected = [B[4], B[8 + 4], np.float64(B[4]) + np.float64(B[8 + 4])]
    assert forget_row.split()[-3:] == [f"{v:.6f}" for v in expected]


def test_lstm_exported_by_torch_onnx_export(tmp_path):
    """A model exported from PyTorch: the reader sees torch's weights, reordered by the exporter to i, o, f, c."""
    import warnings

    from framework_models import torch_lstm, torch_run

    H, I = 6, 4
    lstm = torch_lstm(H, I, seed=12)
    x, h, c = step_inputs(H, I, seed=12)
    path = tmp_path / "exported.onnx"
    example = (torch.from_numpy(x[None, None]), (torch.from_numpy(h[None, None]), torch.from_numpy(c[None, None])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's advice about batch sizes
        torch.onnx.export(lstm, example, path, dynamo=False, input_names=["x", "h0", "c0"])
    expected_h, expected_c = torch_run(lstm, x[None], h[None], c[None])
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    _, onnx_h, onnx_c = session.run(None, {"x": x[None, None], "h0": h[None, None], "c0": c[None, None]})
    np.testing.assert_allclose(onnx_h[0, 0], expected_h[0], atol=TOLERANCE, rtol=0)  # the export itself is right

    h_t, c_t = traced(read_weights_file(path), x, h, c)
    np.testing.assert_allclose(h_t, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c[0], atol=TOLERANCE, rtol=0)
