"""`lstm-trace run --variant ...` and the cell options, files that imply a variant, and `show` of their traces."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace.cells.options import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights.presets import gru_preset, lstm_preset

from tests.framework_models import one_line

XS = [[0.1, 0.2, -0.3], [0.3, -0.4, 0.8], [-0.5, 0.9, 0.1], [0.7, 0.0, -0.2], [0.25, -0.75, 0.5]]
XS_INLINE = ";".join(",".join(str(v) for v in row) for row in XS)
RANDOM = ["--weights", "random", "--seed", "4", "--hidden-size", "4"]  # H = 4, I = 3
OPTIONS = {
    "gru": ["--variant", "gru"],
    "gru-before": ["--variant", "gru", "--gru-reset-before", "--preact-clip", "1.5"],
    "peephole": ["--variant", "peephole", "--forget-bias", "1", "--cell-clip", "0.5"],
    "cifg": ["--variant", "cifg", "--gate-activation", "hard_sigmoid"],
    "projection": ["--proj-size", "2"],
}
CELLS = {
    "gru": CellOptions(variant="gru"),
    "gru-before": CellOptions(variant="gru", gru_reset_before=True, preact_clip=1.5),
    "peephole": CellOptions(variant="peephole", forget_bias=1.0, cell_clip=0.5),
    "cifg": CellOptions(variant="cifg", gate_activation="hard_sigmoid"),
    "projection": CellOptions(proj_size=2),
}


def step_chain(cell: CellOptions):
    """The one-step cell, one step after another, on the weights `--weights random --seed 4` makes."""
    if cell.variant == "gru":
        weights = gru_preset("random", 4, 3, 4)
    else:
        weights = lstm_preset("random", 4, 3, 4, peepholes=cell.variant == "peephole", proj_size=cell.proj_size)
    h, c, steps = np.zeros(weights.h_size), None if cell.variant == "gru" else np.zeros(4), []
    for t, x in enumerate(XS, start=1):
        step = cell_step(weights, np.array(x), h, c, cell, t)
        steps.append(step)
        h, c = step.h, getattr(step, "c", None)
    return steps


def run_json(cli, *args):
    result = cli("run", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("name", OPTIONS)
def test_json_holds_the_variant_and_its_steps_and_show_renders_it_as_run_does(cli, tmp_path, name):
    content = run_json(cli, "--xs", XS_INLINE, *RANDOM, *OPTIONS[name])
    assert content["variant"] == CELLS[name].variant
    assert CellOptions.from_dict(content["cell_options"]) == CELLS[name]
    expected = step_chain(CELLS[name])
    assert len(content["steps"]) == 5
    for record, step in zip(content["steps"], expected):
        np.testing.assert_allclose(record["h"], step.h, rtol=0, atol=1e-12)
        if name.startswith("gru"):
            assert "c" not in record and set(record["update"]) >= {"wx", "wh", "bias", "preact", "act"}
        else:
            np.testing.assert_allclose(record["c"], step.c, rtol=0, atol=1e-12)
    assert ("c_n" in content["outputs"]) is (not name.startswith("gru"))  # torch.nn.GRU returns no c_n
    assert np.array(content["outputs"]["output"]).shape == (5, 2 if name == "projection" else 4)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(content))
    shown, screen = cli("show", str(path)), cli("run", "--xs", XS_INLINE, *RANDOM, *OPTIONS[name])
    assert shown.exit_code == 0, shown.output
    assert shown.output == screen.output  # the same view, without recomputing


@pytest.mark.parametrize("name", ["gru", "peephole"])
def test_jsonl_streams_the_variant_and_show_reads_it(cli, tmp_path, name):
    result = cli("run", "--xs", XS_INLINE, *RANDOM, *OPTIONS[name], "--jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert len(records) == 5 + 1 and records[0]["variant"] == CELLS[name].variant and "steps" not in records[0]
    assert records[1:] == run_json(cli, "--xs", XS_INLINE, *RANDOM, *OPTIONS[name])["steps"]
    path = tmp_path / "trace.jsonl"
    path.write_text(result.output)
    assert cli("show", str(path)).output == cli("run", "--xs", XS_INLINE, *RANDOM, *OPTIONS[name]).output


def test_gru_view_has_its_own_table_heatmaps_behaviour_and_details(cli):
    result = cli("run", "--xs", XS_INLINE, *RANDOM, "--variant", "gru", "--detail", "2,3")
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("A GRU over a sequence", "rₜ reset", "zₜ update", "nₜ new", "hₜ hidden",
                    "remembering (z > 0.9: h keeps ≥ 90% of its old value)", "Reset gate", "t = 3"):  # fmt: skip
        assert heading in out, heading
    assert "fₜ forget" not in out and "C grows steadily" not in out  # no forget gate, no cell state
    step = step_chain(CELLS["gru"])[2]
    assert f"{step.update.act[1]:.4f}" in out and f"{step.new.act[2]:.4f}" in out


def test_summary_only_for_a_variant(cli, tmp_path):
    np.save(tmp_path / "long.npy", np.random.default_rng(1).normal(size=(300, 3)))
    result = cli("run", "--xs", f"@{tmp_path / 'long.npy'}", *RANDOM, "--variant", "cifg", "--summary-only")
    assert result.exit_code == 0, result.output
    assert "Gate behaviour over 300 steps × 4 units" in result.output and "A CIFG LSTM over a sequence" in result.output
    assert "min…max" not in result.output  # no per-step table


def test_a_batch_of_gru_sequences_from_npy(cli, tmp_path):
    xs = np.random.default_rng(3).normal(size=(2, 5, 3))  # (B, T, I)
    np.save(tmp_path / "batch.npy", xs)
    content = run_json(cli, "--xs", f"@{tmp_path / 'batch.npy'}", "--batch-first", *RANDOM, "--variant", "gru")
    assert [(s["t"], s["b"]) for s in content["steps"][:4]] == [(1, 0), (1, 1), (2, 0), (2, 1)]
    weights = gru_preset("random", 4, 3, 4)
    for b in range(2):
        h = np.zeros(4)
        for t in range(5):
            h = cell_step(weights, xs[b, t], h, None, CELLS["gru"], t + 1).h
        np.testing.assert_allclose(content["outputs"]["h_n"][0][b], h, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--variant", "gru", "--c", "0,0,0,0"], "a GRU has no cell state"),
        (["--variant", "gru", "--forget-bias", "1"], "does not apply to --variant gru"),
        (["--gru-reset-before"], "only applies to --variant gru"),
        (["--variant", "elman"], "--variant 'elman' is not known"),
        (["--proj-size", "4"], "must be smaller than the hidden size H = 4"),
        (["--cell-clip", "-1"], "--cell-clip must be a positive number"),
    ],
)
def test_mistaken_cell_options_are_usage_errors(cli, args, fragment):
    result = cli("run", "--xs", XS_INLINE, *RANDOM, *args)
    assert result.exit_code == 2 and fragment in one_line(result.output), result.output
    assert "Traceback" not in result.output


def test_proj_size_with_a_preset_needs_the_hidden_size(cli):
    result = cli("run", "--xs", XS_INLINE, "--weights", "random", "--h", "0,0", "--proj-size", "2")
    assert result.exit_code == 2 and "give the cell's size with --hidden-size H" in one_line(result.output), result.output


def test_a_scenario_preset_with_a_projection_runs_as_step_does(cli):
    """--hidden-size sets a new size, so the preset's h (H entries, not P) is dropped by run as by step."""
    preset = ["--preset", "seed-question", "--proj-size", "3", "--hidden-size", "5"]
    x0 = "-0.1,0.3,0.1,0.2,0.0"
    first = run_json(cli, "--xs", f"{x0};0.5,-0.5,0.25,0,1", *preset)["steps"][0]
    result = cli("step", "--x", x0, *preset, "--json")
    assert result.exit_code == 0, result.output
    alone = json.loads(result.output)["steps"][0]
    assert len(first["h"]) == 3 and len(first["c"]) == 5
    np.testing.assert_array_equal(first["h"], alone["h"])
    np.testing.assert_array_equal(first["c"], alone["c"])


