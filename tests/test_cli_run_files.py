"""`lstm-trace run` on weights files: a stack of cells in a real PyTorch state_dict (against torch.nn.LSTM, every
step of every cell), one cell picked with --layer/--direction, and files that say which cell they hold."""

from __future__ import annotations

import json

import numpy as np
import pytest
from framework_models import one_line
from frameworks import LazyImport
from test_cli_run import XS, XS_INLINE, broken_copy, run_json
from torch_lstm import torch_per_step_states

from lstm_trace.weights.presets import lstm_preset

torch = LazyImport("torch")


# ---- a file with several cells: a real PyTorch state_dict, read by the weights readers ----------


@pytest.fixture
def stacked_file(tmp_path):
    """A 2-layer bidirectional torch.nn.LSTM saved with torch.save, as a user would."""
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    path = tmp_path / "model.pt"
    torch.save(lstm.state_dict(), path)
    return lstm, path


@pytest.mark.framework
def test_a_stacked_file_runs_like_torch_lstm(cli, stacked_file, tmp_path):
    lstm, path = stacked_file
    content = run_json(cli, "--xs", XS_INLINE, "--weights", str(path), "--dtype", "float32")
    assert content["num_layers"] == 2 and content["bidirectional"] is True and len(content["cells"]) == 4
    assert len(content["steps"]) == 4 * 5
    assert {(s["layer"], s["direction"]) for s in content["steps"]} == {(0, "forward"), (0, "reverse"), (1, "forward"), (1, "reverse")}
    reverse = [s["t"] for s in content["steps"] if (s["layer"], s["direction"]) == (0, "reverse")]
    assert reverse == [5, 4, 3, 2, 1]
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.tensor(XS, dtype=torch.float32))
    np.testing.assert_allclose(content["outputs"]["output"], output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(content["outputs"]["h_n"], h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(content["outputs"]["c_n"], c_n.numpy(), rtol=0, atol=1e-5)
    # h_t and C_t of every step of every cell, against torch run one step at a time
    reference = torch_per_step_states(lstm, np.array(XS, dtype=np.float32)[:, None, :])
    for (layer, direction), (hs, cs) in reference.items():
        steps = sorted((s for s in content["steps"] if (s["layer"], s["direction"]) == (layer, direction)), key=lambda s: s["t"])
        np.testing.assert_allclose([s["h"] for s in steps], hs[:, 0], rtol=0, atol=1e-5)
        np.testing.assert_allclose([s["c"] for s in steps], cs[:, 0], rtol=0, atol=1e-5)

    screen = cli("run", "--xs", XS_INLINE, "--weights", str(path), "--dtype", "float32")
    assert screen.exit_code == 0, screen.output
    for name in ("layer 0, forward", "layer 0, reverse", "layer 1, forward", "layer 1, reverse", "2 layer(s), bidirectional"):
        assert name in screen.output
    (tmp_path / "stack.jsonl").write_text(cli("run", "--xs", XS_INLINE, "--weights", str(path), "--dtype", "float32",
                                              "--jsonl").output)  # fmt: skip
    assert len((tmp_path / "stack.jsonl").read_text().splitlines()) == 4 * 5 + 1
    assert cli("show", str(tmp_path / "stack.jsonl")).output == screen.output


@pytest.mark.framework
def test_layer_and_direction_pick_one_cell(cli, stacked_file):
    lstm, path = stacked_file
    hidden = np.random.default_rng(3).normal(size=(5, 6)).astype(np.float32)  # layer 1 reads 2 × H = 6 values
    xs = ";".join(",".join(repr(float(v)) for v in row) for row in hidden)
    content = run_json(cli, "--xs", xs, "--weights", str(path), "--dtype", "float32", "--layer", "1", "--direction", "reverse")
    assert [s["t"] for s in content["steps"]] == [5, 4, 3, 2, 1]
    assert {(s["layer"], s["direction"]) for s in content["steps"]} == {(1, "reverse")}
    single = torch.nn.LSTM(6, 3)
    with torch.no_grad():
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(single, f"{kind}_l0").copy_(getattr(lstm, f"{kind}_l1_reverse"))
        output, _ = single(torch.from_numpy(hidden[::-1].copy()))
    np.testing.assert_allclose(content["outputs"]["output"], output.numpy()[::-1], rtol=0, atol=1e-5)
    missing = cli("run", "--xs", XS_INLINE, "--weights", str(path), "--layer", "5")
    assert missing.exit_code == 2 and "matches no LSTM layer" in missing.output and "(forward, reverse)" in missing.output
    several = cli("run", "--xs", XS_INLINE, "--weights", str(path), "--direction", "forward")
    assert several.exit_code == 2 and "holds 2 LSTM layers; choose one with --layer" in several.output


@pytest.mark.framework
def test_show_checks_a_reverse_cell_s_t_counting_down(cli, tmp_path):
    torch.manual_seed(0)
    torch.save(torch.nn.LSTM(2, 3, bidirectional=True).state_dict(), tmp_path / "bi.pt")
    content = run_json(cli, "--xs", XS_INLINE, "--weights", str(tmp_path / "bi.pt"), "--direction", "reverse")
    assert [step["t"] for step in content["steps"]] == [5, 4, 3, 2, 1]
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(content))
    assert cli("show", str(path)).exit_code == 0
    path.write_text(json.dumps(broken_copy(content, lambda c: c["steps"][0].update(t=1))))
    result = cli("show", str(path))
    assert result.exit_code == 1 and 'steps[0] has "t": 1; expected 5' in result.output, result.output


@pytest.mark.framework
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_files_choose_the_cell_and_a_contradicting_option_is_refused(cli, tmp_path):
    torch.manual_seed(0)
    gru, proj = torch.nn.GRU(2, 4, num_layers=2), torch.nn.LSTM(2, 5, proj_size=2, bidirectional=True)
    torch.save(gru.state_dict(), tmp_path / "gru.pt")
    torch.save(proj.state_dict(), tmp_path / "proj.pt")
    xs = np.array(XS, dtype=np.float32)
    for model, name in ((gru, "gru.pt"), (proj, "proj.pt")):
        content = run_json(cli, "--xs", XS_INLINE, "--weights", str(tmp_path / name), "--dtype", "float32")
        with torch.no_grad():
            output, _ = model(torch.from_numpy(xs))
        np.testing.assert_allclose(content["outputs"]["output"], output.numpy(), rtol=0, atol=1e-5)
        assert content["num_layers"] == model.num_layers and content["bidirectional"] is model.bidirectional
    for name in ("gru.pt", "proj.pt"):  # stacks stream to JSON Lines, and `show` draws them as `run` does
        screen = cli("run", "--xs", XS_INLINE, "--weights", str(tmp_path / name), "-o", str(tmp_path / "stack.jsonl"))
        assert screen.exit_code == 0, screen.output
        assert ("layer 1, forward" if name == "gru.pt" else "layer 0, reverse") in screen.output
        assert cli("show", str(tmp_path / "stack.jsonl")).output == screen.output
    assert run_json(cli, "--xs", XS_INLINE, "--weights", str(tmp_path / "proj.pt"), "--forget-bias", "1")[
        "cell_options"]["forget_bias"] == 1.0  # an option the file does not set is added  # fmt: skip
    for name, args, fragment in (
        ("gru.pt", ["--variant", "lstm"], "--variant lstm contradicts the weights"),
        ("proj.pt", ["--proj-size", "3"], "--proj-size 3 contradicts the weights"),
        ("gru.pt", ["--c", "0,0,0,0"], "a GRU has no cell state"),
    ):
        result = cli("run", "--xs", XS_INLINE, "--weights", str(tmp_path / name), *args)
        assert result.exit_code == 2 and fragment in one_line(result.output), result.output


def test_a_plain_weights_file_without_peepholes_is_refused_for_peephole(cli, tmp_path):
    np.savez(tmp_path / "plain.npz", **lstm_preset("random", 4, 2, 0).as_arrays())
    result = cli("run", "--xs", XS_INLINE, "--weights", str(tmp_path / "plain.npz"), "--variant", "peephole")
    assert result.exit_code == 2 and "needs peephole weights p_f, p_i, p_o" in one_line(result.output), result.output
