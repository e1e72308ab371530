"""`lstm-trace explain`: words from the registry, numbers from the user's inputs."""

from __future__ import annotations

import pytest

from lstm_trace.stages import STAGES


@pytest.mark.parametrize("stage", [s.name for s in STAGES])
def test_every_stage_has_its_equation_and_worked_example(cli, stage):
    result = cli("explain", stage)
    assert result.exit_code == 0, result.output
    registry = {s.name: s for s in STAGES}[stage]
    assert registry.equation in result.output and registry.numpy in result.output
    assert "Worked example" in result.output and "Watch out" in result.output


def test_forget_answers_the_seed_question(cli):
    out = cli("explain", "forget").output
    assert "σ(hₜ₋₁ + xₜ) = [0.4750, 0.6900, 0.5498, 0.4875, 0.6682]" in out
    assert "exactly fₜ here. It holds for this preset only" in out
    assert "not a 0/1 switch" in out
    assert "σ(W·z) + b" in out and "`W * z`" in out  # both pitfalls named
    assert "keeps 47.5% of Cₜ₋₁[0]" in out


def test_random_weights_part_concatenation_from_addition(cli):
    out = cli("explain", "forget").output
    # With random weights the same inputs give a different f than sigmoid(h + x).
    random_line = next(line for line in out.splitlines() if "With random weights (seed 0) the same inputs" in line)
    assert "0.4750, 0.6900" not in random_line


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
