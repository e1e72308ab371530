"""The walk-through of every cell: the state machine, every key in a real pseudo-terminal (the LSTM and the
GRU), piped commands (every cell), EOF and Ctrl-C.

On the seed question with identity weights every σ gate of the LSTM sees hₜ₋₁ + xₜ, so fₜ = iₜ = oₜ = F
below. The GRU's identity preset has W·[h ; x] = h + x for r and z and zero biases, so there
rₜ = zₜ = σ(hₜ₋₁ + xₜ) = F too, nₜ = tanh(xₜ + rₜ ⊙ hₜ₋₁) and hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁: worked here
with `math`, not read from the trace.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from pathlib import Path

import numpy as np
import pexpect
import pyte
import pytest

from lstm_trace import GRU, LSTM
from lstm_trace.render.walk_state import Command, Kind, Walk, command_for
from lstm_trace.stages import layout_for

ROOT = Path(__file__).resolve().parent.parent

# The seed question's forget gate, as given in the issue (= input and output gates: identity preset).
F = [0.47502081, 0.68997448, 0.549834, 0.4875026, 0.66818777]
H_PREV = [0, 0.5, 0.1, 0.2, 0.6]
X = [-0.1, 0.3, 0.1, -0.25, 0.1]
N = [math.tanh(x + f * h) for x, f, h in zip(X, F, H_PREV)]  # the GRU's new state
H_T = [(1 - f) * n + f * h for f, n, h in zip(F, N, H_PREV)]  # and its hₜ
STAGES = ("concat", "forget", "input", "candidate", "cell", "output", "hidden")
KEY_LINE = r"\? help(\x1b\[0m)?\r\n"  # the end of the key line (a notice that lists the keys ends in "help.")

# Every cell: the options that make it on the command line, and the cell they make.
CELLS = {
    "lstm": ((), LSTM()),
    "peephole": (("--variant", "peephole", "--c", "0.5,-0.5,1,0,2"), LSTM(peephole=True)),
    "cifg": (("--variant", "cifg"), LSTM(cifg=True)),
    "gru": (("--variant", "gru"), GRU()),
    "gru-before": (("--variant", "gru", "--gru-reset-before"), GRU(reset_before=True)),
    "lstm-options": (("--forget-bias", "1", "--cell-clip", "0.2", "--hidden-size", "5", "--proj-size", "3"),
                     LSTM(forget_bias=1.0, cell_clip=0.2, proj_size=3)),
}  # fmt: skip


def fmt(values) -> list[str]:
    return [f"{v:.4f}" for v in values]


# --- the state machine, without a terminal ------------------------------------------------------


def test_next_and_back_move_through_the_stages_then_the_summary_then_done():
    walk = Walk(STAGES)
    assert walk.stage == "concat" and walk.screen.kind is Kind.STAGE
    for name in STAGES[1:]:
        assert walk.apply(Command.NEXT).kind is Kind.STAGE and walk.stage == name
    summary = walk.apply(Command.NEXT)
    assert summary.kind is Kind.SUMMARY and walk.stage is None
    assert walk.apply(Command.BACK).kind is Kind.STAGE and walk.stage == "hidden"
    walk.apply(Command.NEXT)
    assert walk.apply(Command.NEXT) is None and walk.finished


def test_back_at_the_start_explain_json_help_and_unknown_keys_stay_put():
    walk = Walk(STAGES, start=1)
    assert walk.apply(Command.EXPLAIN).kind is Kind.EXPLAIN and walk.stage == "forget"
    assert walk.apply(Command.JSON).kind is Kind.JSON and walk.stage == "forget"
    assert walk.apply(Command.HELP).kind is Kind.HELP
    unknown = walk.apply(None)
    assert unknown.kind is Kind.NOTICE and "Unknown key" in unknown.notice and walk.stage == "forget"
    walk.apply(Command.BACK)
    first = walk.apply(Command.BACK)
    assert first.kind is Kind.NOTICE and first.notice == "Already at the first stage." and walk.stage == "concat"
    assert walk.apply(Command.QUIT) is None and walk.finished


def test_keys_and_typed_words_map_to_commands():
    assert [command_for(k) for k in ("\r", "\n", "n", "", "next", " NEXT ")] == [Command.NEXT] * 6
    assert [command_for(k) for k in ("b", "back", "e", "explain", "j", "json", "q", "quit", "?")] == [
        Command.BACK, Command.BACK, Command.EXPLAIN, Command.EXPLAIN, Command.JSON, Command.JSON,
        Command.QUIT, Command.QUIT, Command.HELP,
    ]  # fmt: skip
    assert command_for("x") is None and command_for("nope") is None


# --- a real pseudo-terminal: keys without Enter, what the screen shows after each -----------------


class Terminal:
    """`lstm-trace walk` in a pseudo-terminal, its output replayed on an emulated screen (pyte)."""

    def __init__(self, *args: str, rows: int = 120, columns: int = 110, color: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR"):
            env.pop(name, None)
        if not color:
            env["NO_COLOR"] = "1"
        self.child = pexpect.spawn(
            sys.executable, ["-m", "lstm_trace", *args], env=env, dimensions=(rows, columns), encoding="utf-8", timeout=30
        )
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)
        self.wait()

    def wait(self) -> None:
        self.child.expect(KEY_LINE)
        self.stream.feed(self.child.before + self.child.after)

    def press(self, key: str) -> str:
        self.child.send(key)
        self.wait()
        return self.text()

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display).strip("\n")

    def finish(self) -> int:
        self.child.expect(pexpect.EOF)
        self.child.close()
        return self.child.exitstatus


def diagram_column(screen: str, label: str) -> list[str]:
    """The five values under a wire's label in the figure on screen (the label may end its line)."""
    lines = screen.splitlines()
    row = next(k for k, line in enumerate(lines) if re.search(f"[│┃] {label}( |$)", line))
    column = lines[row].index(label)
    return [lines[row + 1 + k][column:].split()[0] for k in range(5)]


