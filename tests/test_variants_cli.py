"""`step`, `show` and `explain` with --variant and the cell options: wiring, output, and every error path."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framework_models import one_line
from lstm_trace.stages import layout_for
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.stages.pages import PAGES
from lstm_trace.weights.presets import gru_preset, lstm_preset

X, H = "--x=0.5,-1,2", "--h=0.1,-0.2,0.3,0.4"
OPTION_CASES = [
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


@pytest.mark.parametrize("args, cell", OPTION_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
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


SAVED = [
    ["--variant", "peephole", "--c=1,-1,0.5,2,0"],
    ["--variant", "cifg", "--forget-bias", "1"],
    ["--variant", "gru", "--gru-reset-before"],
    ["--cell-clip", "0.1", "--preact-clip", "0.5"],
    ["--hidden-size", "7", "--proj-size", "3", "--weights", "random"],
]


@pytest.mark.parametrize("args", SAVED)
def test_show_draws_a_saved_variant_trace_as_step_did(cli, tmp_path, args):
    out = tmp_path / "trace.json"
    step = cli("step", "--preset", "seed-question", *args, "--output", str(out))
    assert step.exit_code == 0, step.output
    shown = cli("show", str(out))
    assert shown.exit_code == 0 and shown.output == step.output


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


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["--hidden-size", "4", "--proj-size", "4"], 2, "--proj-size 4 must be smaller than the hidden size H = 4"),
        (["--proj-size", "2"], 2, "give the cell's size with --hidden-size H"),
        (["--hidden-size", "4", "--proj-size", "2", "--h", "1,2,3"], 2, "--h has shape (3,)"),
        (["--proj-size", "0", "--hidden-size", "4"], 2, "--proj-size must be a positive whole number"),
        (["--variant", "gru", "--c", "1,2,3,4"], 2, "a GRU has no cell state"),
        (["--variant", "gru", "--forget-bias", "1"], 2, "--forget-bias does not apply to --variant gru"),
        (
            ["--variant", "gru", "--cell-clip", "1", "--proj-size", "2"],
            2,
            "--cell-clip, --proj-size do not apply to --variant gru",
        ),
        (["--gru-reset-before"], 2, "--gru-reset-before only applies to --variant gru"),
        (["--variant", "rnn"], 2, "--variant 'rnn' is not known; choose one of lstm, peephole, cifg, gru"),
        (
            ["--gate-activation", "relu"],
            2,
            "--gate-activation 'relu' is not known; choose one of sigmoid, hard_sigmoid",
        ),
        (["--cell-activation", "gelu"], 2, "--cell-activation 'gelu' is not known"),
        (["--cell-clip", "0"], 2, "--cell-clip must be a positive number"),
        (["--preact-clip", "-1"], 2, "--preact-clip must be a positive number"),
        (
            ["--variant", "gru", "--stage", "forget"],
            2,
            "There is no stage 'forget'. Stages: reset, update, new, hidden",
        ),
        (["--stage", "projection"], 2, "There is no stage 'projection'"),
    ],
)
def test_invalid_combinations(cli, args, code, fragment):
    sized = any(option in args for option in ("--hidden-size", "--h", "--proj-size"))
    result = cli("step", X, *args) if sized else cli("step", X, "--hidden-size", "4", *args)
    assert result.exit_code == code, result.output
    assert fragment in result.output
    assert "Traceback" not in result.output


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


@pytest.mark.parametrize("variant", ["peephole", "cifg", "gru"])
def test_each_variant_has_an_explain_page(cli, variant):
    result = cli("explain", variant)
    assert result.exit_code == 0, result.output
    page = PAGES[variant]
    assert page.title in result.output and "What changes" in result.output and "Why it was proposed" in result.output
    for stage in layout_for(CellOptions(variant=variant)).stages:
        assert stage.equation in result.output
    assert "Worked example: The seed question" in result.output
    # unit 0, unless a term the cell adds is zero there: the GRU resets h_(t-1), and the seed question's
    # h_(t-1)[0] is 0, so its example is unit 1; cifg adds no such term, and the peephole's C_(t-1) is zero everywhere
    assert f"Unit {1 if variant == 'gru' else 0}:" in result.output
    assert "plain LSTM  hₜ = [-0.0225, 0.2957, 0.0594, -0.0119, 0.2561]" in result.output  # the same worked example
    assert cli("explain", "variant", "--variant", variant).output == result.output


def test_option_pages_and_the_difference_between_the_clips(cli):
    out = cli("explain", "variant", "--forget-bias", "1", "--cell-clip", "1", "--preact-clip", "2", "--gate-activation",
              "hard_sigmoid", "--cell-activation", "relu").output  # fmt: skip
    for key in ("forget_bias", "cell_clip", "preact_clip", "gate_activation", "cell_activation"):
        assert PAGES[key].title in out
    assert "Not --preact-clip: that one clips the gates'" in out and "Not --cell-clip: that one clips Cₜ" in out
    assert "fₜ = hardσ(clip(W_f·z + b_f + 1, ±2))" in out
    # unit 0: W_f·z = h[0] + x[0] = -0.1, b_f = 0, B = 1: hardσ(0.9) = 0.2·0.9 + 0.5 = 0.68
    assert "fₜ[0] = hardσ(-0.1000 + 0.0000 + 1.0000) = hardσ(clip(0.9000, ±2)) = hardσ(0.9000) = 0.6800" in out


def test_explain_one_stage_of_a_variant(cli):
    out = cli("explain", "forget", "--variant", "peephole", "--c", "0,0,2,0,0").output
    assert "fₜ = σ(W_f·z + p_f ⊙ Cₜ₋₁ + b_f)" in out and "Watch out" in out
    # unit 2, the first with h_(t-1) and C_(t-1) both non-zero: W_f·z = 0.1 + 0.1, p_f·C = 1·2, σ(2.2) = 0.9002
    assert "fₜ[2] = σ(0.2000 + 2.0000 + 0.0000) = σ(2.2000) = 0.9002" in out
    gru = cli("explain", "new", "--variant", "gru", "--gru-reset-before").output
    assert "Cho et al. 2014" in gru and "rₜ ⊙ hₜ₋₁" in gru
    proj = cli("explain", "projection", "--proj-size", "2", "--hidden-size", "4", "--weights", "random").output
    assert "W_hr (P, H) = (2, 4)" in proj and "hₜ[0] = W_hr[0, :]·mₜ =" in proj


def test_explain_errors(cli):
    conflict = cli("explain", "gru", "--variant", "cifg")
    assert conflict.exit_code == 2 and "cannot be combined with --variant cifg" in conflict.output
    missing = cli("explain", "forget", "--variant", "gru")
    assert missing.exit_code == 2 and "There is no stage 'forget'" in missing.output


def test_real_process_exit_codes_without_traceback(run_cli):
    done = run_cli("step", "--preset", "seed-question", "--variant", "gru", "--precision", "6")
    assert done.returncode == 0, done.stderr
    # unit 0 by hand: h_(t-1)[0] = 0, so h = (1 - σ(-0.1))·tanh(-0.1) = 0.524979·(-0.099668) = -0.052324
    assert "hₜ = [-0.052324" in done.stdout
    bad = run_cli("step", "--preset", "seed-question", "--variant", "gru", "--c", "1,2,3,4,5")
    assert bad.returncode == 2 and "no cell state" in bad.stderr and "Traceback" not in bad.stderr
    small = run_cli("step", "--x", "1,2", "--hidden-size", "3", "--proj-size", "3")
    assert small.returncode == 2 and "must be smaller than the hidden size H = 3" in small.stderr


@pytest.mark.parametrize("preset", ["seed-question", "long-memory", "forget-everything", "concat-not-sum"])
def test_variant_inputs_resolve_like_the_plain_ones(cli, preset):
    """The variant path resolves presets, defaults and weights as the plain path does: same h, x, C, W and b."""
    plain = json.loads(cli("step", "--preset", preset, "--json").output)
    peephole = json.loads(cli("step", "--preset", preset, "--variant", "peephole", "--json").output)
    assert peephole["title"] == plain["title"] and peephole["notes"] == plain["notes"]
    for key in ("x", "h_prev", "c_prev", "concat"):
        assert peephole["steps"][0][key] == plain["steps"][0][key], key
    for gate in ("forget", "input", "candidate", "output"):
        for part in ("wz", "bias"):
            assert peephole["steps"][0][gate][part] == plain["steps"][0][gate][part], (gate, part)


def test_commands_that_know_only_the_plain_cell_say_so(cli, tmp_path):
    for flag in ("--diagram", "--interactive"):  # these draw every cell now (issue 7's variant figures)
        result = cli("step", "--preset", "seed-question", "--variant", "gru", flag, input="q\n")
        assert result.exit_code == 0 and "GRU cell, t = 1" in result.output
    paths = {}
    for name, args in (("gru", ["--variant", "gru"]), ("gru2", ["--variant", "gru", "--x=1,1,1,1,1"]), ("cifg", ["--variant", "cifg"])):
        paths[name] = tmp_path / f"{name}.json"
        assert cli("step", "--preset", "seed-question", *args, "--output", str(paths[name])).exit_code == 0
    different = cli("diff", str(paths["gru"]), str(paths["cifg"]))
    assert different.exit_code == 1 and "were made by different cells (variant 'gru' against 'cifg')" in different.output
    gru = cli("diff", str(paths["gru"]), str(paths["gru2"]))
    assert gru.exit_code == 1 and "cannot compare GRU traces yet" in gru.output and "Traceback" not in gru.output
