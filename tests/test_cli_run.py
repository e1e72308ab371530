"""`lstm-trace run` of every cell and `show` of its traces, in-process (CliRunner) and as real processes: the
steps against the cell's own step, what the terminal shows, inputs, outputs and errors. Weights files with
several cells, or that say which cell they hold: test_cli_run_files.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from framework_models import one_line

from lstm_trace import presets, read_trace
from lstm_trace.cell_options import GRU, LSTM, CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.engine.sequence import trace_cell
from lstm_trace.stages import layout_for
from lstm_trace.weights.presets import gru_preset, lstm_preset
from tests.conftest import ROOT

XS = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.9], [0.7, 0.0], [0.25, -0.75]]
XS_INLINE = ";".join(",".join(str(v) for v in row) for row in XS)
H0 = [0.0, 0.5, -0.1]
RANDOM = ["--weights", "random", "--seed", "4"]
CELL_RUN = [*RANDOM, "--hidden-size", "4"]  # H = 4, I = 2
CELLS = {  # name: (the options of `run`, the cell they ask for)
    "lstm": ([], LSTM()),
    "gru": (["--variant", "gru"], GRU()),
    "gru-before": (["--variant", "gru", "--gru-reset-before", "--preact-clip", "1.5"],
                   GRU(reset_before=True, preact_clip=1.5)),
    "peephole": (["--variant", "peephole", "--forget-bias", "1", "--cell-clip", "0.5"],
                 LSTM(peephole=True, forget_bias=1.0, cell_clip=0.5)),
    "cifg": (["--variant", "cifg", "--gate-activation", "hard_sigmoid"],
             LSTM(cifg=True, gate_activation="hard_sigmoid")),
    "projection": (["--proj-size", "2"], LSTM(proj_size=2)),
}  # fmt: skip


def step_chain(cell: CellOptions = LSTM(), xs=XS, h0=None, c0=None, hidden_size=4, seed=4):
    """The cell's own step, one step after another, on the weights `--weights random --seed 4` makes: the
    reference every run is checked against."""
    I = len(xs[0])
    if cell.variant == "gru":
        weights = gru_preset("random", hidden_size, I, seed)
    else:
        weights = lstm_preset("random", hidden_size, I, seed, peepholes=cell.variant == "peephole",
                              proj_size=cell.proj_size)  # fmt: skip
    h = np.zeros(weights.h_size) if h0 is None else np.array(h0, dtype=float)
    c = None if not cell.has_cell_state else np.zeros(hidden_size) if c0 is None else np.array(c0, dtype=float)
    steps = []
    for t, x in enumerate(xs, start=1):
        step = cell_step(weights, np.array(x), h, c, cell, t)
        steps.append(step)
        h, c = step.h, step.c
    return steps


def run_json(cli, *args, input=None):
    result = cli("run", *args, "--json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def by_cell(names=tuple(CELLS)):
    return pytest.mark.parametrize("name", list(names))


# ---- every cell: its JSON trace against its own step, and `show` of it ------------------------


@by_cell()
def test_json_trace_every_step_matches_the_cell_s_step_and_show_renders_it_as_run_does(cli, tmp_path, name):
    options, cell = CELLS[name]
    h0 = np.linspace(-0.3, 0.5, 2 if cell.proj_size else 4)  # an initial h, of P entries with a projection
    given_h = ["--h", ",".join(map(str, h0))]
    content = run_json(cli, "--xs", XS_INLINE, *given_h, *CELL_RUN, *options)
    assert content["format"] == "lstm-trace/2" and content["sequence_length"] == 5
    assert content["variant"] == cell.variant and CellOptions.from_dict(content["cell_options"]) == cell
    assert content["batch_size"] is None and "layer" not in content["steps"][0] and "b" not in content["steps"][0]
    assert [step["t"] for step in content["steps"]] == [1, 2, 3, 4, 5]
    expected = step_chain(cell, h0=h0)
    for record, step in zip(content["steps"], expected):
        for quantity in layout_for(cell).quantities:
            head, _, part = quantity.partition(".")
            if step[quantity] is None:
                assert (record.get(head) or {}).get(part) is None if part else head not in record, quantity
                continue
            value = record[head][part] if part else record[head]
            np.testing.assert_allclose(value, step[quantity], rtol=0, atol=1e-12, err_msg=quantity)
    if cell.variant == "gru":
        first = content["steps"][0]
        assert "c" not in first and set(first["update"]) >= {"wx", "wh", "bias", "preact", "act"}
    np.testing.assert_allclose(content["outputs"]["output"], [step.h for step in expected], rtol=0, atol=1e-12)
    assert ("c_n" in content["outputs"]) is cell.has_cell_state  # torch.nn.GRU returns no c_n
    if cell.has_cell_state:
        np.testing.assert_allclose(content["outputs"]["c_n"], [expected[-1].c], rtol=0, atol=1e-12)
    assert np.array(content["outputs"]["output"]).shape == (5, 2 if name == "projection" else 4)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(content))
    shown, screen = cli("show", str(path)), cli("run", "--xs", XS_INLINE, *given_h, *CELL_RUN, *options)
    assert shown.exit_code == 0, shown.output
    assert shown.output == screen.output  # the same view, without recomputing


@by_cell()
def test_jsonl_has_a_header_then_one_step_per_line_and_show_renders_it(cli, tmp_path, name):
    options, cell = CELLS[name]
    result = cli("run", "--xs", XS_INLINE, *CELL_RUN, *options, "--jsonl")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 + 1
    records = [json.loads(line) for line in lines]
    assert "steps" not in records[0] and records[0]["sequence_length"] == 5 and records[0]["variant"] == cell.variant
    assert [r["t"] for r in records[1:]] == [1, 2, 3, 4, 5]
    assert records[1:] == run_json(cli, "--xs", XS_INLINE, *CELL_RUN, *options)["steps"]
    path = tmp_path / "trace.jsonl"
    path.write_text(result.output)
    shown = cli("show", str(path))
    screen = cli("run", "--xs", XS_INLINE, *CELL_RUN, *options)
    assert shown.exit_code == 0, shown.output
    assert shown.output == screen.output  # the same view, without recomputing
    assert len(read_trace(str(path)).steps) == 5  # the Python API reads JSON Lines too


@by_cell()
@pytest.mark.parametrize("batch_first", [False, True])
def test_a_batch_from_npy_runs_every_sequence(cli, tmp_path, name, batch_first):
    options, cell = CELLS[name]
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(3, 4, 2))  # (B, T, I)
    path = tmp_path / "batch.npy"
    np.save(path, batch if batch_first else batch.transpose(1, 0, 2))
    args = ["--xs", f"@{path}", *CELL_RUN, *options] + (["--batch-first"] if batch_first else [])
    content = run_json(cli, *args)
    assert content["batch_size"] == 3 and content["batch_first"] is batch_first
    assert [(s["t"], s["b"]) for s in content["steps"][:4]] == [(1, 0), (1, 1), (1, 2), (2, 0)]
    P = 2 if name == "projection" else 4
    for b in range(3):
        expected = step_chain(cell, batch[b].tolist())
        hs = [s["h"] for s in content["steps"] if s["b"] == b]
        np.testing.assert_allclose(hs, [s.h for s in expected], rtol=0, atol=1e-12)
        np.testing.assert_allclose(content["outputs"]["h_n"][0][b], expected[-1].h, rtol=0, atol=1e-12)
    output = np.array(content["outputs"]["output"])
    assert output.shape == ((3, 4, P) if batch_first else (4, 3, P))
    assert np.array(content["outputs"]["h_n"]).shape == (1, 3, P)


# ---- what the terminal shows ------------------------------------------------------------------

VIEWS = {  # what the view of each family shows, and what it must not
    "lstm": (("An LSTM over a sequence", "fₜ forget", "iₜ input", "oₜ output", "C̃ₜ candidate", "Cₜ cell ±",
              "remembering (f > 0.9)", "C grows steadily", "Concatenation"), ("cell:",)),
    "gru": (("A GRU over a sequence", "cell: GRU", "rₜ reset", "zₜ update", "nₜ new", "Reset gate",
             "remembering (z > 0.9: h keeps ≥ 90% of its old value)"), ("fₜ forget", "C grows steadily")),
}  # fmt: skip


@by_cell(VIEWS)
def test_terminal_view_has_table_heatmaps_behaviour_and_details(cli, name):
    options, cell = CELLS[name]
    result = cli("run", "--xs", XS_INLINE, *CELL_RUN, *options, "--detail", "2,5")
    assert result.exit_code == 0, result.output
    out = result.output
    shown, absent = VIEWS[name]
    for heading in (*shown, "hₜ hidden", "Gate behaviour over 5 steps × 4 units", "saturated", "New hidden state"):
        assert heading in out, heading
    for heading in absent:
        assert heading not in out, heading
    assert "\x1b[" not in out  # NO_COLOR: the shades and signs carry the values
    assert any(shade in out for shade in "·░▒▓█")
    # --detail: the full stage tables of `step` for t = 2 and t = 5, with the cell's numbers
    assert "t = 2" in out and "t = 5" in out
    expected = step_chain(cell)
    for t in (2, 5):
        for gate in layout_for(cell).gates:
            assert f"{expected[t - 1][f'{gate}.act'][0]:.4f}" in out, (gate, t)
    # the compact table: every step, every value of H = 4 units
    assert f"{expected[3].h[1]:.4f}" in out


@pytest.mark.parametrize("options, title", [
    ([], "An LSTM over a sequence"), (["--variant", "cifg"], "A CIFG LSTM over a sequence"),
    (["--variant", "gru"], "A GRU over a sequence"),
])  # fmt: skip
def test_summary_only_leaves_the_table_out(cli, tmp_path, options, title):
    np.save(tmp_path / "long.npy", np.random.default_rng(1).normal(size=(500, 2)))
    result = cli("run", "--xs", f"@{tmp_path / 'long.npy'}", "--hidden-size", "4", *RANDOM, *options, "--summary-only")
    assert result.exit_code == 0, result.output
    assert "Gate behaviour over 500 steps × 4 units" in result.output and "hₜ hidden" in result.output
    assert title in result.output
    assert "min…max" not in result.output  # no per-step table
    assert "t 1–21" in result.output and "t 484–500" in result.output  # rows of ceil(500 / 24) = 21 steps
    refused = cli("run", "--xs", XS_INLINE, "--hidden-size", "3", *options, "--summary-only", "--json")
    assert refused.exit_code == 2 and "--summary-only keeps no per-step trace" in refused.output


@pytest.mark.parametrize("kind", ["npy", "json", "csv", "txt", "stdin"])
def test_every_input_format_gives_the_same_trace(cli, tmp_path, kind):
    inline = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM)
    path = tmp_path / f"xs.{kind}"
    stdin = None
    if kind == "npy":
        np.save(path, np.array(XS))
    elif kind == "json":
        path.write_text(json.dumps(XS))
    elif kind == "csv":
        path.write_text("\n".join(",".join(map(str, row)) for row in XS) + "\n")
    elif kind == "txt":
        path.write_text("\n".join(" ".join(map(str, row)) for row in XS))
    else:
        stdin = "\n".join(",".join(map(str, row)) for row in XS)
    source = "-" if kind == "stdin" else f"@{path}"
    assert run_json(cli, "--xs", source, "--hidden-size", "3", *RANDOM, input=stdin)["steps"] == inline["steps"]


def test_digits_heatmap_and_unit_range(cli):
    result = cli("run", "--xs", XS_INLINE, "--hidden-size", "6", *RANDOM, "--heatmap-style", "digits", "--units", "2:5")
    assert result.exit_code == 0, result.output
    assert "units 2–4 of 6" in result.output and "tenths" in result.output


def test_output_file_is_json_or_json_lines_by_name(cli, tmp_path):
    for name, lines in (("t.json", 1), ("t.jsonl", 6)):
        result = cli("run", "--xs", XS_INLINE, "--hidden-size", "3", "-o", str(tmp_path / name))
        assert result.exit_code == 0 and "Gate behaviour" in result.output
        assert len((tmp_path / name).read_text().splitlines()) == lines
        assert cli("show", str(tmp_path / name)).exit_code == 0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
    exported = cli("run", "--xs", XS_INLINE, "--hidden-size", "3", "--export", str(tmp_path / "screen.txt"))
    assert exported.exit_code == 0 and "Gate behaviour" in (tmp_path / "screen.txt").read_text()


def test_floats_round_trip_exactly_with_either_serializer(cli, monkeypatch):
    weights = presets.random(3, 2, seed=4)
    trace = trace_cell(weights, np.array(XS)[:, None, :], np.array([H0])).trace
    for codec in ("orjson", "json"):
        monkeypatch.setenv("LSTM_TRACE_JSON", codec)
        content = run_json(cli, "--xs", XS_INLINE, "--h", ",".join(map(str, H0)), *RANDOM)
        np.testing.assert_array_equal([s["forget"]["preact"] for s in content["steps"]], trace["forget.preact"][:, 0])
        np.testing.assert_array_equal([s["c"] for s in content["steps"]], trace["c"][:, 0])
    monkeypatch.setenv("LSTM_TRACE_JSON", "json")
    by_json = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", "--dtype", "float32", *RANDOM)
    monkeypatch.delenv("LSTM_TRACE_JSON")
    by_orjson = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", "--dtype", "float32", *RANDOM)
    # float32 is written shortest-for-float32 by orjson, as the exact double by json: the same float32 numbers
    for a, b in zip(by_json["steps"], by_orjson["steps"]):
        np.testing.assert_array_equal(np.float32(a["h"]), np.float32(b["h"]))


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--xs", "1,2;3,4,5", "--hidden-size", "3"], "ragged: step 1 has 2 values but step 2 has 3"),
        (["--xs", "1,2;3,4", "--h", "0,0,0", "--weights", "random", "--hidden-size", "3", "--x"], "No such option"),
        (["--xs", "1,2,3;4,5,6", "--preset", "seed-question"], "--xs has 3 values per step"),
        (["--xs", "1,2;3,x", "--hidden-size", "3"], "'x', is not a number"),
        (["--hidden-size", "3"], "No input sequence"),
        (["--xs", "1,2;3,4", "--weights", "random"], "needs the hidden size"),  # only identity has H = I
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--detail", "7"], "'7' is not a step"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--b", "1"], "holds 1 sequence(s)"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--units", "2:9"], "0 ≤ START < STOP ≤ H = 3"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--json", "--jsonl"], "choose one"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--h", "1,2"], "--h has 2 values"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--heatmap-style", "x"], "blocks, digits"),
        *((["--xs", XS_INLINE, *CELL_RUN, *args], fragment) for args, fragment in (
            (["--variant", "gru", "--c", "0,0,0,0"], "a GRU has no cell state"),
            (["--variant", "gru", "--forget-bias", "1"], "does not apply to --variant gru"),
            (["--gru-reset-before"], "only applies to --variant gru"),
            (["--variant", "elman"], "--variant 'elman' is not known"),
            (["--proj-size", "4"], "must be smaller than the hidden size H = 4"),
            (["--cell-clip", "-1"], "--cell-clip must be a positive number"),
        )),
    ],
)
def test_mistakes_are_clear_usage_errors(cli, args, fragment):
    result = cli("run", *args)
    assert result.exit_code == 2, result.output
    assert fragment in result.output, result.output
    assert "Traceback" not in result.output


def test_bad_sequence_files_are_data_errors(cli, tmp_path):
    (tmp_path / "ragged.csv").write_text("1,2\n3,4,5\n")
    np.save(tmp_path / "four.npy", np.zeros((2, 2, 2, 2)))
    (tmp_path / "flat.json").write_text("[1, 2, 3]")
    np.save(tmp_path / "wide.npy", np.zeros((4, 5)))
    for name, fragment, code in (
        ("ragged.csv", "ragged: step 1 has 2 values but step 2 has 3", 1),
        ("four.npy", "expected real numbers of shape (T, I) or a batch", 1),
        ("flat.json", "list of lists", 1),
        ("wide.npy", "--xs has 5 values per step (shape (4, 5)), but the weights (random) have input size I = 2", 2),
    ):
        weights = ["--weights", str(tmp_path / "w.npz")] if name == "wide.npy" else ["--hidden-size", "3"]
        if name == "wide.npy":
            np.savez(tmp_path / "w.npz", **presets.random(3, 2).as_arrays())
            fragment = fragment.replace("(random)", f"({tmp_path / 'w.npz'})")
        result = cli("run", "--xs", f"@{tmp_path / name}", *weights)
        assert result.exit_code == code and fragment in result.output, result.output


@pytest.mark.parametrize("name, shown", [("lstm", "Gate behaviour over 5 steps × 4 units"), ("gru", "zₜ update")])
def test_real_process_jsonl_into_show_on_stdin(run_cli, name, shown):
    options, cell = CELLS[name]
    done = run_cli("run", "--xs", XS_INLINE, *CELL_RUN, *options, "--jsonl")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 6
    result = run_cli("show", "-", input=done.stdout)
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout and VIEWS[name][0][0] in result.stdout


def test_real_process_mistake_is_a_message_not_a_traceback(run_cli):
    bad = run_cli("run", "--xs", "1,2;3")
    assert bad.returncode == 2 and "ragged" in bad.stderr and "Traceback" not in bad.stderr


def test_closing_the_pipe_early_is_quiet(tmp_path):
    np.save(tmp_path / "long.npy", np.zeros((20000, 2)))
    command = [sys.executable, "-m", "lstm_trace", "run", "--xs", f"@{tmp_path / 'long.npy'}", "--hidden-size", "8", "--jsonl"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert json.loads(process.stdout.readline())["sequence_length"] == 20000  # `| head -1`
    process.stdout.close()
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0 and b"Traceback" not in stderr, stderr


def broken_copy(content, change):
    content = json.loads(json.dumps(content))
    change(content)
    return content


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.update(title=5), '"title" must be a string or null, found 5'),
        (lambda c: c.update(notes=5), '"notes" must be a list of strings, found 5'),
        (lambda c: c["steps"][0].update(t=7), 'steps[0] has "t": 7; expected 1, as it is step 1 of T = 5'),
        (lambda c: c["steps"][2].pop("t"), 'steps[2] has "t": None; expected 3'),
        (lambda c: c["steps"].append(c["steps"][-1]), "holds more steps than its header's T = 5 and B = 1 allow"),
    ],
)
def test_show_names_what_is_wrong_in_a_sequence_trace(cli, tmp_path, change, message):
    content = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(broken_copy(content, change)))
    result = cli("show", str(path))
    assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output


def test_batch_first_on_one_sequence_reads_it_as_torch_does_and_says_so(cli):
    plain = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM)
    flagged = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM, "--batch-first")
    assert flagged["steps"] == plain["steps"]  # a 2-D input is one sequence (T, I) for torch whatever batch_first
    assert "--xs is one sequence of shape (5, 2) (T, I): --batch-first only changes" in " ".join(flagged["notes"])


# ---- a projection with presets and scenarios ----------------------------------------------------


def test_proj_size_with_a_preset_needs_the_hidden_size(cli):
    result = cli("run", "--xs", XS_INLINE, "--weights", "random", "--h", "0,0", "--proj-size", "2")
    assert result.exit_code == 2 and "give the cell's size with --hidden-size H" in one_line(result.output), result.output


def test_a_scenario_preset_with_a_projection_runs_as_step_does(cli):
    """--hidden-size sets a new size, so the preset's h (H entries, not P) is dropped by run as by step."""
    preset = ["--preset", "seed-question", "--proj-size", "3", "--hidden-size", "5"]
    x0 = "-0.1,0.3,0.1,0.2,0.0"
    first = run_json(cli, "--xs", f"{x0};0.5,-0.5,0.25,0,1", *preset)["steps"][0]
    result = cli("step", "--x", x0, *preset, "--json")
    assert result.exit_code == 0, result.output
    alone = json.loads(result.output)["steps"][0]
    assert len(first["h"]) == 3 and len(first["c"]) == 5
    np.testing.assert_array_equal(first["h"], alone["h"])
    np.testing.assert_array_equal(first["c"], alone["c"])


def test_units_beyond_a_projected_h_say_so_in_the_h_heatmap(cli):
    result = cli("run", "--xs", XS_INLINE, *CELL_RUN, "--proj-size", "2", "--units", "2:4")
    assert result.exit_code == 0, result.output
    assert "h has no unit ≥ 2" in result.output
    result = cli("run", "--xs", XS_INLINE, *CELL_RUN, "--proj-size", "2", "--units", "1:4")
    assert result.exit_code == 0 and "h has no unit" not in result.output, result.output