def test_every_key_in_a_terminal():
    term = Terminal("walk", "--preset", "seed-question")
    screen = term.text()
    assert screen.startswith("Stage 1 of 7: Concatenation")
    assert "hₜ₋₁ ━━━[;]" in screen  # the bus is the highlighted stage
    assert "comes from" in screen and "Why: Every gate looks at both" in screen
    assert screen.splitlines()[-1].startswith("[Concatenation] Enter/n next")

    screen = term.press("n")
    assert screen.startswith("Stage 2 of 7: Forget gate") and "Stage 1 of 7" not in screen  # redrawn, not appended
    assert diagram_column(screen, "fₜ") == fmt(F)
    assert diagram_column(screen, "iₜ") == ["·"] * 5  # not computed yet at this stage
    assert "┏━┻━┓" in screen and "Watch out: A sigmoid gate is a soft value in (0, 1)" in screen

    screen = term.press("\r")  # Enter
    assert screen.startswith("Stage 3 of 7: Input gate")
    assert diagram_column(screen, "iₜ") == fmt(F)

    screen = term.press("b")
    assert screen.startswith("Stage 2 of 7: Forget gate")

    screen = term.press("e")
    assert "What it does" in screen and "Why it exists" in screen and "Watch out" in screen
    assert "fₜ[0] = σ(-0.1000 + 0.0000) = σ(-0.1000) = 0.4750" in screen  # the worked unit, by hand: σ(h₀ + x₀)

    screen = term.press("j")
    assert '"stage": "forget"' in screen and '"format": "lstm-trace-stage/1"' in screen
    acts = re.search(r'"act": \[([^\]]*)\]', screen.replace("\n", "")).group(1)
    assert np.allclose([float(v) for v in acts.split(",")], F, atol=1e-8)

    screen = term.press("?")
    assert "b          back one stage" in screen and "j          this stage's values as JSON" in screen

    screen = term.press("x")
    assert "Unknown key." in screen.splitlines()[-2]

    screen = term.press("\x1b[C")  # →
    assert screen.startswith("Stage 3 of 7: Input gate")
    screen = term.press("\x1b[D")  # ←
    assert screen.startswith("Stage 2 of 7: Forget gate")

    term.child.send("q")
    assert term.finish() == 0


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