def test_units_beyond_a_projected_h_say_so_in_the_h_heatmap(cli):
    result = cli("run", "--xs", XS_INLINE, *RANDOM, "--proj-size", "2", "--units", "2:4")
    assert result.exit_code == 0, result.output
    assert "h has no unit ≥ 2" in result.output
    result = cli("run", "--xs", XS_INLINE, *RANDOM, "--proj-size", "2", "--units", "1:4")
    assert result.exit_code == 0 and "h has no unit" not in result.output, result.output


@pytest.mark.framework
def test_files_choose_the_cell_and_a_contradicting_option_is_refused(cli, tmp_path):
    import torch

    torch.manual_seed(0)
    gru, proj = torch.nn.GRU(3, 4, num_layers=2), torch.nn.LSTM(3, 5, proj_size=2, bidirectional=True)
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
    np.savez(tmp_path / "plain.npz", **lstm_preset("random", 4, 3, 0).as_arrays())
    result = cli("run", "--xs", XS_INLINE, "--weights", str(tmp_path / "plain.npz"), "--variant", "peephole")
    assert result.exit_code == 2 and "needs peephole weights p_f, p_i, p_o" in one_line(result.output), result.output


def test_real_process_gru_jsonl_into_show_on_stdin(run_cli):
    done = run_cli("run", "--xs", XS_INLINE, *RANDOM, "--variant", "gru", "--jsonl")
    assert done.returncode == 0, done.stderr
    shown = run_cli("show", "-", input=done.stdout)
    assert shown.returncode == 0, shown.stderr
    assert "A GRU over a sequence" in shown.stdout and "zₜ update" in shown.stdout
