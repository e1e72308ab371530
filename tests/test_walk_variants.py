"""The walk through a variant's stages: in a pseudo-terminal (GRU) and piped (every variant).

The GRU with the identity preset has W·[h ; x] = h + x for r and z and zero biases, so on the
seed question rₜ = zₜ = σ(hₜ₋₁ + xₜ) (the plain cell's forget gate, F below), nₜ = tanh(xₜ + rₜ ⊙ hₜ₋₁)
and hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁: worked here with `math`, not read from the trace.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from test_walk import F, Terminal

from lstm_trace.stages import layout_for
from lstm_trace.cells import CellOptions

H_PREV = [0, 0.5, 0.1, 0.2, 0.6]
X = [-0.1, 0.3, 0.1, -0.25, 0.1]
N = [math.tanh(x + f * h) for x, f, h in zip(X, F, H_PREV)]
H_T = [(1 - f) * n + f * h for f, n, h in zip(F, N, H_PREV)]

VARIANTS = {
    "peephole": ("--variant", "peephole", "--c", "0.5,-0.5,1,0,2"),
    "cifg": ("--variant", "cifg"),
    "gru": ("--variant", "gru"),
    "gru-before": ("--variant", "gru", "--gru-reset-before"),
    "lstm-options": ("--forget-bias", "1", "--cell-clip", "0.2", "--hidden-size", "5", "--proj-size", "3"),
}
CELLS = {
    "peephole": CellOptions(variant="peephole"),
    "cifg": CellOptions(variant="cifg"),
    "gru": CellOptions(variant="gru"),
    "gru-before": CellOptions(variant="gru", gru_reset_before=True),
    "lstm-options": CellOptions(forget_bias=1.0, cell_clip=0.2, proj_size=3),
}


def diagram_column(screen: str, label: str) -> list[str]:
    """The five values under a wire's label in the figure on screen (the label may end its line)."""
    lines = screen.splitlines()
    row = next(k for k, line in enumerate(lines) if re.search(f"[│┃] {label}( |$)", line))
    column = lines[row].index(label)
    return [lines[row + 1 + k][column:].split()[0] for k in range(5)]


def fmt(values) -> list[str]:
    return [f"{v:.4f}" for v in values]


def test_gru_walk_in_a_terminal_every_key():
    term = Terminal("walk", "--preset", "seed-question", "--variant", "gru")
    screen = term.text()
    assert screen.startswith("Stage 1 of 4: Reset gate") and "GRU cell, t = 1   ▶ Reset gate" in screen
    assert diagram_column(screen, "rₜ") == fmt(F) and diagram_column(screen, "zₜ") == ["·"] * 5  # z comes next
    assert screen.splitlines()[-1].startswith("[Reset gate] Enter/n next")

    screen = term.press("n")
    assert screen.startswith("Stage 2 of 4: Update gate") and "Stage 1 of 4" not in screen  # redrawn
    assert diagram_column(screen, "zₜ") == fmt(F) and diagram_column(screen, "nₜ") == ["·"] * 5

    screen = term.press("e")
    assert "What it does" in screen and "Watch out" in screen and "zₜ ≈ 1 keeps the old state" in screen
    assert "zₜ[1] = σ(0.3000 + 0.5000 + 0.0000) = σ(0.8000) = 0.6900" in screen  # W_iz·x + W_hz·h + b_z, unit 1

    screen = term.press("j")
    content = screen[screen.index("{") : screen.rindex("}") + 1]
    stage = json.loads(content)
    assert stage["stage"] == "update" and stage["format"] == "lstm-trace-stage/1"
    assert np.allclose(stage["update"]["act"], F, atol=1e-8)

    screen = term.press("\r")
    assert screen.startswith("Stage 3 of 4: New state") and diagram_column(screen, "nₜ") == fmt(N)
    screen = term.press("b")
    assert screen.startswith("Stage 2 of 4: Update gate")
    term.press("n")
    screen = term.press("n")
    assert screen.startswith("Stage 4 of 4: New hidden state")
    screen = term.press("n")
    assert screen.startswith("Summary: the step is done")
    assert f"hₜ = [{', '.join(fmt(H_T))}]" in screen and "Cₜ =" not in screen  # a GRU has no cell state
    assert "there is no Cₜ" in screen
    term.child.send("q")
    assert term.finish() == 0


@pytest.mark.parametrize("name", VARIANTS)
def test_piped_walk_of_every_variant_reaches_the_summary(cli, name):
    stages = layout_for(CELLS[name]).stages
    result = cli("walk", "--preset", "seed-question", *VARIANTS[name], input="\n" * (len(stages) + 1))
    assert result.exit_code == 0, result.output
    out = result.output
    headings = [f"Stage {k} of {len(stages)}: {stage.title}" for k, stage in enumerate(stages, 1)]
    assert [out.index(heading) for heading in headings] == sorted(out.index(heading) for heading in headings)
    for stage in stages:  # each stage's screen highlights it in the figure's caption
        assert f"▶ {stage.title}: " in out
    summary = out[out.index("Summary: the step is done") :]
    assert "hₜ = [" in summary and ("Cₜ = [" in summary) is CELLS[name].has_cell_state


@pytest.mark.parametrize("name", VARIANTS)
def test_piped_json_and_explain_of_a_variant_stage(cli, name):
    stage = layout_for(CELLS[name]).stages[1]  # forget, or the GRU's update gate
    start = ("--stage", stage.name)
    result = cli("walk", "--preset", "seed-question", *VARIANTS[name], *start, input="j\ne\nq\n")
    assert result.exit_code == 0, result.output
    block = result.output[result.output.index("› j") :].split("\n", 1)[1]
    shown = json.loads(block[: block.index("\n}") + 2])
    trace = json.loads(cli("step", "--preset", "seed-question", *VARIANTS[name], "--json").output)
    head = stage.name
    assert shown["stage"] == head and {"preact", "act"} <= set(shown[head])  # at least the gate's two values
    assert shown[head] == {k: trace["steps"][0][head][k] for k in shown[head]}
    explained = result.output[result.output.index("› e") :]
    assert "What it does" in explained and re.search(r"Unit \d: ", explained)  # the worked unit of the variant


def test_step_interactive_walks_a_variant(cli):
    walk = cli("walk", "--preset", "seed-question", "--variant", "cifg", input="n\nq\n")
    step = cli("step", "--preset", "seed-question", "--variant", "cifg", "--interactive", input="n\nq\n")
    assert step.exit_code == 0 and step.output == walk.output and "CIFG LSTM cell" in step.output
    projection = cli("walk", "--preset", "seed-question", *VARIANTS["lstm-options"], "--stage", "projection", input="q\n")
    assert projection.exit_code == 0 and projection.output.startswith("Stage 8 of 8: Projection")
    bad = cli("walk", "--preset", "seed-question", "--variant", "gru", "--stage", "cell", input="")
    assert bad.exit_code == 2 and "Stages: reset, update, new, hidden" in bad.output
