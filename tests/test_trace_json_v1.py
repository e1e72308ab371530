"""Files written by the first release (`lstm-trace/1`) still read: `show` draws them and their numbers are
the numbers the same command writes today as `lstm-trace/2`.

tests/fixtures/lstm-trace-1/ holds the output of these commands from the release before the format moved
(recorded once, never regenerated). /1 kept a variant's gradients in a top-level "variant_backward" block;
the reader moves them into the steps.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_trace.io.sequence_reader import read_any

FIXTURES = Path(__file__).parent / "fixtures" / "lstm-trace-1"
COMMANDS = {
    "grad-lstm.json": ["grad", "--preset", "concat-not-sum", "--json"],
    "grad-peephole.json": ["grad", "--preset", "concat-not-sum", "--variant", "peephole", "--forget-bias", "1", "--json"],
    "grad-gru.json": ["grad", "--preset", "seed-question", "--variant", "gru", "--json"],
    "grad-cifg-xs.json": ["grad", "--variant", "cifg", "--weights", "random", "--hidden-size", "3",
                          "--xs", "0.1,0.2;0.3,-0.4;0.5,0.1", "--json"],
    "run-lstm.json": ["run", "--weights", "random", "--hidden-size", "3", "--xs", "0.1,0.2;0.3,-0.4;0.5,0.1", "--json"],
    "run-gru.jsonl": ["run", "--variant", "gru", "--weights", "random", "--hidden-size", "3", "--xs", "0.1,0.2;0.3,-0.4",
                      "--jsonl"],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_version_1_file_is_shown(cli, name):
    path = FIXTURES / name
    first_line = path.read_text().splitlines()[0]
    assert json.loads(first_line)["format"] == "lstm-trace/1"
    result = cli("show", str(path))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", [name for name in sorted(COMMANDS) if name.startswith("grad")])
def test_a_version_1_grad_trace_reads_as_todays_trace(cli, name, tmp_path):
    today = tmp_path / "today.json"
    result = cli(*COMMANDS[name], "--output", str(today))
    assert result.exit_code == 0, result.output
    assert json.loads(today.read_text())["format"] == "lstm-trace/2"
    old, new = read_any(str(FIXTURES / name)), read_any(str(today))
    assert old.cell == new.cell and len(old.steps) == len(new.steps)
    for old_step, new_step in zip(old.steps, new.steps):
        assert dict(old_step.values).keys() == dict(new_step.values).keys()
        for key, value in new_step.values.items():
            np.testing.assert_array_equal(old_step[key], value, err_msg=key)
        assert old_step.backward is not None and new_step.backward is not None
        added = {"c_tanh_local"} if new.cell.variant != "lstm" or new.cell.forget_bias else set()
        assert set(old_step.backward.values) == set(new_step.backward.values) - added
        for key, value in old_step.backward.values.items():
            np.testing.assert_array_equal(value, new_step.backward[key], err_msg=key)


def test_a_version_1_variant_block_that_is_malformed_is_a_data_error(cli, tmp_path):
    content = json.loads((FIXTURES / "grad-gru.json").read_text())
    content["variant_backward"]["steps"][0]["gates"] = "x"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    result = cli("show", str(path))
    assert result.exit_code == 1 and "variant_backward" in result.output and "Traceback" not in result.output
