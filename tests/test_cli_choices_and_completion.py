"""Options that explain themselves: every choice option lists its names in `--help` and a wrong name is one
line with exit code 2; shell completion (bash, zsh) offers commands, options and those names."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lstm_trace.cell_options import CELL_ACTIVATION_NAMES, GATE_ACTIVATION_NAMES, VARIANT_NAMES
from lstm_trace.cli import COMMANDS, app
from lstm_trace.stages import BACKWARD_STAGE_NAMES, STAGE_NAMES
from tests.conftest import ROOT

CHOICES = {  # option -> its names, as --help and completion show them
    "--variant": VARIANT_NAMES,
    "--dtype": ("float64", "float32"),
    "--gate-activation": GATE_ACTIVATION_NAMES,
    "--cell-activation": CELL_ACTIVATION_NAMES,
    "--direction": ("forward", "reverse"),
    "--heatmap-style": ("blocks", "digits"),
}
SUBCOMMANDS = [("weights", "inspect"), ("weights", "convert"), *((name,) for name in COMMANDS if name != "weights")]


def click_command(*path: str):
    command = typer.main.get_command(app)
    for name in path:
        command = command.get_command(None, name)
    return command


def options_of(path: tuple[str, ...]) -> dict:
    return {option: parameter for parameter in click_command(*path).params for option in parameter.opts}


@pytest.mark.parametrize("path", SUBCOMMANDS, ids=" ".join)
def test_help_lists_the_names_of_every_choice_option(cli, path):
    options = options_of(path)
    shown = cli(*path, "--help").output  # COLUMNS=120: a metavar is never wrapped
    for option in set(CHOICES) & set(options):
        assert f"[{'|'.join(CHOICES[option])}]" in shown, (path, option)
    if "--stage" in options:
        names = BACKWARD_STAGE_NAMES if path == ("grad",) else STAGE_NAMES
        assert options["--stage"].metavar == "NAME"
        assert f": {', '.join(names)} (another cell has its own" in " ".join(options["--stage"].help.split())


@pytest.mark.parametrize("path", SUBCOMMANDS, ids=" ".join)
def test_no_help_text_repeats_its_default(path):
    """Typer shows [default: lstm]; the text itself must not say "lstm (default)" as well."""
    for parameter in click_command(*path).params:
        if parameter.default not in (None, False) and getattr(parameter, "show_default", True) is not False:
            assert "(default" not in (parameter.help or ""), (path, parameter.name, parameter.help)


def test_every_choice_option_is_covered():
    """An option declared with `choices(...)` anywhere is one this file checks (a new one gets its test)."""
    declared = {option for path in SUBCOMMANDS for option, parameter in options_of(path).items()
                if option.startswith("--") and (parameter.metavar or "").startswith("[")}  # fmt: skip
    assert declared == set(CHOICES)


@pytest.mark.parametrize("args, message", [
    (["step", "--x", "1,2", "--variant", "lstmx"], "--variant 'lstmx' is not known; choose one of lstm, peephole, cifg, gru."),
    (["step", "--x", "1,2", "--dtype", "float16"], "--dtype 'float16' is not supported; choose one of float64, float32."),
    (["walk", "--x", "1,2", "--gate-activation", "relu"], "--gate-activation 'relu' is not known; choose one of sigmoid, hard_sigmoid."),
    (["grad", "--x", "1,2", "--cell-activation", "gelu"], "--cell-activation 'gelu' is not known; choose one of tanh, relu, softsign."),
    (["run", "--xs", "1,2", "--heatmap-style", "x"], "--heatmap-style 'x': choose one of blocks, digits."),
    (["diagram", "--x", "1,2", "--stage", "gates"], "There is no stage 'gates'. Stages: concat, forget, input, candidate, cell, output, hidden."),
    (["step", "--x", "1,2", "--variant", "gru", "--stage", "forget"], "There is no stage 'forget'. Stages: reset, update, new, hidden."),
])  # fmt: skip
def test_a_wrong_name_is_one_line_with_exit_code_2(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2 and result.output == f"Error: {message}\n"


# Shell completion, by Typer's protocol: the shell runs `lstm-trace` with _LSTM_TRACE_COMPLETE=complete_bash
# (and the words in COMP_WORDS, COMP_CWORD) or complete_zsh (_TYPER_COMPLETE_ARGS), and reads what it prints.


def completions(shell: str, words: str) -> list[str]:
    """What lstm-trace offers after `words` (its last word the one being typed) in `shell`, run in-process."""
    env = {"_LSTM_TRACE_COMPLETE": f"complete_{shell}"}
    if shell == "bash":
        env |= {"COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (not words.endswith(" ")))}
    else:
        env["_TYPER_COMPLETE_ARGS"] = words
    result = CliRunner().invoke(app, [], env=env)
    assert result.exit_code == 0, result.output
    if shell == "bash":
        return result.output.split()
    listed = result.output.removeprefix("_arguments '*: :((").removesuffix("))'\n")  # zsh: "value":"help" a line
    return re.findall(r'^"([^"]*)"', listed, flags=re.M)


SHELLS = ["bash", "zsh"]
TAKES = {"--heatmap-style": "run", "--direction": "run"}  # a command that takes the option; step takes the others


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_offers_commands_and_options(shell):
    assert completions(shell, "lstm-trace ") == list(COMMANDS)
    assert completions(shell, "lstm-trace gr") == ["grad"]
    assert completions(shell, "lstm-trace step --var") == ["--variant"]
    assert completions(shell, "lstm-trace weights ") == ["inspect", "convert"]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("option", CHOICES)
def test_completion_offers_the_names_of_a_choice_option(shell, option):
    command = TAKES.get(option, "step")
    assert completions(shell, f"lstm-trace {command} {option} ") == list(CHOICES[option])
    first = CHOICES[option][1]
    assert completions(shell, f"lstm-trace {command} {option} {first[:2]}") == [
        name for name in CHOICES[option] if name.startswith(first[:2])
    ]


@pytest.mark.parametrize("shell", SHELLS)
def test_completion_offers_stage_names(shell):
    assert completions(shell, "lstm-trace step --stage c") == ["concat", "candidate", "cell"]
    assert completions(shell, "lstm-trace grad -s ca") == ["candidate", "carousel"]


@pytest.fixture
def shell_named_on_the_command_line(monkeypatch):
    """Typer's switch for tests: --show-completion/--install-completion take the shell's name instead of
    detecting the shell that runs them (read when the command is built, so before each invoke)."""
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")


@pytest.mark.parametrize("shell, lines", [
    ("bash", ["_LSTM_TRACE_COMPLETE=complete_bash $1 ) )", "complete -o default -F _lstm_trace_completion lstm-trace"]),
    ("zsh", ["#compdef lstm-trace", "_LSTM_TRACE_COMPLETE=complete_zsh lstm-trace)"]),
])  # fmt: skip
def test_show_completion_prints_the_script(shell_named_on_the_command_line, shell, lines):
    result = CliRunner().invoke(app, ["--show-completion", shell])
    assert result.exit_code == 0
    assert all(line in result.output for line in lines), result.output


@pytest.mark.parametrize("shell, script, rc_file, rc_line", [
    ("bash", ".bash_completions/lstm-trace.sh", ".bashrc", "source '{home}/.bash_completions/lstm-trace.sh'"),
    ("zsh", ".zfunc/_lstm-trace", ".zshrc", "fpath+=~/.zfunc; autoload -Uz compinit; compinit"),
])  # fmt: skip
def test_install_completion_writes_the_script_and_the_rc_line(
    shell_named_on_the_command_line, monkeypatch, tmp_path, shell, script, rc_file, rc_line
):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Path.home() == tmp_path  # the user's own shell files are never touched
    result = CliRunner().invoke(app, ["--install-completion", shell])
    assert result.exit_code == 0 and f"{shell} completion installed in {tmp_path / script}" in result.output
    assert f"_LSTM_TRACE_COMPLETE=complete_{shell}" in (tmp_path / script).read_text()
    assert rc_line.format(home=tmp_path) in (tmp_path / rc_file).read_text().splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_itself_completes_with_the_script(tmp_path):
    """The script `--show-completion` prints (the shell detected, as a user runs it), sourced by a real bash."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "lstm-trace").write_text(f"#!{sys.executable}\nfrom lstm_trace.cli import main\nmain()\n")
    (bin_dir / "lstm-trace").chmod(0o755)
    script = (
        "source <(lstm-trace --show-completion)\n"
        "COMP_WORDS=(lstm-trace step --variant p); COMP_CWORD=3; _lstm_trace_completion lstm-trace\n"
        "echo \"${COMPREPLY[*]}\"\n"
        "COMP_WORDS=(lstm-trace ru); COMP_CWORD=1; _lstm_trace_completion lstm-trace\n"
        "echo \"${COMPREPLY[*]}\"\n"
    )
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path)}
    done = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, env=env,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0 and done.stdout.splitlines() == ["peephole", "run"], done.stdout + done.stderr
