"""ONNX models with LSTM and GRU nodes: every cell lstm-trace reads is read with the cell its node's
attributes imply (P, clip, input_forget, activations, linear_before_reset) and computes what ONNX Runtime
computes (float32, 1e-5), through the Python API and through `lstm-trace step --weights m.onnx --json`.

What lstm-trace has no equivalent for (HardSigmoid with other alpha, another activation, g ≠ h,
peepholes with input_forget) is refused with a clear message rather than computed wrongly.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from framework_models import (
    SIZES,
    TOLERANCE,
    as_text,
    one_line,
    onnx_gru_model,
    onnx_lstm_model,
    ort_run,
    ort_run_gru,
    step_inputs,
    torch_lstm,
    torch_run,
    traced,
)  # fmt: skip
from frameworks import LazyImport

from lstm_trace import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.engine.inputs import cell_for_weights
from lstm_trace.weights import LayerSelection, read_weight_cells, read_weights_file

onnx = LazyImport("onnx")
onnxruntime = LazyImport("onnxruntime")
torch = LazyImport("torch")

pytestmark = pytest.mark.framework


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


# --- every node, against ONNX Runtime ------------------------------------------------------------

# The node, its attributes, the cell lstm-trace must read from it and how its mapping starts.
NODES = {
    "LSTM": (onnx_lstm_model, {}, CellOptions(),
             "ONNX rows 0:H -> input gate, H:2H -> output, 2H:3H -> forget, 3H:4H -> candidate"),
    "GRU, linear_before_reset=0": (onnx_gru_model, {"linear_before_reset": 0},
                                   CellOptions(variant="gru", gru_reset_before=True),
                                   "ONNX rows 0:H -> update gate, H:2H -> reset, 2H:3H -> new"),
    "GRU, linear_before_reset=1": (onnx_gru_model, {"linear_before_reset": 1}, CellOptions(variant="gru"),
                                   "ONNX rows 0:H -> update gate, H:2H -> reset, 2H:3H -> new"),
}  # fmt: skip


@pytest.mark.parametrize("H, I", [*SIZES, (8, 2)])
@pytest.mark.parametrize("node", NODES)
def test_a_forward_node_matches_onnx_runtime(tmp_path, node, H, I):
    make, attributes, cell, order = NODES[node]
    path = save(make(H, I, seed=H * I, **attributes), tmp_path / "node.onnx")
    x, h, c = step_inputs(H, I, seed=H)
    lstm = cell.variant != "gru"
    inputs = resolve_inputs(weights=str(path), x=x, h=h, c=c if lstm else None)  # no cell given: the file says which
    assert inputs.cell == cell
    step = trace_step(inputs).steps[0]
    if lstm:
        expected_h, expected_c = ort_run(path, x[None], h[None], c[None])
        np.testing.assert_allclose(step.c, expected_c[0], atol=TOLERANCE, rtol=0)
    else:
        expected_h = ort_run_gru(path, x[None], h[None])
        assert inputs.c_prev is None
    np.testing.assert_allclose(step.h, expected_h[0], atol=TOLERANCE, rtol=0)
    provenance = inputs.weights.provenance
    assert provenance["framework"] == "ONNX" and provenance["layer_name"] == ("encoder_lstm" if lstm else "encoder_gru")
    assert provenance["mapping"].startswith(order)
    assert ("b = Wb + Rb" if lstm else "b_z = Wb_z + Rb_z, b_r = Wb_r + Rb_r") in provenance["mapping"]


# --- LSTM nodes ---------------------------------------------------------------------------------


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


def test_lstm_exported_by_torch_onnx_export(tmp_path):
    """A model exported from PyTorch: the reader sees torch's weights, reordered by the exporter to i, o, f, c."""
    import warnings

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


# --- what an LSTM node's attributes make it compute -------------------------------------------

