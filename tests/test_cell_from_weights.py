"""The cell a weights file implies: used by every command without --variant, joined with the options the
user adds, refused where the user contradicts it or where the weights do not fit the cell asked for."""

from __future__ import annotations

import json

import numpy as np
import pytest
from framework_models import as_text, one_line, onnx_lstm_model, step_inputs
from frameworks import LazyImport

from lstm_trace import DataError, UsageError, resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import read_weights_file
from lstm_trace.weights.presets import gru_preset, lstm_preset

onnx = LazyImport("onnx")
torch = LazyImport("torch")

H, I = 4, 3
X = "--x=0.5,-1,2"


@pytest.fixture
def files(tmp_path):
    """A GRU state dict, an ONNX LSTM with clip and hard σ, and a native peephole file."""
    torch.manual_seed(0)
    torch.save(torch.nn.GRU(I, H).state_dict(), tmp_path / "gru.pt")
    onnx.save(onnx_lstm_model(H, I, seed=1, clip=2.0, activations=["HardSigmoid", "Tanh", "Tanh"]), tmp_path / "hard.onnx")
    np.savez(tmp_path / "peep.npz", **lstm_preset("random", H, I, seed=1, peepholes=True).as_arrays())
    return {name: str(tmp_path / name) for name in ("gru.pt", "hard.onnx", "peep.npz")}


@pytest.mark.parametrize(
    "name, args, fragment",
    [
        ("gru.pt", ["--variant", "cifg"], "--variant cifg contradicts the weights"),
        ("gru.pt", ["--variant", "lstm"], "--variant lstm contradicts the weights"),  # typed, though the default
        ("hard.onnx", ["--preact-clip", "1"], "--preact-clip 1.0 contradicts the weights"),
        ("hard.onnx", ["--gate-activation", "sigmoid"], "which set --gate-activation hard_sigmoid"),
        ("peep.npz", ["--variant", "cifg"], "which set --variant peephole"),
        ("gru.pt", ["--forget-bias", "1"], "--forget-bias does not apply to --variant gru"),
        ("gru.pt", ["--c", "1,2,3,4"], "a GRU has no cell state"),
    ],
)
def test_options_that_contradict_the_file_are_usage_errors(cli, files, name, args, fragment):
    result = cli("step", X, "--weights", files[name], *args)
    assert result.exit_code == 2, result.output
    message = one_line(result.output)
    assert fragment in message and "Traceback" not in result.output
    if "contradicts" in fragment:
        assert files[name] in message and "Drop" in message


def test_weights_file_with_extras_sets_the_variant(cli, tmp_path):
    """A native file with peepholes is traced as the peephole cell, and one with GRU keys as a GRU,
    without --variant: the same numbers as when the variant is given, which agrees with the file."""
    path = tmp_path / "w.npz"
    np.savez(path, **lstm_preset("random", 4, 3, seed=1, peepholes=True).as_arrays())
    implied = json.loads(cli("step", X, "--weights", str(path), "--json").output)
    given = json.loads(cli("step", X, "--weights", str(path), "--variant", "peephole", "--json").output)
    assert implied["variant"] == "peephole" and implied["steps"] == given["steps"]
    assert f"The cell options --variant peephole come from the weights ({path})." in implied["notes"]
    expected = cell_step(lstm_preset("random", 4, 3, seed=1, peepholes=True), [0.5, -1, 2], None, None,
                         CellOptions(variant="peephole"))  # h and C default to zeros  # fmt: skip
    np.testing.assert_array_equal(implied["steps"][0]["h"], expected.h)
    refused = cli("step", X, "--weights", str(path), "--variant", "lstm")
    assert refused.exit_code == 2 and "--variant lstm contradicts the weights" in one_line(refused.output)
    gru_path = tmp_path / "g.json"
    gru_path.write_text(json.dumps({k: v.tolist() for k, v in gru_preset("random", 4, 3).as_arrays().items()}))
    gru = cli("step", X, "--weights", str(gru_path), "--json")
    assert gru.exit_code == 0, gru.output
    assert json.loads(gru.output)["variant"] == "gru" and json.loads(gru.output)["hidden_size"] == 4


