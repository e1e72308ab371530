"""PyTorch state dicts (.pt/.pth, and the same keys in .safetensors): every cell lstm-trace reads from
nn.LSTM, nn.LSTMCell, nn.GRU, nn.GRUCell and nn.LSTM(proj_size=P) is read as the cell it is (no --variant
needed) and computes what torch computes (float32, 1e-5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from framework_models import (
    SIZES,
    TOLERANCE,
    as_text,
    one_line,
    step_inputs,
    torch_cell_run,
    torch_lstm,
    torch_run,
    traced,
)  # fmt: skip
from frameworks import LazyImport

from lstm_trace import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import LayerSelection, read_weight_cells, read_weights_file

torch = LazyImport("torch")
save_file = LazyImport("safetensors.torch", "save_file")

pytestmark = [
    pytest.mark.framework,
    pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN"),
]


def save(state: dict, path) -> str:
    """A state dict as .pt (torch.save) or .safetensors, by the path's suffix."""
    if str(path).endswith(".safetensors"):
        save_file({key: value.contiguous() for key, value in state.items()}, str(path))
    else:
        torch.save(state, path)
    return str(path)


def traced_file(path, x, h, c=None, layer=None, direction=None):
    """The inputs lstm-trace resolves for a file (the cell it implies) and its step."""
    inputs = resolve_inputs(weights=path, x=x, h=h, c=c, selection=LayerSelection(layer, direction))
    return inputs, trace_step(inputs).steps[0]


# --- every cell module, against torch ------------------------------------------------------------

