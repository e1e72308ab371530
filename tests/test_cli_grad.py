"""`lstm-trace grad` for every cell: its tables, the gradients in the JSON steps and `show` of them, through
time, errors, and `explain grad/carousel`, through Typer's CliRunner and as a real process.

The numbers are checked against PyTorch autograd (the plain LSTM) and, for every cell, without the
backward code: against central finite differences of the forward pass that `step --json` itself prints.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from lstm_trace import LSTM, LSTMTraceError, LSTMWeights, presets, trace_from_json
from lstm_trace.cells.rnn import random_rnn
from lstm_trace.cells.step import cell_backward, cell_step
from lstm_trace.engine.step import resolve_inputs
from lstm_trace.render.grad import backward_views
from lstm_trace.render.tables import TableOptions
from lstm_trace.stages import BACKWARD_STAGES, GRAD_TOPICS
from lstm_trace.weights.presets import lstm_preset
from tests.framework_models import one_line
from tests.test_fuzz_readers import mutate_json
from tests.torch_backward import rnn_cell_through_time, torch_lstm_through_time, torch_step_gradients

SEED_H = [0, 0.5, 0.1, 0.2, 0.6]
SEED_X = [-0.1, 0.3, 0.1, -0.25, 0.1]
DH, DC = "0.5,-1,2,0.25,1", "1,0,-0.5,0.3,0.2"
XS_TWO_INPUTS = "0.5,-0.2;0.1,0.9;-0.7,0.3;0.2,0.2;1.0,-1.0;0.0,0.4"  # T = 6, I = 2

# Every cell on the same random weights (H = 4) and inputs (I = 3).
COMMON = ["--weights", "random", "--hidden-size", "4", "--seed", "3"]
X = "0.5,-0.2,0.9"
XS_THREE_INPUTS = "0.5,-0.2,0.9;0.1,0.9,-0.4;-0.7,0.3,0.2;0.2,0.2,0.1"  # T = 4, I = 3
H_PREV = "0.1,-0.3,0.2,0.4"
C_PREV = "0.3,0.1,-0.2,0.5"
CELLS = {
    "lstm": [],
    "peephole": ["--variant", "peephole"],
    "cifg": ["--variant", "cifg"],
    "cell clip": ["--cell-clip", "0.3"],
    "preact clip": ["--preact-clip", "0.4"],
    "hard sigmoid, softsign": ["--gate-activation", "hard_sigmoid", "--cell-activation", "softsign"],
    "gru": ["--variant", "gru"],
    "gru reset before": ["--variant", "gru", "--gru-reset-before"],
}


def seed_reference(d_h=np.ones(5), d_c=np.zeros(5)):
    return torch_step_gradients(presets.identity(5, 5), SEED_X, SEED_H, np.zeros(5), d_h, d_c)


def _state_options(options):
    return ["--h", H_PREV] + ([] if "gru" in options else ["--c", C_PREV])


# --- the tables ---------------------------------------------------------------------------------------------


def test_every_backward_stage_in_reverse_order_with_the_defaults_said(cli):
    result = cli("grad", "--preset", "seed-question")
    assert result.exit_code == 0, result.output
    positions = [result.output.index(stage.title) for stage in BACKWARD_STAGES]
    assert positions == sorted(positions)
    assert "∂L/∂hₜ was not given (--dh), so it is ones: the loss is L = Σ hₜ." in result.output
    assert "zeros: no step follows" in result.output
    # The backward pass as derived by hand from the forward equations (typed here, not read from the registry).
    for equation in (
        "∂L/∂oₜ = ∂L/∂hₜ ⊙ tanh(Cₜ)",
        "∂L/∂Cₜ = ∂L/∂Cₜ(from t+1) + ∂L/∂hₜ ⊙ oₜ ⊙ tanh′(Cₜ)",
        "δ_o = ∂L/∂oₜ ⊙ σ′(…)",
        "∂L/∂fₜ = ∂L/∂Cₜ ⊙ Cₜ₋₁",
        "∂L/∂iₜ = ∂L/∂Cₜ ⊙ C̃ₜ",
        "∂L/∂C̃ₜ = ∂L/∂Cₜ ⊙ iₜ",
        "tanh′(…) = 1 − C̃ₜ²",
        "σ′(…) = fₜ(1 − fₜ)",
        "∂L/∂W_g = δ_g zᵀ",
        "∂L/∂z = W_fᵀδ_f + W_iᵀδ_i + W_cᵀδ_c + W_oᵀδ_o",
        "∂L/∂hₜ₋₁ = (∂L/∂z)[:H]",
        "∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ",
    ):
        assert equation in result.output, equation
    for stage in BACKWARD_STAGES:  # and every registry line reaches the screen
        for equation in stage.equations:
            assert equation in result.output


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


def test_one_stage_only(cli):
    out = cli("grad", "--preset", "long-memory", "--stage", "carousel").output
    assert "The constant error carousel" in out and "Back through the hidden state" not in out
    assert "██████████" in out  # f ≈ 0.998: a full bar


def test_one_stage_and_a_stage_the_cell_does_not_have(cli):
    shown = cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--stage", "new")
    assert shown.exit_code == 0 and "Back through the new state" in shown.output
    assert "Back through the reset gate" not in shown.output
    missing = cli("grad", *COMMON, *CELLS["gru"], "--x", X, "--stage", "carousel")
    assert missing.exit_code == 2 and "There is no stage 'carousel'" in one_line(missing.output)


def test_weights_stage_shows_the_matrices(cli):
    out = cli("grad", "--preset", "concat-not-sum", "--stage", "weights").output
    for letter in "fico":
        assert f"∂L/∂W_{letter} = δ_{letter} zᵀ   (3 × 5)" in out


def test_large_hidden_size_is_summarised(cli):
    out = cli("grad", "--x", "1,2", "--hidden-size", "300", "--weights", "random").output
    assert "⋮" in out and "mean" in out
    assert len(out.splitlines()) < 400


def test_float32(cli):
    content = json.loads(cli("grad", "--preset", "seed-question", "--dtype", "float32", "--json").output)
    d_x = content["steps"][0]["backward"]["d_x"]
    assert content["dtype"] == "float32" and np.array(d_x, dtype=np.float32).tolist() == d_x


def test_export_saves_what_was_shown(cli, tmp_path):
    path = tmp_path / "grad.txt"
    result = cli("grad", "--preset", "long-memory", "--stage", "carousel", "--export", str(path))
    assert result.exit_code == 0, result.output
    assert "The constant error carousel" in path.read_text()
    refused = cli("grad", "--preset", "long-memory", "--json", "--export", str(tmp_path / "g.svg"))
    assert refused.exit_code == 2 and "--export saves the tables" in refused.output


# --- the numbers: against PyTorch autograd, and finite differences of the forward pass ----------------------


@pytest.mark.framework
def test_printed_results_are_torchs_numbers(cli):
    out = cli("grad", "--preset", "seed-question", "--precision", "6").output
    reference = seed_reference()
    for name, symbol in (("d_h_prev", "∂L/∂hₜ₋₁"), ("d_x", "∂L/∂xₜ"), ("d_c_prev", "∂L/∂Cₜ₋₁")):
        expected = "[" + ", ".join(f"{v:.6f}" for v in reference[name]) + "]"
        assert f"{symbol} = {expected}" in out


@pytest.mark.framework
def test_json_backward_block_matches_torch_autograd(cli):
    result = cli("grad", "--preset", "seed-question", "--dh", DH, "--dc", DC, "--json")
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    assert content["format"] == "lstm-trace/2"
    backward = content["steps"][0]["backward"]
    for key in ("d_h_prev", "d_c_prev", "d_x"):
        assert isinstance(backward[key], list)
    reference = seed_reference(np.array([0.5, -1, 2, 0.25, 1]), np.array([1, 0, -0.5, 0.3, 0.2]))
    for gate in ("forget", "input", "candidate", "output"):
        assert {"d_preact", "d_W", "d_b"} <= set(backward[gate])
        np.testing.assert_allclose(backward[gate]["d_preact"], reference[f"{gate}.d_preact"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(backward[gate]["d_W"], reference[f"{gate}.d_W"], rtol=0, atol=1e-12)
        np.testing.assert_allclose(backward[gate]["d_b"], reference[f"{gate}.d_b"], rtol=0, atol=1e-12)
    for key in ("d_h_prev", "d_c_prev", "d_x", "d_c", "d_z"):
        np.testing.assert_allclose(backward[key], reference[key], rtol=0, atol=1e-12)
    assert backward["d_h"] == [0.5, -1, 2, 0.25, 1] and backward["d_c_carried"] == [1, 0, -0.5, 0.3, 0.2]
    assert content["notes"] == ["C_(t-1) was not given, so it is assumed to be zeros."]  # dh, dc were given


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
    assert content["variant"] == ("gru" if "gru" in options else options[1] if options[:1] == ["--variant"] else "lstm")


@pytest.mark.framework
def test_forget_bias_is_added_and_recorded(cli):
    content = json.loads(cli("grad", "--preset", "concat-not-sum", "--forget-bias", "2", "--json").output)
    assert content["weights"]["forget_bias"] == 2.0
    assert any("--forget-bias 2 was added" in note for note in content["notes"])
    inputs = resolve_inputs(preset="concat-not-sum")
    w = inputs.weights
    raised = LSTMWeights(W=w.W, b={**w.b, "forget": w.b["forget"] + 2}, provenance={})
    reference = torch_step_gradients(raised, inputs.x, inputs.h_prev, inputs.c_prev, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(content["steps"][0]["backward"]["d_c_prev"], reference["d_c_prev"], rtol=0, atol=1e-12)


def test_the_forget_bias_folded_into_b_f_is_the_run_time_forget_bias(cli):
    # grad adds --forget-bias to b_f; step adds it at run time inside σ: the same forward pass ...
    folded = json.loads(cli("grad", *COMMON, *CELLS["peephole"], "--x", X, "--forget-bias", "1.5", "--json").output)
    run_time = json.loads(cli("step", *COMMON, *CELLS["peephole"], "--x", X, "--forget-bias", "1.5", "--json").output)
    np.testing.assert_allclose(folded["steps"][0]["h"], run_time["steps"][0]["h"], rtol=0, atol=1e-15)
    # ... and the same gradients as the backward pass of the cell with the run-time bias
    cell = LSTM(peephole=True, forget_bias=1.5)
    weights = lstm_preset("random", 4, 3, seed=3, peepholes=True)
    x = np.array([float(v) for v in X.split(",")])
    expected = cell_backward(cell_step(weights, x, None, None, cell), weights, np.ones(4), np.zeros(4))
    got = folded["steps"][0]["backward"]
    np.testing.assert_allclose(got["d_x"], expected.d_x, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got["forget"]["d_W"], expected.forget.d_W, rtol=0, atol=1e-14)
    np.testing.assert_allclose(got["peephole"]["forget"], expected["peephole.forget"], rtol=0, atol=1e-14)


# --- through time -------------------------------------------------------------------------------------------


@pytest.mark.framework
def test_through_time_json_norms_match_torch(cli):
    result = cli("grad", "--xs", XS_TWO_INPUTS, "--hidden-size", "4", "--weights", "random", "--seed", "3",
                 "--dh", "1,-1,0.5,2", "--dc", "0.1,0.2,0.3,0.4", "--compare-rnn", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    content = json.loads(result.output)
    xs = np.array([[float(v) for v in row.split(",")] for row in XS_TWO_INPUTS.split(";")])
    d_h, d_c = np.array([1, -1, 0.5, 2]), np.array([0.1, 0.2, 0.3, 0.4])
    d_h_ref, d_c_ref = torch_lstm_through_time(presets.random(4, 2, seed=3), xs, np.zeros(4), np.zeros(4), d_h, d_c)
    block = content["through_time"]
    assert block["t"] == list(range(7)) and block["loss"] == "L = Σ dh ⊙ h_T + Σ dc ⊙ C_T"
    np.testing.assert_allclose(block["d_h_norm"], np.linalg.norm(d_h_ref, axis=1), rtol=1e-12)
    np.testing.assert_allclose(block["d_c_norm"], np.linalg.norm(d_c_ref, axis=1), rtol=1e-12)
    for t, step in enumerate(content["steps"], start=1):
        assert step["t"] == t
        np.testing.assert_allclose(step["backward"]["d_h"], d_h_ref[t], rtol=0, atol=1e-12)
    rnn = random_rnn(4, 2, seed=3)
    rnn_ref = rnn_cell_through_time(rnn.W, rnn.b, xs, np.zeros(4), d_h)
    np.testing.assert_allclose(block["rnn"]["d_h_norm"], np.linalg.norm(rnn_ref, axis=1), rtol=1e-12)
    assert block["rnn"]["weights"]["seed"] == 3


@pytest.mark.framework
def test_through_time_table_counts_down_to_zero_with_the_rnn_beside(cli):
    out = cli("grad", "--xs", XS_TWO_INPUTS, "--hidden-size", "4", "--weights", "random", "--compare-rnn", "--precision", "6").output
    rows = [line.split() for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
    assert [int(row[0]) for row in rows] == [6, 5, 4, 3, 2, 1, 0]
    xs = np.array([[float(v) for v in row.split(",")] for row in XS_TWO_INPUTS.split(";")])
    d_h_ref, _ = torch_lstm_through_time(presets.random(4, 2, seed=0), xs, np.zeros(4), np.zeros(4), np.ones(4), np.zeros(4))
    norms = np.linalg.norm(d_h_ref, axis=1)
    assert [row[1] for row in rows] == [f"{norms[t]:.6f}" for t in range(6, -1, -1)]
    assert "RNN" in out and "‖∂L/∂h₀‖ / ‖∂L/∂h_T‖" in out
    assert "L = Σ h_T" in out


@pytest.mark.parametrize("name", ["lstm", "peephole", "gru"])
def test_through_time_the_norms_start_at_the_upstream_gradient(cli, name):
    result = cli("grad", *COMMON, *CELLS[name], "--xs", XS_THREE_INPUTS, "--json")
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
    table = one_line(cli("grad", *COMMON, *CELLS[name], "--xs", XS_THREE_INPUTS, "--compare-rnn").output)
    label = "GRU" if name == "gru" else "LSTM"
    assert f"{label} ‖∂L/∂h₀‖ / ‖∂L/∂h_T‖ = " in table and "RNN ‖∂L/∂h₀‖ / ‖∂L/∂h_T‖ = " in table
    assert ("‖∂L/∂C₀‖ / ‖∂L/∂C_T‖" in table) is (name != "gru")


def test_sequence_from_stdin_and_stage_per_step(run_cli):
    result = run_cli("grad", "--xs", "-", "--hidden-size", "2", "--stage", "carousel", input="0.1,0.2\n0.3,0.4\n0.5,0.6\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.index("Backward through t = 3") < out.index("Backward through t = 2") < out.index("Backward through t = 1")


# --- the JSON steps' backward block, and show ---------------------------------------------------------------


def test_json_round_trip_is_exact_and_show_renders_the_gradients(cli, tmp_path):
    path = tmp_path / "grad.json"
    shown = cli("grad", "--preset", "concat-not-sum", "--dh", "1,-1,0.5", "--output", str(path))
    assert shown.exit_code == 0 and "The constant error carousel" in shown.output  # --output keeps the tables
    written = json.loads(path.read_text())
    back = trace_from_json(path.read_text())
    step = back.steps[0]
    np.testing.assert_array_equal(step.backward.d_x, written["steps"][0]["backward"]["d_x"])
    np.testing.assert_array_equal(step.backward.output.d_W, written["steps"][0]["backward"]["output"]["d_W"])
    assert step.backward.output.d_W.shape == (3, 5)
    out = cli("show", str(path)).output
    assert "Forget gate" in out  # the forward tables, then the backward ones
    for stage in BACKWARD_STAGES:
        assert stage.title in out
    assert out.index("New hidden state") < out.index("Back through the hidden state")
    assert "∂L/∂xₜ = [" in out


@pytest.mark.parametrize("name", ["lstm", "cifg", "gru"])
def test_show_reads_a_grad_trace_back_with_its_gradients(cli, tmp_path, name):
    path = tmp_path / "grad.json"
    printed = cli("grad", *COMMON, *CELLS[name], "--x", X, "--output", str(path))
    assert printed.exit_code == 0, printed.output
    shown = cli("show", str(path))
    assert shown.exit_code == 0, shown.output
    title = {"lstm": "One LSTM step", "cifg": "One CIFG LSTM step", "gru": "One GRU step"}[name]
    assert title in shown.output
    # the backward tables, as grad printed them after its header
    tables = printed.output[printed.output.index("Back through"):]
    assert tables in shown.output


def test_show_of_a_forward_trace_has_no_backward_part(cli, tmp_path):
    path = tmp_path / "step.json"
    cli("step", "--preset", "seed-question", "--output", str(path))
    assert trace_from_json(path.read_text()).steps[0].backward is None
    assert "Back through" not in cli("show", str(path)).output


GRAD_JSON = {"concat-not-sum": ["--preset", "concat-not-sum"], "gru": [*COMMON, *CELLS["gru"], "--x", X]}


@pytest.mark.parametrize(
    "trace, mutate, fragment",
    [
        ("concat-not-sum", lambda b: b.pop("d_x"), "steps[0].backward.d_x is missing"),
        ("concat-not-sum", lambda b: b["forget"].pop("d_W"), "steps[0].backward.forget.d_W is missing"),
        ("concat-not-sum", lambda b: b["input"].update(d_W=[[1, 2], [3, 4]]),
         "backward.input.d_W must be a list of lists of numbers of shape 3 × 5"),
        ("concat-not-sum", lambda b: b.update(d_c_prev=[1, 2]), "backward.d_c_prev must be a list of numbers of shape 3"),
        ("concat-not-sum", lambda b: b.update(output="x"), "steps[0].backward.output.d_preact is missing"),
        ("concat-not-sum", lambda b: b.update(d_h=[1, "a", 3]), "backward.d_h must be a list of numbers"),
        ("gru", lambda b: b.update(d_x=["a", 1]), "steps[0].backward.d_x"),
    ],
)  # fmt: skip
def test_bad_backward_blocks_are_data_errors(cli, tmp_path, trace, mutate, fragment):
    content = json.loads(cli("grad", *GRAD_JSON[trace], "--json").output)
    mutate(content["steps"][0]["backward"])
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    result = cli("show", str(path))
    assert result.exit_code == 1
    assert fragment in result.output and "Traceback" not in result.output


def test_informative_fields_may_be_missing(cli):
    content = json.loads(cli("grad", "--preset", "concat-not-sum", "--json").output)
    backward = content["steps"][0]["backward"]
    for key in ("d_h", "d_c_carried", "c_tanh_local", "d_c", "d_z"):
        del backward[key]
    for gate in ("forget", "input", "candidate", "output"):
        for key in ("d_act", "local", "d_z"):
            del backward[gate][key]
    trace = trace_from_json(json.dumps(content))
    assert trace.steps[0].backward.d_c is None
    console = Console(file=io.StringIO(), width=100)
    for view in backward_views(trace, TableOptions()):
        console.print(view)
    assert "The constant error carousel" in console.file.getvalue()


def test_a_backward_block_of_another_cell_is_refused(cli):
    content = json.loads(cli("step", "--preset", "seed-question", "--variant", "gru", "--json").output)
    grad = json.loads(cli("grad", "--preset", "seed-question", "--json").output)
    content["steps"][0]["backward"] = grad["steps"][0]["backward"]  # an LSTM's gradients, same sizes (H = I = 5)
    with pytest.raises(LSTMTraceError, match=r"steps\[0\]\.backward\.reset\.d_preact is missing"):
        trace_from_json(json.dumps(content))


GRAD_CORPUS = Path(__file__).parent / "fuzz_corpus" / "trace-grad-concat-not-sum.json"  # grad --json output


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_grad_traces_are_read_or_refused_cleanly(seed):
    content, rng = json.loads(GRAD_CORPUS.read_text()), random.Random(seed)
    if seed % 2:  # half the time somewhere in the backward block itself
        content["steps"][0]["backward"] = mutate_json(content["steps"][0]["backward"], rng)
    else:
        content = mutate_json(content, rng)
    try:
        trace = trace_from_json(json.dumps(content))
    except LSTMTraceError as error:
        assert str(error)
        return
    console = Console(file=io.StringIO(), width=100)  # whatever was read, it renders
    for view in backward_views(trace, TableOptions()):
        console.print(view)


# --- errors -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["--dh", "1,2"], 2, "--dh has 2 entries, but the hidden state has H = 5 units, so --dh must have shape (5,)"),
        (["--dc", "1,2,3,4,5,6"], 2, "--dc has 6 entries"),
        (["--dh", "1,x,1,1,1"], 2, "--dh '1,x,1,1,1': entry 2, 'x', is not a number"),
        (["--compare-rnn"], 2, "--compare-rnn compares gradients through time: give a sequence with --xs"),
        (["--x", "1,2", "--xs", "1,2;3,4"], 2, "Give either --x (one step) or --xs (a sequence), not both"),
        (["--xs", "1,2;3"], 2, "is ragged: step 1 has 2 values but step 2 has 1"),
        (["--stage", "keep"], 2, "There is no stage 'keep'. Stages: hidden, output, cell"),
        (["--xs", "1,2,3;4,5,6", "--weights", "{weights}"], 2, "each step of --xs has shape (3,)"),
        (["--xs", "@{missing}"], 2, "does not exist"),
        ([*COMMON, *CELLS["gru"], "--x", X, "--dc", "1,1,1,1"], 2, "A GRU has no cell state C"),
        ([*COMMON, "--proj-size", "2", "--x", X, "--dh", "1,1,1,1"], 2, "must have shape (2,)"),
        ([*COMMON, *CELLS["gru"], "--x", X, "--forget-bias", "1"], 2, "a GRU has none"),
    ],
)
def test_errors_have_exit_codes_and_no_traceback(run_cli, tmp_path, args, code, fragment):
    weights = tmp_path / "w.npz"
    np.savez(weights, **presets.random(3, 2).as_arrays())
    args = [a.format(weights=weights, missing=tmp_path / "none.npy") for a in args]
    preset = [] if any(a.startswith("--x") for a in args) else ["--preset", "seed-question"]
    result = run_cli("grad", *preset, *args)
    assert result.returncode == code, result.stderr
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


# --- explain grad and carousel ------------------------------------------------------------------------------


def test_explain_grad_walks_unit_zero_back_with_the_users_numbers(cli):
    out = cli("explain", "grad").output
    topic = GRAD_TOPICS["grad"]
    assert topic.title in out and "Watch out" in out and "Worked example" in out
    for stage in BACKWARD_STAGES:
        for code in stage.numpy:
            assert code in out
    # Seed question, unit 0 by hand: C = i·C̃ = σ(-0.1)·tanh(-0.1), ∂L/∂C = o·(1 − tanh²C), ∂L/∂C₋₁ = ∂L/∂C·f.
    s, c = 1 / (1 + np.exp(0.1)), np.tanh(-0.1) / (1 + np.exp(0.1))
    d_c = s * (1 - np.tanh(c) ** 2)
    assert f"∂L/∂Cₜ₋₁[0] = ∂L/∂Cₜ[0] × fₜ[0] = {d_c:.4f} × {s:.4f} = {d_c * s:.4f}" in out


def test_explain_carousel_with_a_saturated_forget_gate(cli):
    out = cli("explain", "carousel", "--preset", "long-memory").output
    assert "The constant error carousel" in out and "∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ" in out
    f = 1 / (1 + np.exp(-(0.2 + 0.5 + 6)))  # unit 0: identity weights, h + x + b_f
    assert f"{f:.4f}" in out and f"{f**100:.4f}" in out  # fₜ and what 100 steps keep
    assert f"{np.log(0.5) / np.log(f):.0f} steps" in out
    assert "7.889e-31" in out  # 0.5¹⁰⁰ for a gate at σ(0)


def test_explain_carousel_suggests_a_long_memory_when_f_is_small(cli):
    assert "--preset long-memory" in cli("explain", "carousel").output


def test_explain_carousel_folds_a_forget_bias_into_b_f(cli):
    out = cli("explain", "carousel", "--forget-bias", "3").output
    assert "--forget-bias 3 was added to every b_f" not in out  # notes are not part of the carousel page
    f = 1 / (1 + np.exp(-(0.0 - 0.1 + 3)))  # seed question, unit 0: h + x = -0.1, plus the bias
    assert "∂L/∂Cₜ[0] × fₜ[0] = " in out and f"× {f:.4f} = " in out


def test_backward_explanations_are_for_the_plain_lstm(run_cli):
    result = run_cli("explain", "grad", "--variant", "gru")
    assert result.returncode == 2 and "`explain grad` follows the backward pass of the plain LSTM" in result.stderr
    assert "variant=gru" in result.stderr and "Traceback" not in result.stderr


def test_explain_still_rejects_unknown_names(run_cli):
    result = run_cli("explain", "gradient")
    assert result.returncode == 2 and "grad, carousel" in result.stderr and "Traceback" not in result.stderr
