"""`lstm-trace grad` on the variant cells: tables, the gradients in the JSON steps, BPTT, errors.

The gradients the command prints are checked without the backward code: against central
finite differences of the forward pass that `step --json` itself prints. (The backward passes
are checked against PyTorch autograd in tests/test_grad_variants_reference.py.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.cells.step import cell_backward
from lstm_trace.weights.presets import lstm_preset
from tests.framework_models import one_line

X = "0.5,-0.2,0.9"
H_PREV = "0.1,-0.3,0.2,0.4"
C_PREV = "0.3,0.1,-0.2,0.5"
CELLS = {
    "peephole": ["--variant", "peephole"],
    "cifg": ["--variant", "cifg"],
    "cell clip": ["--cell-clip", "0.3"],
    "preact clip": ["--preact-clip", "0.4"],
    "hard sigmoid, softsign": ["--gate-activation", "hard_sigmoid", "--cell-activation", "softsign"],
    "gru": ["--variant", "gru"],
    "gru reset before": ["--variant", "gru", "--gru-reset-before"],
}
COMMON = ["--weights", "random", "--hidden-size", "4", "--seed", "3"]


def _state_options(options):
    return ["--h", H_PREV] + ([] if "gru" in options else ["--c", C_PREV])


def _loss(cli, options, x) -> float:
    """L = Σ hₜ (the grad default) from the forward trace alone."""
    x_text = ",".join(repr(float(v)) for v in x)
    result = cli("step", *COMMON, *options, *_state_options(options), "--x", x_text, "--json")
    assert result.exit_code == 0, result.output
    return float(np.sum(json.loads(result.output)["steps"][0]["h"]))


WIDE_X = "4.5,-6,5.5"  # pre-activations on both sides of hard σ's kinks at ±2.5 (asserted below)


@pytest.mark.parametrize("name", list(CELLS))
def test_the_gradient_of_x_matches_finite_differences_of_the_forward_pass(cli, name):
    options = CELLS[name]
    x_text = WIDE_X if "hard_sigmoid" in options else X
    result = cli("grad", *COMMON, *options, *_state_options(options), "--x", x_text, "--json")
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    step = content["steps"][0]["backward"]
    if "hard_sigmoid" in options:  # some gate units on the flat parts (slope 0), some on the line
        preacts = np.concatenate([content["steps"][0][g]["preact"] for g in ("forget", "input", "output")])
        assert np.any(np.abs(preacts) > 2.5 + 1e-3) and np.any(np.abs(preacts) < 2.5 - 1e-3)
        assert np.all(np.abs(np.abs(preacts) - 2.5) > 1e-4)  # away from the kinks, where differences are exact
    x, eps = np.array([float(v) for v in x_text.split(",")]), 1e-6
    numeric = []
    for k in range(len(x)):
        shift = np.zeros_like(x)
        shift[k] = eps
        numeric.append((_loss(cli, options, x + shift) - _loss(cli, options, x - shift)) / (2 * eps))
    # Central differences with eps = 1e-6 on float64 JSON: truncation O(eps²) plus rounding ~1e-16/eps ≈ 1e-10;
    # 1e-9 gives that a margin (the differences pass at 1e-10 today) and still catches any wrong term.
    np.testing.assert_allclose(step["d_x"], numeric, rtol=0, atol=1e-9)
    assert content["variant"] == ("gru" if "gru" in options else options[1] if options[0] == "--variant" else "lstm")


@pytest.mark.parametrize("name", ["peephole", "gru"])
def test_the_tables_name_the_cell_and_its_stages_in_reverse(cli, name):
    result = cli("grad", *COMMON, *CELLS[name], "--x", X)
    assert result.exit_code == 0, result.output
    out = one_line(result.output)
    if name == "gru":
        assert "cell: GRU" in out
        order = ["Back through hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁", "Back through the new state", "Back through the reset gate",
                 "Back through the update gate", "Back to hₜ₋₁ and xₜ"]  # fmt: skip
    else:
        assert "cell: peephole LSTM" in out and "∂L/∂p_f" in out
        order = ["Back through the hidden state", "Back through the output gate", "Back through the cell state",
                 "Back through the forget gate", "The peepholes", "Back to hₜ₋₁ and xₜ", "The constant error carousel"]
    positions = [out.index(title) for title in order]
    assert positions == sorted(positions)
    assert "∂L/∂hₜ₋₁ = [" in out and "∂L/∂xₜ = [" in out  # what the step passes back


def test_one_stage_and_a_stage_the_cell_does_not_have(cli):
    shown = cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--stage", "new")
    assert shown.exit_code == 0 and "Back through the new state" in shown.output
    assert "Back through the reset gate" not in shown.output
    missing = cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--stage", "carousel")
    assert missing.exit_code == 2 and "There is no stage 'carousel'" in one_line(missing.output)


def test_bad_upstream_gradients_are_clear_errors(cli):
    gru_dc = cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--dc", "1,1,1,1")
    assert gru_dc.exit_code == 2 and "A GRU has no cell state C" in one_line(gru_dc.output)
    projected = cli("grad", *COMMON, "--proj-size", "2", "--x", X, "--dh", "1,1,1,1")
    assert projected.exit_code == 2 and "must have shape (2,)" in one_line(projected.output)
    gru_bias = cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--forget-bias", "1")
    assert gru_bias.exit_code == 2 and "a GRU has none" in one_line(gru_bias.output)
    assert "Traceback" not in gru_dc.output + projected.output + gru_bias.output


def test_the_forget_bias_folded_into_b_f_is_the_run_time_forget_bias(cli):
    # grad adds --forget-bias to b_f; step adds it at run time inside σ: the same forward pass ...
    folded = json.loads(cli("grad", *COMMON, *CELLS["peephole"], "--x", X, "--forget-bias", "1.5", "--json").output)
    run_time = json.loads(cli("step", *COMMON, *CELLS["peephole"], "--x", X, "--forget-bias", "1.5", "--json").output)
    np.testing.assert_allclose(folded["steps"][0]["h"], run_time["steps"][0]["h"], rtol=0, atol=1e-15)
    # ... and the same gradients as the backward pass of the cell with the run-time bias
    cell = CellOptions(variant="peephole", forget_bias=1.5)
    weights = lstm_preset("random", 4, 3, seed=3, peepholes=True)
    x = np.array([float(v) for v in X.split(",")])
    expected = cell_backward(cell_step(weights, x, None, None, cell), weights, np.ones(4), np.zeros(4))
    got = folded["steps"][0]["backward"]
    np.testing.assert_allclose(got["d_x"], expected.d_x, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got["forget"]["d_W"], expected.forget.d_W, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got["peephole"]["forget"], expected["peephole.forget"], rtol=0, atol=1e-14)


XS = "0.5,-0.2,0.9;0.1,0.9,-0.4;-0.7,0.3,0.2;0.2,0.2,0.1"


@pytest.mark.parametrize("name", ["gru", "peephole"])
def test_through_time_the_norms_start_at_the_upstream_gradient(cli, name):
    result = cli("grad", *COMMON, *CELLS[name], "--xs", XS, "--json")
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    norms = content["through_time"]
    assert norms["t"] == [0, 1, 2, 3, 4]
    assert norms["d_h_norm"][-1] == pytest.approx(2.0)  # ‖ones(4)‖: L = Σ h_T
    assert ("d_c_norm" in norms) == (name != "gru")
    assert [step["t"] for step in content["steps"]] == [1, 2, 3, 4]
    steps = [step["backward"] for step in content["steps"]]
    # step t hands ∂L/∂hₜ₋₁ to step t-1, whose upstream it is
    for earlier, later in zip(steps, steps[1:]):
        np.testing.assert_array_equal(earlier["d_h"], later["d_h_prev"])
    assert norms["d_h_norm"][0] == pytest.approx(np.linalg.norm(steps[0]["d_h_prev"]), rel=1e-12)
    table = one_line(cli("grad", *COMMON, *CELLS[name], "--xs", XS, "--compare-rnn").output)
    label = "GRU" if name == "gru" else "LSTM"
    assert f"{label} ‖∂L/∂h₀‖ / ‖∂L/∂h_T‖ = " in table and "RNN ‖∂L/∂h₀‖ / ‖∂L/∂h_T‖ = " in table
    assert ("‖∂L/∂C₀‖ / ‖∂L/∂C_T‖" in table) is (name != "gru")


@pytest.mark.parametrize("name", ["cifg", "gru"])
def test_show_reads_a_variant_grad_trace_back_with_its_gradients(cli, tmp_path, name):
    path = tmp_path / "grad.json"
    printed = cli("grad", *COMMON, *CELLS[name], "--x", X, "--output", str(path))
    assert printed.exit_code == 0, printed.output
    shown = cli("show", str(path))
    assert shown.exit_code == 0, shown.output
    title = "One GRU step" if name == "gru" else "One CIFG LSTM step"
    assert title in shown.output
    # the backward tables, as grad printed them after its header
    tables = printed.output[printed.output.index("Back through"):]
    assert tables in shown.output


def test_a_malformed_backward_block_is_a_data_error(cli, tmp_path):
    content = json.loads(cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--json").output)
    content["steps"][0]["backward"]["d_x"] = ["a", 1]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    result = cli("show", str(path))
    assert result.exit_code == 1 and "steps[0].backward.d_x" in one_line(result.output) and "Traceback" not in result.output