LSTM_CASES = {
    "peephole": ({"peephole": True}, CellOptions(variant="peephole")),
    "clip": ({"clip": 0.5}, CellOptions(preact_clip=0.5)),
    "input_forget": ({"input_forget": 1}, CellOptions(variant="cifg")),
    "hard_sigmoid": ({"activations": ["HardSigmoid", "Tanh", "Tanh"]}, CellOptions(gate_activation="hard_sigmoid")),
    "relu": ({"activations": ["Sigmoid", "Relu", "Relu"]}, CellOptions(cell_activation="relu")),
    "hard_sigmoid, defaults spelled out": (
        {"activations": ["HardSigmoid", "Tanh", "Tanh"], "activation_alpha": [0.2], "activation_beta": [0.5]},
        CellOptions(gate_activation="hard_sigmoid"),
    ),
    "peephole+clip+hard_sigmoid+softsign": (
        {"peephole": True, "clip": 0.6, "activations": ["HardSigmoid", "Softsign", "Softsign"]},
        CellOptions(variant="peephole", preact_clip=0.6, gate_activation="hard_sigmoid", cell_activation="softsign"),
    ),
    "input_forget+clip+hard_sigmoid": (
        {"input_forget": 1, "clip": 0.4, "activations": ["HardSigmoid", "Tanh", "Tanh"]},
        CellOptions(variant="cifg", preact_clip=0.4, gate_activation="hard_sigmoid"),
    ),
}


