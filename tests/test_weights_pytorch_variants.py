"""PyTorch state dicts of nn.GRU, nn.GRUCell and nn.LSTM(proj_size=P), as .pt and .safetensors: read as the
cell they are (no --variant needed) and checked against torch's own outputs (float32, 1e-5)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from framework_models import TOLERANCE, as_text, one_line, step_inputs
from frameworks import LazyImport
from lstm_trace import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import LayerSelection, read_weight_cells

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


def traced_h(path, x, h, c=None, layer=None, direction=None):
    inputs = resolve_inputs(weights=path, x=x, h=h, c=c, selection=LayerSelection(layer, direction))
    return inputs, trace_step(inputs).steps[0]


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
@pytest.mark.parametrize("H, I", [(4, 3), (2, 7), (9, 5)])
def test_gru_cell_matches_torch(tmp_path, suffix, H, I):
    torch.manual_seed(H * 10 + I)
    cell = torch.nn.GRUCell(I, H)
    path = save(cell.state_dict(), tmp_path / f"cell{suffix}")
    x, h, _ = step_inputs(H, I, seed=H)
    with torch.no_grad():
        expected = cell(torch.from_numpy(x[None]), torch.from_numpy(h[None]))[0].numpy()
    inputs, step = traced_h(path, x, h)
    assert inputs.cell == CellOptions(variant="gru") and inputs.c_prev is None
    np.testing.assert_allclose(step.h, expected, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_stacked_bidirectional_gru_matches_torch(tmp_path, suffix):
    H, I = 5, 3
    torch.manual_seed(7)
    gru = torch.nn.GRU(I, H, num_layers=2, bidirectional=True)
    path = save(gru.state_dict(), tmp_path / f"gru{suffix}")
    x, _, _ = step_inputs(H, I, seed=7)
    h0 = np.random.default_rng(3).uniform(-1, 1, (4, H)).astype(np.float32)
    with torch.no_grad():
        _, h_n = gru(torch.from_numpy(x[None, None]), torch.from_numpy(h0[:, None]))
    h_n = h_n[:, 0].numpy()  # (layers · directions, H): l0 forward, l0 reverse, l1 forward, l1 reverse
    layer_1_input = np.concatenate([h_n[0], h_n[1]])  # one step: layer 1 reads both directions of layer 0
    for index, (layer, direction, layer_input) in enumerate(
        [(0, "forward", x), (0, "reverse", x), (1, "forward", layer_1_input), (1, "reverse", layer_1_input)]
    ):
        _, step = traced_h(path, layer_input, h0[index], layer=str(layer), direction=direction)
        np.testing.assert_allclose(step.h, h_n[index], atol=TOLERANCE, rtol=0, err_msg=f"{layer} {direction}")


def test_gru_over_a_sequence_and_through_the_command_line(tmp_path, run_cli):
    H, I, T = 6, 4, 5
    torch.manual_seed(11)
    gru = torch.nn.GRU(I, H)
    path = save(gru.state_dict(), tmp_path / "gru.pt")
    xs = np.random.default_rng(4).uniform(-1, 1, (T, I)).astype(np.float32)
    h0 = np.random.default_rng(5).uniform(-1, 1, H).astype(np.float32)
    with torch.no_grad():
        outputs, _ = gru(torch.from_numpy(xs[:, None]), torch.from_numpy(h0[None, None]))
    inputs, _ = traced_h(path, xs[0], h0)
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
        inputs, step = traced_h(path, layer_input, h0[layer], c0[layer], layer=str(layer))
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
