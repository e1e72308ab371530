"""Options that explain themselves: every choice option lists its names in `--help` and a wrong name is one
line with exit code 2; shell completion (bash, zsh) offers commands, options and those names."""

from __future__ import annotations

import pytest
import typer

from lstm_trace.cell_options import CELL_ACTIVATION_NAMES, GATE_ACTIVATION_NAMES, VARIANT_NAMES
from lstm_trace.cli import COMMANDS, app
from lstm_trace.stages import BACKWARD_STAGE_NAMES, STAGE_NAMES

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