@pytest.mark.parametrize("H, I", [(3, 5), (7, 2), (16, 9)])
@pytest.mark.parametrize("case", LSTM_CASES)
def test_lstm_node_variants_match_onnx_runtime_through_the_python_api(tmp_path, case, H, I):
    attributes, cell = LSTM_CASES[case]
    path = save(onnx_lstm_model(H, I, seed=H + I, **attributes), tmp_path / "variant.onnx")
    x, h, c = step_inputs(H, I, seed=H)
    c = 3 * c  # a larger C_(t-1), so the peepholes' terms count
    expected_h, expected_c = ort_run(path, x[None], h[None], c[None])

    inputs = resolve_inputs(weights=str(path), x=x, h=h, c=c)  # no cell given: the file says which
    assert inputs.cell == cell
    step = trace_step(inputs).steps[0]
    np.testing.assert_allclose(step.h, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(step.c, expected_c[0], atol=TOLERANCE, rtol=0)
    # The same W, R, B in a plain node (P is drawn after them): the attributes really changed the numbers.
    plain_h, _ = ort_run(save(onnx_lstm_model(H, I, seed=H + I), tmp_path / "plain.onnx"), x[None], h[None], c[None])
    assert np.abs(plain_h - expected_h).max() > 1e-4, "the variant did not change the numbers"


def test_lstm_node_variants_over_a_sequence(tmp_path):
    H, I, T = 6, 4, 4
    model = onnx_lstm_model(H, I, seed=9, peephole=True, clip=0.8, activations=["HardSigmoid", "Tanh", "Tanh"])
    path = save(model, tmp_path / "seq.onnx")
    xs = np.random.default_rng(5).uniform(-1, 1, (T, I)).astype(np.float32)
    _, h, c = step_inputs(H, I, seed=9)
    expected_h, expected_c = ort_run(path, xs, h[None], c[None])
    inputs = resolve_inputs(weights=str(path), x=xs[0], h=h, c=c)
    for t, x in enumerate(xs, start=1):
        step = cell_step(inputs.weights, x, h, c, inputs.cell, t=t)
        h, c = step.h, step.c
    np.testing.assert_allclose(h, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c, expected_c[0], atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("case", ["peephole+clip+hard_sigmoid+softsign", "input_forget+clip+hard_sigmoid"])
def test_step_json_of_an_onnx_variant_matches_onnx_runtime(tmp_path, run_cli, case):
    attributes, cell = LSTM_CASES[case]
    H, I = 5, 3
    path = save(onnx_lstm_model(H, I, seed=21, **attributes), tmp_path / "m.onnx")
    x, h, c = step_inputs(H, I, seed=21)
    expected_h, expected_c = ort_run(path, x[None], h[None], c[None])
    result = run_cli("step", "--weights", str(path), "--x", as_text(x), "--h", as_text(h), "--c", as_text(c), "--json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["variant"] == cell.variant and trace["cell_options"] == cell.to_dict()
    np.testing.assert_allclose(trace["steps"][0]["h"], expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(trace["steps"][0]["c"], expected_c[0], atol=TOLERANCE, rtol=0)
    assert trace["weights"]["cell_options"] == {k: v for k, v in cell.to_dict().items() if v != getattr(CellOptions(), k)}
    if cell.variant == "cifg":  # the convention mapping is recorded where the trace says where the weights came from
        assert "input_forget = 1 -> --variant cifg with W_f = -W_i, b_f = -(Wb_i + Rb_i)" in trace["weights"]["mapping"]


def test_bidirectional_node_with_activations_per_direction(tmp_path):
    H, I = 4, 3
    activations = ["HardSigmoid", "Tanh", "Tanh", "Sigmoid", "Relu", "Relu"]  # forward's f, g, h, then reverse's
    path = save(onnx_lstm_model(H, I, seed=2, direction="bidirectional", clip=0.9, activations=activations),
                tmp_path / "bi.onnx")  # fmt: skip
    x, _, _ = step_inputs(H, I, seed=2)
    rng = np.random.default_rng(8)
    h0, c0 = rng.uniform(-1, 1, (2, H)).astype(np.float32), rng.uniform(-1, 1, (2, H)).astype(np.float32)
    expected_h, expected_c = ort_run(path, x[None], h0, c0)
    cells = {
        "forward": CellOptions(preact_clip=0.9, gate_activation="hard_sigmoid"),
        "reverse": CellOptions(preact_clip=0.9, cell_activation="relu"),
    }
    for d, direction in enumerate(("forward", "reverse")):
        inputs = resolve_inputs(weights=str(path), x=x, h=h0[d], c=c0[d], selection=LayerSelection(None, direction))
        assert inputs.cell == cells[direction]
        step = trace_step(inputs).steps[0]
        np.testing.assert_allclose(step.h, expected_h[d], atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(step.c, expected_c[d], atol=TOLERANCE, rtol=0)


# --- GRU nodes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("H, I", [(3, 5), (8, 2)])
@pytest.mark.parametrize("linear_before_reset, reset_before", [(0, True), (1, False)])
def test_gru_node_reset_convention_and_step_json(tmp_path, run_cli, H, I, linear_before_reset, reset_before):
    """ONNX Runtime's numbers need the right reset convention, and the command line finds it too."""
    path = save(onnx_gru_model(H, I, seed=H * I, linear_before_reset=linear_before_reset), tmp_path / "gru.onnx")
    x, h, _ = step_inputs(H, I, seed=I)
    expected = ort_run_gru(path, x[None], h[None])[0]
    inputs = resolve_inputs(weights=str(path), x=x, h=h)
    assert inputs.cell == CellOptions(variant="gru", gru_reset_before=reset_before) and inputs.c_prev is None
    np.testing.assert_allclose(trace_step(inputs).steps[0].h, expected, atol=TOLERANCE, rtol=0)
    other = cell_step(inputs.weights, x, h, cell=CellOptions(variant="gru", gru_reset_before=not reset_before))
    assert np.abs(other.h - expected).max() > 1e-4, "the two reset conventions should differ here"

    result = run_cli("step", "--weights", str(path), "--x", as_text(x), "--h", as_text(h), "--json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["variant"] == "gru" and trace["cell_options"]["gru_reset_before"] is reset_before
    assert "c" not in trace["steps"][0]
    np.testing.assert_allclose(trace["steps"][0]["h"], expected, atol=TOLERANCE, rtol=0)


def test_bidirectional_gru_with_clip_and_activations_over_a_sequence(tmp_path):
    H, I, T = 5, 3, 3
    model = onnx_gru_model(H, I, seed=4, direction="bidirectional", clip=0.7, linear_before_reset=1,
                           activations=["HardSigmoid", "Softsign", "Sigmoid", "Tanh"])  # fmt: skip
    path = save(model, tmp_path / "bigru.onnx")
    xs = np.random.default_rng(1).uniform(-1, 1, (T, I)).astype(np.float32)
    h0 = np.random.default_rng(2).uniform(-1, 1, (2, H)).astype(np.float32)
    expected = ort_run_gru(path, xs, h0)
    weights_file = read_weight_cells(path)
    for d, (direction, sequence) in enumerate((("forward", xs), ("reverse", xs[::-1]))):
        weights = weights_file.cells[(0, direction)]
        cell, _ = cell_for_weights(weights, None)
        assert cell.preact_clip == 0.7 and not cell.gru_reset_before
        assert (cell.gate_activation, cell.cell_activation) == (("hard_sigmoid", "softsign") if d == 0 else ("sigmoid", "tanh"))
        h = h0[d]
        for x in sequence:
            h = cell_step(weights, x, h, cell=cell).h
        np.testing.assert_allclose(h, expected[d], atol=TOLERANCE, rtol=0)


# --- what lstm-trace cannot compute, and what inspect says ----------------------------------------

UNSUPPORTED = [
    ({"activations": ["HardSigmoid", "Tanh", "Tanh"], "activation_alpha": [0.3]},
     "sets activation_alpha = [0.3]; lstm-trace computes HardSigmoid with alpha 0.2 and beta 0.5 only"),
    ({"activations": ["Sigmoid", "LeakyRelu", "LeakyRelu"]}, "uses LeakyRelu (g), where lstm-trace has Tanh, Relu"),
    ({"activations": ["Sigmoid", "Tanh", "Relu"]}, "uses Tanh for the candidate (g) but Relu for the cell output (h)"),
    ({"activations": ["Tanh", "Tanh", "Tanh"]}, "uses Tanh for its gates (f), where lstm-trace has Sigmoid or HardSigmoid"),
    ({"input_forget": 1, "peephole": True}, "couples the input and forget gates (input_forget = 1) and has peephole"),
]  # fmt: skip


@pytest.mark.parametrize("attributes, expected", UNSUPPORTED, ids=lambda v: str(v)[:40])
def test_what_lstm_trace_cannot_compute_is_refused_not_computed(tmp_path, cli, attributes, expected):
    path = save(onnx_lstm_model(3, 2, seed=1, **attributes), tmp_path / "odd.onnx")
    ort_run(path, np.zeros((1, 2), np.float32), np.zeros((1, 3), np.float32), np.zeros((1, 3), np.float32))  # valid
    result = cli("step", "--weights", str(path), "--x", "1,2")
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = one_line(result.output)
    assert "uses features lstm-trace cannot trace yet" in message and expected in message
    inspected = cli("weights", "inspect", str(path))
    assert inspected.exit_code == 0 and f"cannot trace: Layer 0 (encoder_lstm) {expected}" in one_line(inspected.output)


def test_inspect_reports_the_cell_options_of_each_node(tmp_path, cli):
    path = save(onnx_lstm_model(3, 2, seed=1, peephole=True, clip=2.0, activations=["HardSigmoid", "Relu", "Relu"]),
                tmp_path / "p.onnx")  # fmt: skip
    out = one_line(cli("weights", "inspect", str(path)).output)
    assert "cell options: --variant peephole --preact-clip 2 --gate-activation hard_sigmoid --cell-activation relu " \
           "for layer 0 forward" in out  # fmt: skip
    assert "LSTM, peepholes" in out and "parameters: 93" in out  # W 24 + R 36 + B 24 + P 9
    assert "P[0] = [p_i | p_o | p_f] -> the peepholes" in out
    gru = save(onnx_gru_model(4, 3, seed=1), tmp_path / "g.onnx")
    out = one_line(cli("weights", "inspect", str(gru)).output)
    assert "ONNX, 1 GRU cell(s)" in out and "gate order: z, r, h -> lstm-trace's reset, update, new" in out
    assert "cell options: --variant gru --gru-reset-before" in out and "GRU, reset before" in out
    assert "new (b_in, b_hn)" in out and "kept apart" in out


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
