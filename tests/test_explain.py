"""`lstm-trace explain`: words from the registry, numbers from the user's inputs."""

from __future__ import annotations

import math

import pytest

from lstm_trace import presets
from lstm_trace.cells import CellOptions
from lstm_trace.stages import STAGES, layout_for
from lstm_trace.stages.pages import PAGES
from tests.framework_models import one_line

# The LSTM's equations as the literature writes them, typed here rather than read from the registry.
EQUATIONS = {
    "concat": ("z = [hₜ₋₁ ; xₜ]", "z = np.concatenate([h_prev, x])"),
    "forget": ("fₜ = σ(W_f·z + b_f)", "f = sigmoid(W_f @ z + b_f)"),
    "input": ("iₜ = σ(W_i·z + b_i)", "i = sigmoid(W_i @ z + b_i)"),
    "candidate": ("C̃ₜ = tanh(W_c·z + b_c)", "c_tilde = np.tanh(W_c @ z + b_c)"),
    "cell": ("Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ", "c = f * c_prev + i * c_tilde"),
    "output": ("oₜ = σ(W_o·z + b_o)", "o = sigmoid(W_o @ z + b_o)"),
    "hidden": ("hₜ = oₜ ⊙ tanh(Cₜ)", "h = o * np.tanh(c)"),
}


def test_the_stages_are_the_lstm_s_in_order():
    assert [s.name for s in STAGES] == list(EQUATIONS)


@pytest.mark.parametrize("stage", list(EQUATIONS))
def test_every_stage_has_its_equation_and_worked_example(cli, stage):
    result = cli("explain", stage)
    assert result.exit_code == 0, result.output
    equation, numpy_line = EQUATIONS[stage]
    assert equation in result.output and numpy_line in result.output
    assert "Worked example" in result.output and "Watch out" in result.output


def test_forget_answers_the_seed_question(cli):
    out = cli("explain", "forget").output
    assert "σ(hₜ₋₁ + xₜ) = [0.4750, 0.6900, 0.5498, 0.4875, 0.6682]" in out
    assert "exactly fₜ here. It holds for this preset only" in out
    assert "not a 0/1 switch" in out
    assert "σ(W·z) + b" in out and "`W * z`" in out  # both pitfalls named
    assert "keeps 47.5% of Cₜ₋₁[0]" in out


def seed_question_with_random_weights():
    """σ(W_f·z + b_f) and the misplaced σ(W_f·z) + b_f, worked here with math on the preset's inputs."""
    h, x = [0, 0.5, 0.1, 0.2, 0.6], [-0.1, 0.3, 0.1, -0.25, 0.1]  # presets/seed-question.json
    weights = presets.random(5, 5, seed=0)
    z = h + x  # the concatenation [h ; x]
    W, b = weights.W["forget"].tolist(), weights.b["forget"].tolist()
    wz = [math.fsum(w * v for w, v in zip(row, z)) for row in W]
    sigmoid = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
    return [sigmoid(a + bias) for a, bias in zip(wz, b)], [sigmoid(a) + bias for a, bias in zip(wz, b)]


def vector(values):
    return "[" + ", ".join(f"{v:.4f}" for v in values) + "]"


def test_random_weights_part_concatenation_from_addition(cli):
    out = one_line(cli("explain", "forget").output)
    right, _ = seed_question_with_random_weights()
    assert f"With random weights (seed 0) the same inputs give fₜ = {vector(right)}" in out
    assert vector(right) != "[0.4750, 0.6900, 0.5498, 0.4875, 0.6682]"  # not σ(h + x)


def test_bias_outside_the_activation_is_worked_with_the_user_s_numbers(cli):
    out = one_line(cli("explain", "forget").output)
    right, misplaced = seed_question_with_random_weights()
    assert f"σ(W_f·z + b_f) = {vector(right)}, but the misplaced σ(W_f·z) + b_f = {vector(misplaced)}" in out
    assert "which need not even lie in (0, 1)" in out


def test_unequal_sizes_say_addition_is_undefined(cli):
    out = cli("explain", "input", "--preset", "concat-not-sum").output
    assert "adding them is not even defined" in out


def test_user_inputs_drive_the_example(cli):
    out = cli("explain", "cell", "--x", "1,2", "--h", "0.5,0.5", "--c", "2,0", "--precision", "3").output
    assert "Cₜ[0] = fₜ[0]·Cₜ₋₁[0] + iₜ[0]·C̃ₜ[0] = 0.818×2.000" in out  # σ(0.5 + 1) = 0.818


def test_all_lists_the_stages_in_order(cli):
    out = cli("explain", "all").output
    positions = [out.index(stage.title) for stage in STAGES]
    assert positions == sorted(positions)


# --- the other cells: their pages and stages ------------------------------------------------------------------


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
