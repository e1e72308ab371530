"""`lstm-trace step` and `show` through Typer's CliRunner and as a real process, for every cell:
the plain LSTM, its variants and options, and the GRU."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import gru_preset, lstm_preset

SEED_F_8 = ["0.47502081", "0.68997448", "0.54983400", "0.48750260", "0.66818777"]
EXPLICIT = ["--h", "0,0.5,0.1,0.2,0.6", "--x=-0.1,0.3,0.1,-0.25,0.1", "--weights", "identity"]


def test_seed_preset_prints_every_stage_and_the_learners_numbers(cli):
    result = cli("step", "--preset", "seed-question", "--precision", "8")
    assert result.exit_code == 0, result.output
    for value in SEED_F_8:
        assert value in result.output
    for heading in ("Concatenation", "Forget gate", "Input gate", "Candidate values", "New cell state",
                    "Output gate", "New hidden state"):  # fmt: skip
        assert heading in result.output
    assert "C_(t-1) was not given, so it is assumed to be zeros" in result.output
    assert "hₜ = [" in result.output and "Cₜ = [" in result.output


def test_explicit_options_equal_the_preset(cli):
    by_preset = json.loads(cli("step", "--preset", "seed-question", "--json").output)
    explicit = json.loads(cli("step", *EXPLICIT, "--json").output)
    assert explicit["steps"] == by_preset["steps"]


def test_negative_vector_after_a_space(cli):
    spaced = cli("step", "--h", "0,0.5", "--x", "-0.1,0.3", "--json")
    joined = cli("step", "--h", "0,0.5", "--x=-0.1,0.3", "--json")
    assert spaced.exit_code == 0, spaced.output
    assert json.loads(spaced.output)["steps"][0]["x"] == [-0.1, 0.3]
    assert spaced.output == joined.output


def test_json_is_full_precision_and_matches_the_cell(cli):
    content = json.loads(cli("step", "--preset", "seed-question", "--json").output)
    forget = np.array(content["steps"][0]["forget"]["act"])
    np.testing.assert_allclose(forget, 1 / (1 + np.exp(-(np.array([0, 0.5, 0.1, 0.2, 0.6]) + [-0.1, 0.3, 0.1, -0.25, 0.1]))), atol=1e-15)


def test_one_stage_only(cli):
    result = cli("step", "--preset", "seed-question", "--stage", "cell")
    assert "New cell state" in result.output and "Forget gate" not in result.output


def test_hidden_size_without_h(cli):
    result = cli("step", "--x", "1,2", "--hidden-size", "3", "--weights", "random", "--json")
    content = json.loads(result.output)
    assert content["hidden_size"] == 3 and content["steps"][0]["h_prev"] == [0, 0, 0]
    assert any("h_(t-1) was not given" in note for note in content["notes"])


def test_c_prev_is_used(cli):
    content = json.loads(cli("step", "--preset", "long-memory", "--json").output)
    step = content["steps"][0]
    np.testing.assert_allclose(step["keep"], np.array(step["forget"]["act"]) * [1.5, -2.0, 0.7], atol=1e-15)
    assert min(step["forget"]["act"]) > 0.99 and max(step["input"]["act"]) < 0.01


def test_float32(cli):
    content = json.loads(cli("step", "--preset", "seed-question", "--dtype", "float32", "--json").output)
    assert content["dtype"] == "float32"
    assert np.array(content["steps"][0]["h"], dtype=np.float32).tolist() == content["steps"][0]["h"]


def test_large_hidden_size_is_summarised(cli):
    result = cli("step", "--x", "1,2,3", "--hidden-size", "500", "--weights", "random", "--stage", "forget")
    assert result.exit_code == 0
    assert "⋮" in result.output and "mean" in result.output
    assert len(result.output.splitlines()) < 60
    every = cli("step", "--x", "1,2,3", "--hidden-size", "50", "--weights", "random", "--stage", "forget", "--all-rows")
    assert "⋮" not in every.output
    assert any(line.split()[:1] == ["49"] for line in every.output.splitlines())


CELLS_SAVED = [
    ["--preset", "concat-not-sum"],  # the plain LSTM
    ["--preset", "seed-question", "--variant", "peephole", "--c=1,-1,0.5,2,0"],
    ["--preset", "seed-question", "--variant", "cifg", "--forget-bias", "1"],
    ["--preset", "seed-question", "--variant", "gru", "--gru-reset-before"],
    ["--preset", "seed-question", "--cell-clip", "0.1", "--preact-clip", "0.5"],
    ["--preset", "seed-question", "--hidden-size", "7", "--proj-size", "3", "--weights", "random"],
]


@pytest.mark.parametrize("args", CELLS_SAVED, ids=" ".join)
def test_output_file_and_show_round_trip(cli, tmp_path, args):
    out = tmp_path / "trace.json"
    step = cli("step", *args, "--output", str(out))
    assert step.exit_code == 0 and out.exists(), step.output
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind
    shown = cli("show", str(out))
    assert shown.exit_code == 0
    assert step.output == shown.output  # same tables, without recomputing


def test_show_reads_stdin(cli):
    trace = cli("step", "--preset", "seed-question", "--json").output
    shown = cli("show", "-", "--stage", "hidden", input=trace)
    assert shown.exit_code == 0 and "New hidden state" in shown.output


def test_presets_command_lists_the_scenarios(cli):
    result = cli("presets")
    for name in ("seed-question", "long-memory", "forget-everything", "concat-not-sum"):
        assert name in result.output


X3 = "--x=0.5,-1,2"
ERRORS = [
    (["step", "--x", "1,a"], 2, "entry 2, 'a', is not a number"),
    (["step"], 2, "No input vector"),
    (["step", "--x", "1,2", "--h", "1,2,3", "--c", "1,2"], 2, "--c has shape (2,)"),
    (["step", "--x", "1,2", "--hidden-size", "0"], 2, "between 1 and"),
    (["step", "--x", "1,2", "--hidden-size", "3", "--h", "1,2"], 2, "disagrees with --h"),
    (["step", "--preset", "nope"], 2, "There is no preset 'nope'"),
    (["step", "--preset", "seed-question", "--stage", "gates"], 2, "There is no stage 'gates'"),
    (["step", "--preset", "seed-question", "--dtype", "float16"], 2, "--dtype 'float16' is not supported"),
    (["step", "--x", "1,2", "--weights", "nope.bin"], 2, "neither a preset"),
    (["step", "--x", "1,2", "--weights", "missing.npz"], 2, "does not exist"),
    (["show", "missing.json"], 2, "does not exist"),
    (["explain", "gates"], 2, "There is no stage 'gates'"),
    # the cell options, and what does not fit the cell they make
    (["step", X3, "--hidden-size", "4", "--proj-size", "4"], 2, "--proj-size 4 must be smaller than the hidden size H = 4"),
    (["step", X3, "--proj-size", "2"], 2, "give the cell's size with --hidden-size H"),
    (["step", X3, "--hidden-size", "4", "--proj-size", "2", "--h", "1,2,3"], 2, "--h has shape (3,)"),
    (["step", X3, "--proj-size", "0", "--hidden-size", "4"], 2, "--proj-size must be a positive whole number"),
    (["step", X3, "--hidden-size", "4", "--variant", "gru", "--c", "1,2,3,4"], 2, "a GRU has no cell state"),
    (["step", X3, "--hidden-size", "4", "--variant", "gru", "--forget-bias", "1"], 2,
     "--forget-bias does not apply to --variant gru"),
    (["step", X3, "--variant", "gru", "--cell-clip", "1", "--proj-size", "2"], 2,
     "--cell-clip, --proj-size do not apply to --variant gru"),
    (["step", X3, "--hidden-size", "4", "--gru-reset-before"], 2, "--gru-reset-before only applies to --variant gru"),
    (["step", X3, "--hidden-size", "4", "--variant", "rnn"], 2,
     "--variant 'rnn' is not known; choose one of lstm, peephole, cifg, gru"),
    (["step", X3, "--hidden-size", "4", "--gate-activation", "relu"], 2,
     "--gate-activation 'relu' is not known; choose one of sigmoid, hard_sigmoid"),
    (["step", X3, "--hidden-size", "4", "--cell-activation", "gelu"], 2, "--cell-activation 'gelu' is not known"),
    (["step", X3, "--hidden-size", "4", "--cell-clip", "0"], 2, "--cell-clip must be a positive number"),
    (["step", X3, "--hidden-size", "4", "--preact-clip", "-1"], 2, "--preact-clip must be a positive number"),
    (["step", X3, "--hidden-size", "4", "--variant", "gru", "--stage", "forget"], 2,
     "There is no stage 'forget'. Stages: reset, update, new, hidden"),
    (["step", X3, "--hidden-size", "4", "--stage", "projection"], 2, "There is no stage 'projection'"),
]  # fmt: skip


@pytest.mark.parametrize("args, code, fragment", ERRORS, ids=[" ".join(args) for args, _, _ in ERRORS])
def test_errors(cli, args, code, fragment):
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


def test_weights_file_shape_mismatch_names_both_shapes(cli, tmp_path):
    from lstm_trace import presets

    path = tmp_path / "w.npz"
    np.savez(path, **presets.random(4, 3).as_arrays())
    result = cli("step", "--x", "1,2", "--weights", str(path))
    assert result.exit_code == 2
    assert "--x has shape (2,)" in result.output and "(4, 7)" in result.output and "must have shape (3,)" in result.output


def test_show_rejects_a_file_that_is_not_a_trace(cli, tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"hello": 1}')
    result = cli("show", str(path))
    assert result.exit_code == 1 and "not an lstm-trace trace" in result.output


def test_real_process_and_python_dash_m(run_cli):
    done = run_cli("step", "--preset", "seed-question", "--precision", "8")
    assert done.returncode == 0, done.stderr
    assert all(value in done.stdout for value in SEED_F_8)
    assert "\x1b[" not in done.stdout  # NO_COLOR and a pipe: plain text
    bad = run_cli("step", "--x", "1,,2")
    assert bad.returncode == 2 and "empty entry" in bad.stderr and "Traceback" not in bad.stderr


def test_real_process_json_into_show(run_cli):
    trace = run_cli("step", "--preset", "forget-everything", "--json").stdout
    shown = run_cli("show", "-", input=trace)
    assert shown.returncode == 0 and "Forget everything" in shown.stdout


@pytest.mark.slow
def test_h_4096_runs_and_stays_bounded(cli, tmp_path):
    x = tmp_path / "x.txt"
    x.write_text(",".join(["0.1"] * 4096))
    result = cli("step", "--x", f"@{x}", "--hidden-size", "4096", "--weights", "random")
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) < 400  # summarised, not 7 tables of 4096 rows
    assert "mean" in result.output


def test_narrow_and_dumb_terminals(run_cli):
    done = run_cli("step", "--preset", "seed-question", env={"COLUMNS": "40", "TERM": "dumb"})
    assert done.returncode == 0, done.stderr
    from rich.cells import cell_len  # C̃ has a zero-width combining tilde

    assert max(cell_len(line) for line in done.stdout.splitlines()) <= 40
    assert "0.4750" in done.stdout


def test_broken_pipe_is_quiet(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    command = f"{sys.executable} -m lstm_trace step --x=0.1,0.2 --hidden-size 2000 --weights random --json | head -c 100"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.stdout.startswith('{"format": "lstm-trace/2"')
    assert "Error" not in done.stderr and "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_output_file_gets_ordinary_permissions(cli, tmp_path):
    import os

    out = tmp_path / "trace.json"
    cli("step", "--preset", "seed-question", "--output", str(out))
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


# --- every cell -----------------------------------------------------------------------------------------------

X, H = "--x=0.5,-1,2", "--h=0.1,-0.2,0.3,0.4"
OPTION_CASES = [
    ([], CellOptions()),
    (["--variant", "peephole"], CellOptions(variant="peephole")),
    (["--variant", "cifg"], CellOptions(variant="cifg")),
    (["--forget-bias", "-1.5"], CellOptions(forget_bias=-1.5)),
    (["--forget-bias=2"], CellOptions(forget_bias=2.0)),
    (["--cell-clip", "0.05"], CellOptions(cell_clip=0.05)),
    (["--preact-clip", "0.2"], CellOptions(preact_clip=0.2)),
    (["--gate-activation", "hard_sigmoid"], CellOptions(gate_activation="hard_sigmoid")),
    (["--cell-activation", "relu"], CellOptions(cell_activation="relu")),
    (["--variant", "gru"], CellOptions(variant="gru")),
    (["--variant", "gru", "--gru-reset-before"], CellOptions(variant="gru", gru_reset_before=True)),
]


@pytest.mark.parametrize("args, cell", OPTION_CASES, ids=lambda v: " ".join(v) or "plain" if isinstance(v, list) else "")
def test_each_option_reaches_the_cell(cli, args, cell):
    c_prev = ["--c=1,2,-3,0.5"] if cell.has_cell_state else []  # a GRU takes no C
    result = cli("step", X, H, "--weights", "random", "--seed", "4", *c_prev, *args, "--json")
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    assert content["variant"] == cell.variant and content["cell_options"] == cell.to_dict()
    x, h = [0.5, -1, 2], [0.1, -0.2, 0.3, 0.4]
    if cell.variant == "gru":
        expected = cell_step(gru_preset("random", 4, 3, seed=4), x, h, cell=cell)
    else:
        expected = cell_step(
            lstm_preset("random", 4, 3, seed=4, peepholes=cell.variant == "peephole"), x, h, [1, 2, -3, 0.5], cell
        )
    np.testing.assert_array_equal(content["steps"][0]["h"], expected.h)


def test_projection_on_the_command_line(cli):
    result = cli("step", X, "--h=0.1,-0.2", "--hidden-size", "4", "--proj-size", "2", "--weights", "random", "--json")
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    step = content["steps"][0]
    assert len(step["h"]) == 2 and len(step["c"]) == 4 and len(step["concat"]) == 5 and len(step["h_unprojected"]) == 4
    expected = cell_step(
        lstm_preset("random", 4, 3, proj_size=2), [0.5, -1, 2], [0.1, -0.2], None, CellOptions(proj_size=2)
    )
    np.testing.assert_array_equal(step["h"], expected.h)
    tables = cli("step", X, "--hidden-size", "4", "--proj-size", "2", "--weights", "random").output
    assert "Projection   hₜ = W_hr·mₜ" in tables and "(2 from hₜ₋₁, then 3 from xₜ)" in tables
    assert "h projected to P = 2" in tables and "zeros (P = 2)" in tables


def test_gru_tables_have_no_cell_state(cli):
    out = cli("step", "--preset", "seed-question", "--variant", "gru").output
    for title in ("Reset gate", "Update gate", "New state", "New hidden state"):
        assert title in out
    assert "no cell state" in out and "Cₜ = [" not in out and "hₜ = [" in out
    assert "Concatenation" not in out and "Forget gate" not in out
    one = cli("step", "--preset", "seed-question", "--variant", "gru", "--stage", "new").output
    assert "New state   nₜ = tanh(W_in·xₜ + b_in + rₜ ⊙ (W_hn·hₜ₋₁ + b_hn))" in one and "Reset gate" not in one


@pytest.mark.parametrize("flag", ["--diagram", "--interactive"])
def test_the_figure_and_the_walk_draw_every_cell(cli, flag):
    result = cli("step", "--preset", "seed-question", "--variant", "gru", flag, input="q\n")
    assert result.exit_code == 0 and "GRU cell, t = 1" in result.output


def test_real_process_exit_codes_for_every_cell(run_cli):
    done = run_cli("step", "--preset", "seed-question", "--variant", "gru", "--precision", "6")
    assert done.returncode == 0, done.stderr
    # unit 0 by hand: h_(t-1)[0] = 0, so h = (1 - σ(-0.1))·tanh(-0.1) = 0.524979·(-0.099668) = -0.052324
    assert "hₜ = [-0.052324" in done.stdout
    bad = run_cli("step", "--preset", "seed-question", "--variant", "gru", "--c", "1,2,3,4,5")
    assert bad.returncode == 2 and "no cell state" in bad.stderr and "Traceback" not in bad.stderr
    small = run_cli("step", "--x", "1,2", "--hidden-size", "3", "--proj-size", "3")
    assert small.returncode == 2 and "must be smaller than the hidden size H = 3" in small.stderr
