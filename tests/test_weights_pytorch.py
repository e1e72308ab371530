"""PyTorch state dicts (.pt/.pth): every cell lstm-trace reads computes what torch computes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framework_models import SIZES, TOLERANCE, one_line, step_inputs, torch_cell_run, torch_lstm, torch_run, traced
from frameworks import LazyImport
from lstm_trace.weights import LayerSelection, read_weight_cells, read_weights_file

torch = LazyImport("torch")

pytestmark = pytest.mark.framework


@pytest.mark.parametrize("H, I", SIZES)
def test_one_layer_lstm_matches_torch(tmp_path, H, I):
    lstm = torch_lstm(H, I, seed=H)
    path = tmp_path / "lstm.pt"
    torch.save(lstm.state_dict(), path)
    x, h, c = step_inputs(H, I, seed=H)
    expected_h, expected_c = torch_run(lstm, x[None], h[None], c[None])

    weights = read_weights_file(path)
    h_t, c_t = traced(weights, x, h, c)
    np.testing.assert_allclose(h_t, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c[0], atol=TOLERANCE, rtol=0)
    assert (weights.hidden_size, weights.input_size) == (H, I)
    provenance = weights.provenance
    assert provenance["framework"] == "PyTorch" and provenance["layer"] == 0 and provenance["direction"] == "forward"
    assert provenance["mapping"].startswith(
        "PyTorch rows 0:H -> input gate, H:2H -> forget, 2H:3H -> candidate, 3H:4H -> output"
    )
    assert "b = bias_ih_l0 + bias_hh_l0" in provenance["mapping"]
    json.dumps(dict(provenance))  # the JSON "weights" block stays plain data


def test_bias_is_the_sum_of_both_pytorch_biases(tmp_path):
    lstm = torch_lstm(4, 3, seed=1)
    path = tmp_path / "lstm.pth"
    torch.save(lstm.state_dict(), path)
    weights_file = read_weight_cells(path)
    weights = weights_file.cells[(0, "forward")]
    b_ih, b_hh = lstm.bias_ih_l0.detach().double().numpy(), lstm.bias_hh_l0.detach().double().numpy()
    # PyTorch's second row block (4:8 for H = 4) is the forget gate.
    np.testing.assert_array_equal(weights.b["forget"], b_ih[4:8] + b_hh[4:8])
    np.testing.assert_array_equal(weights_file.bias_parts[(0, "forward")]["bias_ih"]["forget"], b_ih[4:8])
    np.testing.assert_array_equal(weights_file.bias_parts[(0, "forward")]["bias_hh"]["output"], b_hh[12:16])


@pytest.mark.parametrize("H, I", SIZES[:2])
def test_two_layer_bidirectional_lstm_every_cell(tmp_path, H, I):
    """Chain lstm-trace's cells like nn.LSTM does and compare every layer's and direction's final state."""
    lstm = torch_lstm(H, I, seed=7, num_layers=2, bidirectional=True)
    path = tmp_path / "stack.pt"
    torch.save(lstm.state_dict(), path)
    x, _, _ = step_inputs(H, I, seed=2)
    rng = np.random.default_rng(5)
    h0 = rng.uniform(-1, 1, (4, H)).astype(np.float32)  # (layers · directions, H)
    c0 = rng.uniform(-1, 1, (4, H)).astype(np.float32)
    expected_h, expected_c = torch_run(lstm, x[None], h0, c0)

    weights_file = read_weight_cells(path)
    assert sorted(weights_file.cells) == [(0, "forward"), (0, "reverse"), (1, "forward"), (1, "reverse")]
    assert weights_file.cells[(1, "forward")].input_size == 2 * H  # layer 1 reads both directions of layer 0
    layer_input = x
    for layer in (0, 1):
        outputs = []
        for d, direction in enumerate(("forward", "reverse")):
            row = 2 * layer + d
            h_t, c_t = traced(weights_file.cells[(layer, direction)], layer_input, h0[row], c0[row])
            np.testing.assert_allclose(h_t, expected_h[row], atol=TOLERANCE, rtol=0)
            np.testing.assert_allclose(c_t, expected_c[row], atol=TOLERANCE, rtol=0)
            outputs.append(h_t)
        layer_input = np.concatenate(outputs)  # one step: both directions see the same x


def test_layer_and_direction_select_a_cell(tmp_path):
    lstm = torch_lstm(3, 5, seed=2, num_layers=2, bidirectional=True)
    path = tmp_path / "stack.pt"
    torch.save(lstm.state_dict(), path)
    by_index = read_weights_file(path, LayerSelection("1", "reverse"))
    by_name = read_weights_file(path, LayerSelection("l1", "reverse"))
    expected = lstm.weight_hh_l1_reverse.detach().double().numpy()[:3]  # rows 0:H are the input gate
    np.testing.assert_array_equal(by_index.W["input"][:, :3], expected)
    np.testing.assert_array_equal(by_name.W["input"], by_index.W["input"])
    assert by_index.provenance["layer_name"] == "l1" and by_index.provenance["direction"] == "reverse"


@pytest.mark.parametrize("H, I", SIZES)
def test_lstm_cell_state_dict(tmp_path, H, I):
    torch.manual_seed(H + I)
    cell = torch.nn.LSTMCell(I, H)
    path = tmp_path / "cell.pt"
    torch.save(cell.state_dict(), path)
    x, h, c = step_inputs(H, I, seed=3)
    expected_h, expected_c = torch_cell_run(cell, x, h, c)
    weights = read_weights_file(path)
    h_t, c_t = traced(weights, x, h, c)
    np.testing.assert_allclose(h_t, expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c, atol=TOLERANCE, rtol=0)
    assert "b = bias_ih + bias_hh" in weights.provenance["mapping"]