CELL_MODULES = {"LSTMCell": CellOptions(), "GRUCell": CellOptions(variant="gru")}


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("H, I", [*SIZES, (4, 3), (2, 7), (9, 5)])
@pytest.mark.parametrize("module", CELL_MODULES)
def test_a_cell_module_matches_torch(tmp_path, module, H, I, suffix):
    torch.manual_seed(H * 10 + I)
    cell = getattr(torch.nn, module)(I, H)
    path = save(cell.state_dict(), tmp_path / f"cell{suffix}")
    x, h, c = step_inputs(H, I, seed=H)
    inputs, step = traced_file(path, x, h, c if module == "LSTMCell" else None)
    assert inputs.cell == CELL_MODULES[module]
    mapping = inputs.weights.provenance["mapping"]
    if module == "LSTMCell":
        expected_h, expected_c = torch_cell_run(cell, x, h, c)
        np.testing.assert_allclose(step.c, expected_c, atol=TOLERANCE, rtol=0)
        assert "b = bias_ih + bias_hh" in mapping
    else:
        with torch.no_grad():
            expected_h = cell(torch.from_numpy(x[None]), torch.from_numpy(h[None]))[0].numpy()
        assert inputs.c_prev is None and "b_r = bias_ih + bias_hh rows 0:H" in mapping
    np.testing.assert_allclose(step.h, expected_h, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("H, I", [*SIZES[:2], (5, 3)])
@pytest.mark.parametrize("module", ["LSTM", "GRU"])
def test_two_layer_bidirectional_module_every_cell(tmp_path, module, H, I, suffix):
    """Chain lstm-trace's cells like nn.LSTM and nn.GRU do and compare every layer's and direction's final state."""
    torch.manual_seed(7)
    stack = getattr(torch.nn, module)(I, H, num_layers=2, bidirectional=True)
    path = save(stack.state_dict(), tmp_path / f"stack{suffix}")
    x, _, _ = step_inputs(H, I, seed=2)
    rng = np.random.default_rng(5)
    h0 = rng.uniform(-1, 1, (4, H)).astype(np.float32)  # (layers · directions, H)
    c0 = rng.uniform(-1, 1, (4, H)).astype(np.float32) if module == "LSTM" else [None] * 4
    if module == "LSTM":
        expected_h, expected_c = torch_run(stack, x[None], h0, c0)
    else:
        with torch.no_grad():
            _, h_n = stack(torch.from_numpy(x[None, None]), torch.from_numpy(h0[:, None]))
        expected_h = h_n[:, 0].numpy()

    weights_file = read_weight_cells(Path(path))
    assert sorted(weights_file.cells) == [(0, "forward"), (0, "reverse"), (1, "forward"), (1, "reverse")]
    assert weights_file.cells[(1, "forward")].input_size == 2 * H  # layer 1 reads both directions of layer 0
    layer_input = x
    for layer in (0, 1):
        outputs = []
        for d, direction in enumerate(("forward", "reverse")):
            row = 2 * layer + d
            _, step = traced_file(path, layer_input, h0[row], c0[row], layer=str(layer), direction=direction)
            np.testing.assert_allclose(step.h, expected_h[row], atol=TOLERANCE, rtol=0, err_msg=f"{layer} {direction}")
            if module == "LSTM":
                np.testing.assert_allclose(step.c, expected_c[row], atol=TOLERANCE, rtol=0)
            outputs.append(step.h)
        layer_input = np.concatenate(outputs)  # one step: both directions see the same x


# --- nn.LSTM ------------------------------------------------------------------------------------

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


# --- nn.GRU ------------------------------------------------------------------------------------


def test_gru_over_a_sequence_and_through_the_command_line(tmp_path, run_cli):
    H, I, T = 6, 4, 5
    torch.manual_seed(11)
    gru = torch.nn.GRU(I, H)
    path = save(gru.state_dict(), tmp_path / "gru.pt")
    xs = np.random.default_rng(4).uniform(-1, 1, (T, I)).astype(np.float32)
    h0 = np.random.default_rng(5).uniform(-1, 1, H).astype(np.float32)
    with torch.no_grad():
        outputs, _ = gru(torch.from_numpy(xs[:, None]), torch.from_numpy(h0[None, None]))
    inputs, _ = traced_file(path, xs[0], h0)
    h = h0
    for t, x in enumerate(xs, start=1):
        h = cell_step(inputs.weights, x, h, cell=inputs.cell, t=t).h
        np.testing.assert_allclose(h, outputs[t - 1, 0].numpy(), atol=TOLERANCE, rtol=0)

    result = run_cli("step", "--weights", path, "--x", as_text(xs[0]), "--h", as_text(h0), "--json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["variant"] == "gru" and trace["weights"]["gate_order"] == "r, z, n"
    np.testing.assert_allclose(trace["steps"][0]["h"], outputs[0, 0].numpy(), atol=TOLERANCE, rtol=0)
    # b_hn stays inside r ⊙ (W_hn·h + b_hn): the trace's hidden-side bias is bias_hh_l0's n block
    np.testing.assert_array_equal(trace["steps"][0]["new"]["bias_h"], gru.bias_hh_l0.detach().numpy()[2 * H :])


# --- nn.LSTM(proj_size=P) ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("H, P, I", [(5, 2, 3), (8, 7, 2), (4, 1, 6)])
def test_lstm_with_projection_matches_torch(tmp_path, suffix, H, P, I):
    torch.manual_seed(H + P + I)
    lstm = torch.nn.LSTM(I, H, proj_size=P, num_layers=2)
    path = save(lstm.state_dict(), tmp_path / f"proj{suffix}")
    rng = np.random.default_rng(P)
    x = rng.uniform(-1, 1, I).astype(np.float32)
    h0, c0 = rng.uniform(-1, 1, (2, P)).astype(np.float32), rng.uniform(-1, 1, (2, H)).astype(np.float32)
    with torch.no_grad():
        _, (h_n, c_n) = lstm(torch.from_numpy(x[None, None]), (torch.from_numpy(h0[:, None]), torch.from_numpy(c0[:, None])))
    h_n, c_n = h_n[:, 0].numpy(), c_n[:, 0].numpy()
    for layer, layer_input in ((0, x), (1, h_n[0])):  # layer 1 reads layer 0's projected h (P entries)
        inputs, step = traced_file(path, layer_input, h0[layer], c0[layer], layer=str(layer))
        assert inputs.cell == CellOptions(proj_size=P) and inputs.weights.projection.shape == (P, H)
        assert step.h.shape == (P,) and step.c.shape == (H,)
        np.testing.assert_allclose(step.h, h_n[layer], atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(step.c, c_n[layer], atol=TOLERANCE, rtol=0)


def test_bidirectional_projection_over_a_sequence(tmp_path):
    H, P, I, T = 6, 3, 4, 4
    torch.manual_seed(2)
    lstm = torch.nn.LSTM(I, H, proj_size=P, bidirectional=True)
    path = save(lstm.state_dict(), tmp_path / "biproj.pt")
    xs = np.random.default_rng(6).uniform(-1, 1, (T, I)).astype(np.float32)
    with torch.no_grad():
        _, (h_n, c_n) = lstm(torch.from_numpy(xs[:, None]))
    weights_file = read_weight_cells(Path(path))
    for d, (direction, sequence) in enumerate((("forward", xs), ("reverse", xs[::-1]))):
        weights = weights_file.cells[(0, direction)]
        h, c = np.zeros(P), np.zeros(H)
        for x in sequence:
            step = cell_step(weights, x, h, c, CellOptions(proj_size=P))
            h, c = step.h, step.c
        np.testing.assert_allclose(h, h_n[d, 0].numpy(), atol=TOLERANCE, rtol=0)
        np.testing.assert_allclose(c, c_n[d, 0].numpy(), atol=TOLERANCE, rtol=0)


# --- what the commands show ---------------------------------------------------------------------


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


def test_inspect_reports_gru_and_projection_cells(tmp_path, cli):
    torch.manual_seed(0)
    model = torch.nn.ModuleDict({"enc": torch.nn.GRU(3, 4), "dec": torch.nn.LSTM(4, 5, proj_size=2)})
    path = save(model.state_dict(), tmp_path / "mixed.pt")
    out = one_line(cli("weights", "inspect", path).output)
    assert "PyTorch, 2 GRU and LSTM cell(s) in 2 layer(s)" in out
    assert "gate order: r, z, n -> lstm-trace's reset, update, new" in out
    assert "gate order: i, f, g, o -> lstm-trace's forget, input, candidate, output" in out
    assert "cell options: --variant gru for layer 0 forward" in out and "--proj-size 2 for layer 1 forward" in out
    counts = {name: sum(p.numel() for p in module.parameters()) for name, module in model.items()}  # torch's own
    assert f"0 enc.l0 forward GRU 4 3 {counts['enc']}" in out
    assert f"1 dec.l0 forward LSTM, P = 2 5 4 {counts['dec']}" in out
    several = cli("step", "--weights", path, "--x", "1,2,3")
    assert several.exit_code == 2 and "holds 2 GRU and LSTM layers" in one_line(several.output)