def test_weights_that_do_not_fit_the_variant(cli, tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, **lstm_preset("random", 4, 3).as_arrays())
    projected = tmp_path / "proj.npz"
    np.savez(projected, **lstm_preset("random", 4, 3, proj_size=2).as_arrays())
    gru = tmp_path / "gru.npz"
    np.savez(gru, **gru_preset("random", 4, 3).as_arrays())
    for args, code, fragment in (
        (["--weights", str(plain), "--variant", "peephole"], 2, "needs peephole weights p_f, p_i, p_o"),
        (["--weights", str(projected), "--proj-size", "3"], 2, "--proj-size 3 contradicts the weights"),
        (["--weights", str(plain), "--proj-size", "2"], 2, "needs a projection W_hr"),
        (["--weights", str(gru), "--variant", "cifg"], 2, "--variant cifg contradicts the weights"),
        (["--weights", str(gru), "--c", "1,2,3,4"], 2, "a GRU has no cell state"),
        (["--weights", str(plain), "--variant", "gru"], 2, "--variant gru needs GRU weights"),
        (["--preset", "long-memory", "--variant", "gru"], 2, "sets LSTM weights (b_f, b_i)"),
    ):
        result = cli("step", X, *args) if "--preset" not in args else cli("step", *args)
        assert result.exit_code == code, (args, result.output)
        assert fragment in result.output, (args, result.output)
        assert "Traceback" not in result.output
    for args in (["--proj-size", "2"], []):  # the file's projection, given again or not
        ok = cli("step", X, "--weights", str(projected), *args, "--json")
        assert ok.exit_code == 0 and len(json.loads(ok.output)["steps"][0]["h"]) == 2


def test_options_the_file_does_not_set_are_added(cli, files):
    """--forget-bias on a file without one: the file's clip and hard σ stay, the bias joins them."""
    result = cli("step", X, "--weights", files["hard.onnx"], "--forget-bias", "1", "--json")
    assert result.exit_code == 0, result.output
    trace = json.loads(result.output)
    cell = CellOptions(forget_bias=1.0, preact_clip=2.0, gate_activation="hard_sigmoid")
    assert trace["cell_options"] == cell.to_dict()
    expected = cell_step(read_weights_file(files["hard.onnx"]), [0.5, -1, 2], None, None, cell)
    np.testing.assert_array_equal(trace["steps"][0]["h"], expected.h)
    same = cli("step", X, "--weights", files["hard.onnx"], "--gate-activation", "hard_sigmoid", "--json")
    assert same.exit_code == 0 and json.loads(same.output)["steps"] == json.loads(
        cli("step", X, "--weights", files["hard.onnx"], "--json").output)["steps"]  # fmt: skip


def test_real_process_exit_codes(run_cli, files):
    bad = run_cli("step", X, "--weights", files["gru.pt"], "--variant", "peephole")
    assert bad.returncode == 2 and "contradicts the weights" in bad.stderr and "Traceback" not in bad.stderr
    good = run_cli("step", X, "--weights", files["gru.pt"])
    assert good.returncode == 0 and "One GRU step" in good.stdout and "--variant gru come from the weights" in one_line(good.stdout)


def test_explain_uses_the_files_cell(cli, files):
    page = one_line(cli("explain", X, "--weights", files["gru.pt"]).output)
    assert "GRU" in page and "What changes" in page and "nₜ = tanh(W_in·xₜ + b_in + rₜ ⊙ (W_hn·hₜ₋₁ + b_hn))" in page
    stage = cli("explain", "reset", X, "--weights", files["gru.pt"])
    assert stage.exit_code == 0 and "rₜ = σ(W_ir·xₜ + W_hr·hₜ₋₁ + b_r)" in stage.output
    missing = cli("explain", "forget", X, "--weights", files["gru.pt"])
    assert missing.exit_code == 2 and "There is no stage 'forget'" in missing.output
    conflict = cli("explain", "cifg", X, "--weights", files["gru.pt"])
    assert conflict.exit_code == 2 and "--variant cifg contradicts the weights" in one_line(conflict.output)
    peephole = one_line(cli("explain", "forget", X, "--weights", files["peep.npz"]).output)
    assert "fₜ = σ(W_f·z + p_f ⊙ Cₜ₋₁ + b_f)" in peephole


@pytest.mark.parametrize("command", [["diagram"], ["walk"], ["step", "--diagram"], ["step", "--interactive"]], ids=" ".join)
def test_the_figure_and_the_walk_draw_the_files_cell(cli, files, command):
    result = cli(*command, X, "--weights", files["gru.pt"], input="q\n")
    assert result.exit_code == 0, result.output
    assert "GRU cell, t = 1" in result.output and "[1−]" in result.output