def test_walking_to_the_end_shows_the_summary_of_c_and_h_then_finishes():
    term = Terminal("walk", "--preset", "seed-question")
    for _ in range(6):
        term.press("n")
    assert term.text().startswith("Stage 7 of 7: New hidden state")
    screen = term.press("n")
    assert screen.startswith("Summary: the step is done")
    assert "Cₜ = [-0.0473, 0.4582, 0.1085, -0.0244, 0.4038]" in screen
    assert "hₜ = [-0.0225, 0.2957, 0.0594, -0.0119, 0.2561]" in screen
    assert "·" not in screen.split("Summary")[1].split("Cₜ =")[0]  # every wire has its value now
    term.child.send("n")
    assert term.finish() == 0


def test_the_highlight_is_in_colour_in_a_colour_terminal():
    term = Terminal("walk", "--preset", "seed-question", "--stage", "output", color=True)
    rows = term.screen.buffer
    box = next(
        (row, column)
        for row in range(term.screen.lines)
        for column in range(term.screen.columns)
        if rows[row][column].data == "┏"
    )
    cell = rows[box[0]][box[1]]
    assert cell.bold and cell.fg in ("yellow", "brown")  # pyte names ANSI 33 "brown"
    term.child.send("q")
    assert term.finish() == 0


# --- the terminal is restored: checked with stty in the shell that ran the walk -------------------


class Shell:
    def __init__(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "TERM": "xterm", "PS1": "READY> "}
        env.pop("COLUMNS", None)
        self.child = pexpect.spawn("bash", ["--norc", "--noprofile"], env=env, dimensions=(120, 110), encoding="utf-8", timeout=30)
        self.child.expect("READY> ")

    def run(self, command: str) -> str:
        self.child.sendline(command)
        self.child.expect("READY> ")
        return self.child.before

    def stty(self) -> str:
        return self.run("stty -g").splitlines()[-1].strip()


@pytest.mark.parametrize(("key", "code"), [("q", 0), ("\x04", 0), ("\x03", 130)], ids=["q", "ctrl-d", "ctrl-c"])
def test_quit_eof_and_ctrl_c_exit_cleanly_and_restore_the_terminal(key, code):
    shell = Shell()
    before = shell.stty()
    shell.child.sendline(f"{sys.executable} -m lstm_trace walk --preset seed-question; echo EXIT=$?")
    shell.child.expect(KEY_LINE)
    shell.child.send("n")
    shell.child.expect("Stage 2 of 7")
    shell.child.expect(KEY_LINE)
    shell.child.send(key)
    shell.child.expect(r"EXIT=(\d+)")
    assert int(shell.child.match.group(1)) == code
    shell.child.expect("READY> ")
    assert "Traceback" not in shell.child.before
    assert shell.stty() == before  # exactly the settings it had before the walk
    assert "-icanon" not in shell.run("stty -a") and " echo " in shell.run("stty -a")
    shell.child.sendline("exit")


# --- piped input: one command per line ------------------------------------------------------------


def test_piped_commands_one_per_line(cli, run_cli):
    result = run_cli("walk", "--preset", "seed-question", input="n\nj\nnext\nback\nquit\n")
    assert result.returncode == 0 and result.stderr == ""
    out = result.stdout
    positions = [out.index(s) for s in ("Stage 1 of 7", "› n", "Stage 2 of 7", "› j", '"stage": "forget"', "› next", "Stage 3 of 7", "› back", "› quit")]
    assert positions == sorted(positions)
    block = out[out.index("› j") :].split("\n", 1)[1]
    stage = json.loads(block[: block.index("\n}") + 2])
    trace = json.loads(run_cli("step", "--preset", "seed-question", "--json").stdout)
    assert stage["forget"] == trace["steps"][0]["forget"]  # the very same numbers, full precision
    assert np.allclose(stage["forget"]["act"], F, atol=1e-8)


def test_piped_end_of_input_exits_cleanly(run_cli):
    result = run_cli("walk", "--preset", "seed-question", input="")
    assert result.returncode == 0 and "Stage 1 of 7: Concatenation" in result.stdout and result.stderr == ""
    result = run_cli("walk", "--preset", "seed-question", input="n\n")  # EOF in the middle of the walk
    assert result.returncode == 0 and "Stage 2 of 7" in result.stdout and "Traceback" not in result.stderr


def test_piped_full_walk_with_enter_reaches_the_summary(cli):
    result = cli("walk", "--preset", "long-memory", input="\n" * 7)
    assert result.exit_code == 0
    assert [f"Stage {k} of 7" in result.output for k in range(1, 8)] == [True] * 7
    assert "Summary: the step is done" in result.output and "Cₜ = [" in result.output
    assert cli("walk", "--preset", "long-memory", input="\n" * 8).exit_code == 0  # Enter on the summary finishes


