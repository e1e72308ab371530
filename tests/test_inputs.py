"""What the user gives (presets, weights and the cell they imply, sizes, defaults, notes), resolved by one set of
rules for every cell and every command; and the options every command takes, declared once."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer

from lstm_trace import UsageError, resolve_inputs
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.cli import app
from lstm_trace.cli.options import CellChoice, InputChoice
from lstm_trace.weights import lstm_preset


@pytest.mark.parametrize("preset", ["seed-question", "long-memory", "forget-everything", "concat-not-sum"])
def test_every_cell_resolves_inputs_like_the_plain_one(cli, preset):
    """Presets, defaults and weights resolve the same for every cell: same h, x, C, W and b."""
    plain = json.loads(cli("step", "--preset", preset, "--json").output)
    peephole = json.loads(cli("step", "--preset", preset, "--variant", "peephole", "--json").output)
    assert peephole["title"] == plain["title"] and peephole["notes"] == plain["notes"]
    for key in ("x", "h_prev", "c_prev", "concat"):
        assert peephole["steps"][0][key] == plain["steps"][0][key], key
    for gate in ("forget", "input", "candidate", "output"):
        for part in ("wz", "bias"):
            assert peephole["steps"][0][gate][part] == plain["steps"][0][gate][part], (gate, part)


CELLS = [[], ["--variant", "peephole"], ["--variant", "cifg"], ["--variant", "gru"], ["--cell-clip", "1"]]


@pytest.mark.parametrize("cell", CELLS, ids=lambda args: " ".join(args) or "plain")
def test_a_scenario_preset_has_its_own_size_for_every_cell(cli, cell):
    """--hidden-size may only repeat the preset's H, and then its h is used as it is."""
    refused = cli("step", "--preset", "seed-question", "--hidden-size", "3", *cell)
    assert refused.exit_code == 2 and "disagrees with preset 'seed-question', whose cell has H = 5" in refused.output
    same = json.loads(cli("step", "--preset", "seed-question", "--hidden-size", "5", *cell, "--json").output)
    assert same["steps"][0]["h_prev"] == [0, 0.5, 0.1, 0.2, 0.6]
    assert not any(note.startswith("h_(t-1) was not given") for note in same["notes"])


def test_a_scenario_preset_with_a_projection_keeps_its_size(cli):
    """H is the preset's; its h has H entries, not P, so h_(t-1) is zeros (P = 2)."""
    content = json.loads(cli("step", "--preset", "seed-question", "--proj-size", "2", "--json").output)
    assert content["hidden_size"] == 5 and content["steps"][0]["h_prev"] == [0, 0]
    assert "h_(t-1) was not given, so it is assumed to be zeros (P = 2)." in content["notes"]
    expected = cell_step(lstm_preset("identity", 5, 5, proj_size=2), [-0.1, 0.3, 0.1, -0.25, 0.1], None, None,
                         CellOptions(proj_size=2))  # fmt: skip
    np.testing.assert_array_equal(content["steps"][0]["h"], expected.h)


@pytest.mark.parametrize("cell", CELLS, ids=lambda args: " ".join(args) or "plain")
def test_an_h_that_does_not_fit_the_weights_is_named(cli, cell):
    result = cli("step", "--preset", "concat-not-sum", "--h", "1,2", *cell)  # its cell has H = 3, I = 2
    assert result.exit_code == 2, result.output
    assert "--h has shape (2,), but the weights (random) are for H = 3, I = 2: W_" in result.output


COMMANDS_WITH_A_CELL = ["step", "walk", "explain", "diagram", "grad", "run"]


@pytest.mark.parametrize("command", COMMANDS_WITH_A_CELL)
def test_the_option_groups_are_declared_once_for_every_command(command):
    """Each command shows every option of the groups it takes, once, as declared in cli/options.py."""
    click_command = typer.main.get_command(app).get_command(None, command)
    names = [parameter.name for parameter in click_command.params]
    assert len(names) == len(set(names))
    assert set(CellChoice._fields) - {"typed"} <= set(names)
    if command != "run":  # run reads --xs and its own layer and direction words
        assert set(InputChoice._fields) <= set(names)
    forget_bias = next(parameter for parameter in click_command.params if parameter.name == "forget_bias")
    folded = "Add this to every b_f" in forget_bias.help  # grad declares its own: it is folded into b_f
    assert folded == (command == "grad")