def test_grad_follows_the_backward_pass_of_the_files_cell(cli, files):
    result = cli("grad", X, "--weights", files["gru.pt"], "--json")
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    assert content["variant"] == "gru"
    backward = content["steps"][0]["backward"]
    assert {name for name, value in backward.items() if isinstance(value, dict)} == {"reset", "update", "new"}


def test_the_python_api_takes_the_files_cell(files):
    x = np.array([0.5, -1, 2])
    inputs = resolve_inputs(weights=files["gru.pt"], x=x)
    assert inputs.cell == CellOptions(variant="gru")
    from pathlib import Path

    assert resolve_inputs(weights=Path(files["gru.pt"]), x=x).cell == inputs.cell  # a Path does as well
    torch.manual_seed(0)
    reference = torch.nn.GRU(I, H)  # the same seed: the saved module again
    with torch.no_grad():
        expected = reference(torch.from_numpy(x[None, None]).float())[1][0, 0].numpy()
    np.testing.assert_allclose(trace_step(inputs).steps[0].h, expected, atol=1e-6, rtol=0)
    with pytest.raises(UsageError, match="--variant cifg contradicts"):
        resolve_inputs(weights=files["gru.pt"], x=x, cell=CellOptions(variant="cifg"))
    # Without a command line a default-valued field is not "given": explicit names say it was.
    resolve_inputs(weights=files["hard.onnx"], x=x, cell=CellOptions())
    with pytest.raises(UsageError, match="--gate-activation sigmoid contradicts"):
        resolve_inputs(weights=files["hard.onnx"], x=x, cell=CellOptions(), given_options={"gate_activation"})


def test_native_cell_options(tmp_path, cli):
    weights = lstm_preset("random", H, I, seed=3)
    np.savez(tmp_path / "clip.npz", **weights.as_arrays(), cell_options=np.array('{"variant": "cifg", "cell_clip": 0.5}'))
    trace = json.loads(cli("step", X, "--weights", str(tmp_path / "clip.npz"), "--json").output)
    cell = CellOptions(variant="cifg", cell_clip=0.5)
    assert trace["cell_options"] == cell.to_dict()
    np.testing.assert_array_equal(trace["steps"][0]["h"], cell_step(weights, [0.5, -1, 2], None, None, cell).h)

    gru = {key: value.tolist() for key, value in gru_preset("random", H, I).as_arrays().items()}
    (tmp_path / "gru.json").write_text(json.dumps({"variant": "gru", "cell_options": {"gru_reset_before": True}, **gru}))
    trace = json.loads(cli("step", X, "--weights", str(tmp_path / "gru.json"), "--json").output)
    assert trace["cell_options"]["gru_reset_before"] is True and trace["variant"] == "gru"

    for name, content, fragment in (
        ("bad.npz", np.array("{not json"), "cell_options is not a JSON object in a string"),
        ("unknown.npz", np.array('{"colour": "red"}'), "\"cell_options\" has unknown keys ['colour']"),
        ("wrong.npz", np.array('{"variant": "gru"}'), "says variant 'gru' in its cell_options, but it holds LSTM"),
        ("value.npz", np.array('{"preact_clip": -1}'), "--preact-clip must be a positive number"),
    ):
        np.savez(tmp_path / name, **weights.as_arrays(), cell_options=content)
        with pytest.raises(DataError) as error:
            read_weights_file(tmp_path / name)
        assert fragment in str(error.value), name
        result = cli("step", X, "--weights", str(tmp_path / name))
        assert result.exit_code == 1 and "Traceback" not in result.output


def test_a_trace_records_where_its_options_came_from(cli, files, tmp_path):
    x, h, c = step_inputs(H, I, seed=1)
    args = ["--weights", files["hard.onnx"], "--x", as_text(x), "--h", as_text(h), "--c", as_text(c)]
    trace = json.loads(cli("step", *args, "--json").output)
    assert trace["weights"]["cell_options"] == {"preact_clip": 2.0, "gate_activation": "hard_sigmoid"}
    assert "clip = 2 -> --preact-clip 2" in trace["weights"]["mapping"]
    step = cli("step", *args, "--output", str(tmp_path / "trace.json"))
    assert step.exit_code == 0 and cli("show", str(tmp_path / "trace.json")).output == step.output