@pytest.mark.parametrize("name", CELLS)
def test_piped_walk_of_every_cell_reaches_the_summary(cli, name):
    options, cell = CELLS[name]
    stages = layout_for(cell).stages
    result = cli("walk", "--preset", "seed-question", *options, input="\n" * (len(stages) + 1))
    assert result.exit_code == 0, result.output
    out = result.output
    headings = [f"Stage {k} of {len(stages)}: {stage.title}" for k, stage in enumerate(stages, 1)]
    assert [out.index(heading) for heading in headings] == sorted(out.index(heading) for heading in headings)
    for stage in stages:  # each stage's screen highlights it in the figure's caption
        assert f"▶ {stage.title}: " in out
    summary = out[out.index("Summary: the step is done") :]
    assert "hₜ = [" in summary and ("Cₜ = [" in summary) is cell.has_cell_state


def test_explain_and_unknown_in_piped_mode(cli):
    result = cli("walk", "--preset", "seed-question", "--stage", "cell", input="e\nwhat\n")
    assert result.exit_code == 0
    assert result.output.startswith("Stage 5 of 7: New cell state")
    assert "Cₜ[0] = fₜ[0]·Cₜ₋₁[0] + iₜ[0]·C̃ₜ[0]" in result.output and "Unknown key." in result.output


@pytest.mark.parametrize("name", CELLS)
def test_piped_json_and_explain_of_a_stage_of_every_cell(cli, name):
    options, cell = CELLS[name]
    stage = layout_for(cell).stages[1]  # forget, or the GRU's update gate
    start = ("--stage", stage.name)
    result = cli("walk", "--preset", "seed-question", *options, *start, input="j\ne\nq\n")
    assert result.exit_code == 0, result.output
    block = result.output[result.output.index("› j") :].split("\n", 1)[1]
    shown = json.loads(block[: block.index("\n}") + 2])
    trace = json.loads(cli("step", "--preset", "seed-question", *options, "--json").output)
    head = stage.name
    assert shown["stage"] == head and {"preact", "act"} <= set(shown[head])  # at least the gate's two values
    assert shown[head] == {k: trace["steps"][0][head][k] for k in shown[head]}
    explained = result.output[result.output.index("› e") :]
    assert "What it does" in explained and re.search(r"Unit \d: ", explained)  # the worked unit of the cell


@pytest.mark.parametrize("name, title", [("lstm", "LSTM cell"), ("cifg", "CIFG LSTM cell")])
def test_step_interactive_is_the_walk(cli, name, title):
    options, _ = CELLS[name]
    walk = cli("walk", "--preset", "seed-question", *options, input="n\nq\n")
    step = cli("step", "--preset", "seed-question", *options, "--interactive", input="n\nq\n")
    assert step.exit_code == 0 and step.output == walk.output and title in step.output


def test_step_interactive_is_not_for_json(cli):
    both = cli("step", "--preset", "seed-question", "--interactive", "--json", input="q\n")
    assert both.exit_code == 2 and "--interactive" in both.output


def test_a_walk_may_start_at_a_stage_only_its_cell_has(cli):
    projection = cli("walk", "--preset", "seed-question", *CELLS["lstm-options"][0], "--stage", "projection", input="q\n")
    assert projection.exit_code == 0 and projection.output.startswith("Stage 8 of 8: Projection")


@pytest.mark.parametrize(
    "name, stage, stages",
    [("lstm", "nope", "Stages: concat, forget, input, candidate, cell, output, hidden"),
     ("gru", "cell", "Stages: reset, update, new, hidden")],
)  # fmt: skip
def test_a_stage_the_cell_does_not_have_is_a_usage_error(cli, name, stage, stages):
    bad = cli("walk", "--preset", "seed-question", *CELLS[name][0], "--stage", stage, input="")
    assert bad.exit_code == 2 and stages in bad.output


def test_states_that_do_not_fit_are_usage_errors(cli):
    result = cli("walk", "--x", "1,2", "--h", "1", "--weights", "identity", "--c", "1,2,3", input="")
    assert result.exit_code == 2 and "Traceback" not in result.output