@pytest.mark.parametrize("cell, noted", [
    (CellOptions(), ["p_f, p_i, p_o, which --variant lstm does not use: add --variant peephole"]),
    (CellOptions(variant="cifg"), ["p_f, p_i, p_o, which --variant cifg does not use", "W_i and b_i in the weights are not used"]),
    (CellOptions(variant="peephole"), []),
])  # fmt: skip
def test_what_the_cell_leaves_unused_is_noted(cell, noted):
    """Weights given in Python say nothing about the cell: what they hold beyond it is noted, for every cell."""
    weights = lstm_preset("random", 4, 3, seed=2, peepholes=True)
    inputs = resolve_inputs(x=np.array([0.5, -1, 2]), weights=weights, cell=cell)
    said = " ".join(inputs.notes)
    assert all(fragment in said for fragment in noted) and ("p_f" in said) == bool(noted)


def test_weights_with_a_projection_need_a_projecting_cell():
    weights = lstm_preset("random", 4, 3, proj_size=2)
    with pytest.raises(UsageError, match=r"project h to P = 2 entries \(W_hr is 2 × 4\): add --proj-size 2"):
        resolve_inputs(x=np.array([0.5, -1, 2]), weights=weights)
    inputs = resolve_inputs(x=np.array([0.5, -1, 2]), weights=weights, cell=CellOptions(proj_size=2))
    assert inputs.h_prev.shape == (2,) and inputs.c_prev.shape == (4,)


SQUARE_NOTE = "H was not given (no --hidden-size or --h), so H = I = 2: the identity weights then make W_g·z = h_(t-1) + x_t."


@pytest.mark.parametrize("cell", [[], ["--variant", "gru"], ["--variant", "peephole"], ["--weights", "identity"]],
                         ids=lambda args: " ".join(args) or "plain")  # fmt: skip
def test_identity_weights_that_nothing_sizes_are_square(cli, cell):
    """`step --x 1,2`, the first command a learner types: H = I, so the learner's σ(h + x) reading holds, said in a note."""
    content = json.loads(cli("step", "--x", "1,2", *cell, "--json").output)
    assert content["hidden_size"] == content["input_size"] == 2 and content["steps"][0]["h_prev"] == [0, 0]
    assert content["notes"][0] == SQUARE_NOTE
    gate = "reset" if "gru" in cell else "forget"
    assert content["steps"][0][gate]["preact"] == [1, 2]  # W·z + b = h + x with h = 0 and b = 0
    shown = cli("step", "--x", "1,2", *cell)
    assert shown.exit_code == 0 and "note: H was not given (no --hidden-size or --h), so H = I = 2" in shown.output
    run = json.loads(cli("run", "--xs", "1,2;3,4", *cell, "--json").output)
    assert run["hidden_size"] == 2 and SQUARE_NOTE in run["notes"]


@pytest.mark.parametrize("args", [
    ["--hidden-size", "3"], ["--h", "0,0,0"], ["--c", "0,0,0"], ["--preset", "concat-not-sum"],
    ["--hidden-size", "3", "--proj-size", "2"],
])  # fmt: skip
def test_a_size_given_any_way_is_kept_without_the_note(cli, args):
    if "--c" in args:  # C_(t-1) has H entries but does not set H: the identity weights still ask for it
        refused = cli("step", "--x", "1,2", *args)
        assert refused.exit_code == 2 and "needs the hidden size: give --h (H = its length)" in refused.output
        return
    content = json.loads(cli("step", "--x", "1,2", *args, "--json").output)
    assert content["hidden_size"] == 3 and not any(note.startswith("H was not given") for note in content["notes"])


@pytest.mark.parametrize("weights", ["zeros", "random"])
def test_other_weight_presets_still_need_the_hidden_size(cli, weights):
    for command in (["step", "--x", "1,2"], ["run", "--xs", "1,2;3,4"]):
        refused = cli(*command, "--weights", weights)
        assert refused.exit_code == 2 and f"The '{weights}' weights preset is made to fit the inputs" in refused.output
