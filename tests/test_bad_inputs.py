"""Every bad input through the real CLI: the right exit code, a clear message, no traceback, nothing written.

Each case is (arguments, expected exit code, a fragment of the message). `{d}` in an
argument is replaced by a directory of prepared files.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import presets

GOOD_X = "--x=-0.1,0.3"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.txt").write_text("")
    (d / "empty.json").write_text("")
    (d / "words.txt").write_text("one two")
    (d / "dict.json").write_text('{"a": 1}')
    (d / "nested.json").write_text("[[1, 2]]")
    (d / "nan.json").write_text("[1, NaN]")
    (d / "binary.txt").write_bytes(b"\xff\xfe\x00\x01")
    np.save(d / "matrix.npy", np.zeros((2, 2)))
    np.save(d / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.save(d / "strings.npy", np.array(["a", "b"]))
    (d / "truncated.npy").write_bytes((d / "matrix.npy").read_bytes()[:20])
    good = presets.random(3, 2).as_arrays()
    np.savez(d / "good.npz", **good)
    np.savez(d / "missing.npz", **{k: v for k, v in good.items() if k != "W_c"})
    np.savez(d / "shape.npz", **{**good, "b_o": np.zeros(4)})
    np.savez(d / "rank.npz", **{**good, "W_f": np.zeros(3)})
    np.savez(d / "strs.npz", **{**good, "b_i": np.array(["x", "y", "z"])})
    (d / "truncated.npz").write_bytes((d / "good.npz").read_bytes()[:40])
    (d / "weights.json").write_text(json.dumps([1, 2]))
    (d / "badjson.json").write_text("{nope")
    (d / "other.json").write_text('{"format": "something/2"}')
    (d / "trace_missing.json").write_text('{"format": "lstm-trace/1", "hidden_size": 2, "input_size": 1, "weights": {"source": "x"}, "steps": [{}]}')
    (d / "somedir").mkdir()
    return d


CASES = [
    # vectors typed on the command line: usage errors
    (["step", "--x", "1,a"], 2, "is not a number"),
    (["step", "--x", ""], 2, "is empty"),
    (["step", "--x", "[]"], 2, "is empty"),
    (["step", "--x", "1,,2"], 2, "empty entry"),
    (["step", "--x", "nan,1"], 2, "must be a finite number"),
    (["step", "--x", "1,inf"], 2, "must be a finite number"),
    (["step", "--x", "1e999"], 2, "must be a finite number"),
    (["step", GOOD_X, "--h", "0.1,zz"], 2, "'zz', is not a number"),
    (["step", GOOD_X, "--h", "1,2", "--c", "1,2,3"], 2, "--c has shape (3,)"),
    (["step", GOOD_X, "--h", "1,2", "--hidden-size", "3"], 2, "disagrees with --h"),
    (["step"], 2, "No input vector"),
    # sizes
    (["step", GOOD_X, "--hidden-size", "0"], 2, "between 1 and"),
    (["step", GOOD_X, "--hidden-size", "-3"], 2, "between 1 and"),
    (["step", GOOD_X, "--hidden-size", "1000000000"], 2, "between 1 and"),
    (["step", GOOD_X, "--hidden-size", "abc"], 2, "is not a valid int"),
    (["step", GOOD_X, "--precision", "99"], 2, "is not in the range"),
    # unknown names
    (["step", "--preset", "nope"], 2, "There is no preset 'nope'"),
    (["step", "--preset", "seed-question", "--stage", "gates"], 2, "There is no stage 'gates'"),
    (["explain", "gates"], 2, "There is no stage 'gates'"),
    (["step", "--preset", "seed-question", "--dtype", "float16"], 2, "not supported"),
    (["bogus"], 2, "No such command"),
    (["step", "--bogus"], 2, "No such option"),
    # vector files
    (["step", "--x", "@{d}/nothere.npy"], 2, "does not exist"),
    (["step", "--x", "@{d}/somedir"], 2, "is a directory"),
    (["step", "--x", "@{d}/empty.txt"], 1, "is empty"),
    (["step", "--x", "@{d}/words.txt"], 1, "is not a number"),
    (["step", "--x", "@{d}/binary.txt"], 1, "Cannot read"),
    (["step", "--x", "@{d}/dict.json"], 1, "JSON list of numbers"),
    (["step", "--x", "@{d}/nested.json"], 1, "JSON list of numbers"),
    (["step", "--x", "@{d}/nan.json"], 1, "finite"),
    (["step", "--x", "@{d}/empty.json"], 1, "Cannot read"),
    (["step", "--x", "@{d}/matrix.npy"], 1, "expected a 1-D vector"),
    (["step", "--x", "@{d}/objects.npy"], 1, "allow_pickle=False"),
    (["step", "--x", "@{d}/strings.npy"], 1, "expected real numbers"),
    (["step", "--x", "@{d}/truncated.npy"], 1, "Cannot read"),
    # weights files
    (["step", GOOD_X, "--weights", "{d}/nothere.npz"], 2, "does not exist"),
    (["step", GOOD_X, "--weights", "{d}/somedir.npz"], 2, "does not exist"),
    (["step", GOOD_X, "--weights", "{d}/good.bin"], 2, "neither a preset"),
    (["step", GOOD_X, "--weights", "{d}/missing.npz"], 1, "lacks W_c"),
    (["step", GOOD_X, "--weights", "{d}/shape.npz"], 1, "b_o has shape (4,)"),
    (["step", GOOD_X, "--weights", "{d}/rank.npz"], 1, "W_f has shape (3,)"),
    (["step", GOOD_X, "--weights", "{d}/strs.npz"], 1, "b_i holds dtype"),
    (["step", GOOD_X, "--weights", "{d}/truncated.npz"], 1, "Cannot read the weights file"),
    (["step", GOOD_X, "--weights", "{d}/weights.json"], 1, "must hold a JSON object"),
    (["step", GOOD_X, "--weights", "{d}/badjson.json"], 1, "as JSON"),
    (["step", "--x", "1,2,3", "--weights", "{d}/good.npz"], 2, "--x has shape (3,)"),
    # traces
    (["show", "{d}/nothere.json"], 2, "does not exist"),
    (["show", "{d}/somedir"], 2, "is not a file"),
    (["show", "{d}/empty.json"], 1, "is empty"),
    (["show", "{d}/badjson.json"], 1, "not valid JSON"),
    (["show", "{d}/other.json"], 1, "not an lstm-trace trace"),
    (["show", "{d}/trace_missing.json"], 1, "steps[0].h_prev is missing"),
    # the commands that grew on the core: grad, weights, diff, walk, diagram, variants
    (["grad", "--preset", "seed-question", "--dh", "1,2"], 2, "--dh must have shape (5,)"),
    (["grad", "--xs", "1,2;3", "--hidden-size", "2"], 2, "is ragged"),
    (["weights", "inspect", "{d}/nothere.pt"], 2, "does not exist"),
    (["weights", "inspect", "{d}/missing.npz"], 1, "lacks W_c"),
    (["weights", "convert", "{d}/good.npz", "--to", "tensorflow", "-o", "{d}/x.tf"], 2, "is not a target"),
    (["diff", "{d}/nothere.json", "{d}/other.json"], 2, "does not exist"),
    (["diff", "{d}/other.json", "{d}/other.json"], 1, "not an lstm-trace trace"),
    (["walk", "--x", "1,a"], 2, "is not a number"),
    (["diagram", "--preset", "nope"], 2, "There is no preset 'nope'"),
    (["step", "--preset", "seed-question", "--variant", "lstm2"], 2, "--variant 'lstm2' is not known"),
    (["step", "--preset", "seed-question", "--variant", "gru", "--c", "1,2,3,4,5"], 2, "a GRU has no cell state"),
    (["step", "--preset", "seed-question", "--gate-activation", "relu9"], 2, "is not known"),
    (["explain", "peephole", "--variant", "gru"], 2, "cannot be combined with --variant gru"),
    # finite inputs whose products overflow: stopped, not carried on as inf into tables and JSON
    (["step", "--x", "1e308,1e308", "--h", "1e308,1e308", "--json"], 1, "NumPy: overflow encountered in matmul"),
    (["step", "--x", "1,2", "--h", "1e39,0", "--dtype", "float32"], 1, "float32 up to about 3.4e38"),
    (["grad", "--x", "1e300,2", "--h", "1,2,3", "--dh", "1e308,1e308,1e308", "--json"], 1, "grew beyond"),
    (["run", "--xs", "1e308,1e308;1,1", "--h", "1e308,1e308", "--output", "{d}/overflow.json"], 1, "grew beyond"),
    # --hidden-size against weights whose size is their own (good.npz has H = 3)
    (["step", "--preset", "seed-question", "--hidden-size", "3"], 2, "disagrees with preset 'seed-question'"),
    (["run", "--preset", "seed-question", "--xs", "1,2,3,4,5", "--hidden-size", "3"], 2, "whose cell has H = 5"),
    (["step", "--preset", "seed-question", "--hidden-size", "3", "--variant", "gru"], 2, "whose cell has H = 5"),
    (["run", "--preset", "seed-question", "--xs", "1,2,3,4,5", "--hidden-size", "8", "--proj-size", "2"], 2,
     "whose cell has H = 5"),
    (["step", "--weights", "{d}/good.npz", "--x", "1,2", "--hidden-size", "7"], 2, "whose cell has H = 3"),
    (["run", "--weights", "{d}/good.npz", "--xs", "1,2;3,4", "--hidden-size", "7"], 2, "whose cell has H = 3"),
    (["grad", "--weights", "{d}/good.npz", "--x", "1,2", "--hidden-size", "7"], 2, "--hidden-size 7 disagrees"),
    (["run", "--xs", "1,2", "--weights", "random", "--hidden-size", "2", "--direction", "reverse"], 2,
     "--layer and --direction choose one cell of a weights file"),
    # output paths
    (["step", "--preset", "seed-question", "--output", "{d}/somedir"], 2, "is a directory"),
    (["step", "--preset", "seed-question", "--output", "{d}/no/such/dir/t.json"], 2, "does not exist"),
]


@pytest.mark.slow
@pytest.mark.parametrize("args, code, fragment", CASES, ids=[" ".join(case[0])[:60] for case in CASES])
def test_bad_input(run_cli, files, args, code, fragment):
    done = run_cli(*(arg.replace("{d}", str(files)) for arg in args))
    message = done.stderr + done.stdout
    assert done.returncode == code, message
    assert fragment in message, message
    assert "Traceback" not in message
    assert done.stdout == "" or code == 0  # nothing half-printed on stdout


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


def test_show_reads_an_empty_stdin_as_an_error(run_cli):
    done = run_cli("show", "-", input="")
    assert done.returncode == 1 and "is empty" in done.stderr


def test_failed_output_writes_nothing(run_cli, tmp_path):
    target = tmp_path / "trace.json"
    done = run_cli("step", "--x", "1,a", "--output", str(target))
    assert done.returncode == 2 and not target.exists() and list(tmp_path.iterdir()) == []


def test_an_overflow_part_way_through_a_run_leaves_no_output_file(run_cli, tmp_path):
    weights = tmp_path / "w.json"  # H = I = 1, every weight 2: W·z = 2h + 2x overflows once x = 1e308
    weights.write_text(json.dumps({**{f"W_{g}": [[2.0, 2.0]] for g in "fico"}, **{f"b_{g}": [0.0] for g in "fico"}}))
    target = tmp_path / "trace.jsonl"
    done = run_cli("run", "--xs", "1;1;1e308", "--weights", str(weights), "--output", str(target))
    assert done.returncode == 1 and "overflow encountered" in done.stderr
    assert "Traceback" not in done.stderr and sorted(p.name for p in tmp_path.iterdir()) == ["w.json"]