def model_with_an_encoder(input_size: int, hidden_size: int):
    """Model(encoder=Encoder(embed, lstm), head): the LSTM's keys sit under `encoder.lstm.`."""

    # Defined here, not at module level, so that collecting this file does not import torch.
    class Encoder(torch.nn.Module):
        def __init__(self, input_size: int, hidden_size: int):
            super().__init__()
            self.embed = torch.nn.Linear(input_size, input_size)
            self.lstm = torch.nn.LSTM(input_size, hidden_size)

    class Model(torch.nn.Module):
        def __init__(self, input_size: int, hidden_size: int):
            super().__init__()
            self.encoder = Encoder(input_size, hidden_size)
            self.head = torch.nn.Linear(hidden_size, 2)

    return Model(input_size, hidden_size)


def test_lstm_inside_a_model_under_a_prefix(tmp_path):
    torch.manual_seed(11)
    model = model_with_an_encoder(input_size=6, hidden_size=4)
    path = tmp_path / "model.pt"
    torch.save({"model": model.state_dict(), "epoch": 3}, path)  # a checkpoint, not a bare state dict
    x, h, c = step_inputs(4, 6, seed=4)
    expected_h, expected_c = torch_run(model.encoder.lstm, x[None], h[None], c[None])
    weights = read_weights_file(path)
    h_t, c_t = traced(weights, x, h, c)
    np.testing.assert_allclose(h_t, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c[0], atol=TOLERANCE, rtol=0)
    assert weights.provenance["layer_name"] == "model.encoder.lstm.l0"
    assert "model.encoder.lstm.weight_ih_l0" in weights.provenance["mapping"]


def test_step_json_through_the_real_cli_matches_torch(tmp_path, run_cli):
    H, I = 5, 3
    lstm = torch_lstm(H, I, seed=21, num_layers=2)
    path = tmp_path / "stack.pt"
    torch.save(lstm.state_dict(), path)
    rng = np.random.default_rng(9)
    h_in = rng.uniform(-1, 1, H).astype(np.float32)
    c_in = rng.uniform(-1, 1, H).astype(np.float32)
    x = rng.uniform(-1, 1, H).astype(np.float32)  # layer 1 takes H inputs
    # Layer 1 of the stack, alone: run a 1-layer nn.LSTM holding layer 1's weights.
    single = torch.nn.LSTM(H, H)
    single.load_state_dict({k.replace("_l1", "_l0"): v for k, v in lstm.state_dict().items() if k.endswith("_l1")})
    expected_h, expected_c = torch_run(single, x[None], h_in[None], c_in[None])

    as_text = lambda v: ",".join(repr(float(e)) for e in v)  # noqa: E731
    result = run_cli(
        "step", "--weights", str(path), "--layer", "1", "--x", as_text(x), "--h", as_text(h_in),
        "--c", as_text(c_in), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    np.testing.assert_allclose(trace["steps"][0]["h"], expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(trace["steps"][0]["c"], expected_c[0], atol=TOLERANCE, rtol=0)
    block = trace["weights"]
    assert block["source"] == str(path) and block["framework"] == "PyTorch"
    assert block["layer"] == 1 and block["layer_name"] == "l1" and block["direction"] == "forward"
    assert "b = bias_ih_l1 + bias_hh_l1" in block["mapping"]


def test_step_header_shows_file_framework_layer_and_mapping(tmp_path, cli):
    torch.save(torch_lstm(3, 2, seed=0).state_dict(), tmp_path / "m.pt")
    result = cli("step", "--weights", str(tmp_path / "m.pt"), "--x", "0.5,-1")
    assert result.exit_code == 0, result.output
    header = one_line(result.output.split("Concatenation")[0])
    assert "m.pt (PyTorch, layer 0 'l0', forward)" in header
    assert "PyTorch rows 0:H -> input gate, H:2H -> forget, 2H:3H -> candidate, 3H:4H -> output" in header
    assert "b = bias_ih_l0 + bias_hh_l0" in header


def test_inspect_shows_both_biases_and_their_sum(tmp_path, cli):
    lstm = torch_lstm(2, 3, seed=4)
    torch.save(lstm.state_dict(), tmp_path / "m.pt")
    result = cli("weights", "inspect", str(tmp_path / "m.pt"), "--precision", "6")
    assert result.exit_code == 0, result.output
    output = one_line(result.output)
    assert "PyTorch, 1 LSTM cell(s) in 1 layer(s)" in output and "gate order: i, f, g, o" in output
    assert f"parameters: {4 * 2 * (2 + 3) + 8 * 2} in the LSTM cells" in output
    b_ih, b_hh = lstm.bias_ih_l0.detach().numpy(), lstm.bias_hh_l0.detach().numpy()
    forget_row = next(line for line in result.output.splitlines() if line.startswith("forget (b_f)"))
    # PyTorch rows 2:4 are the forget gate when H = 2; unit 0 is row 2.
    expected = [b_ih[2], b_hh[2], np.float64(b_ih[2]) + np.float64(b_hh[2])]
    assert forget_row.split()[-3:] == [f"{v:.6f}" for v in expected]


def test_saved_trace_keeps_the_weights_block_for_show(tmp_path, cli):
    torch.save(torch_lstm(3, 2, seed=0, num_layers=2).state_dict(), tmp_path / "m.pt")
    trace_path = tmp_path / "trace.json"
    written = cli("step", "--weights", str(tmp_path / "m.pt"), "--layer", "l1", "--x", "1,2,3", "-o", str(trace_path))
    assert written.exit_code == 0, written.output
    assert json.loads(trace_path.read_text())["weights"]["layer"] == 1
    shown = cli("show", str(trace_path))
    assert shown.exit_code == 0 and "m.pt (PyTorch, layer 1 'l1', forward)" in one_line(shown.output)
