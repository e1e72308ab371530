"""`lstm-trace run` and `show` of its traces, in-process (CliRunner) and as real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import numpy as np
import pytest

from lstm_trace import lstm_step, presets, read_trace
from tests.conftest import ROOT
from tests.torch_lstm import torch_per_step_states

XS = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.9], [0.7, 0.0], [0.25, -0.75]]
XS_INLINE = ";".join(",".join(str(v) for v in row) for row in XS)
H0 = [0.0, 0.5, -0.1]
RANDOM = ["--weights", "random", "--seed", "4"]


def plain_cell_chain(xs, h0=H0, c0=None, hidden_size=3, seed=4):
    """The core cell, one step after another: the reference every run is checked against."""
    weights = presets.random(hidden_size, len(xs[0]), seed=seed)
    h, c, steps = np.array(h0, dtype=float), np.zeros(hidden_size) if c0 is None else np.array(c0), []
    for t, x in enumerate(xs, start=1):
        step = lstm_step(weights, x, h, c, t=t)
        steps.append(step)
        h, c = step.h, step.c
    return steps


def run_json(cli, *args, input=None):
    result = cli("run", *args, "--json", input=input)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_inline_sequence_every_step_matches_the_plain_cell(cli):
    content = run_json(cli, "--xs", XS_INLINE, "--h", ",".join(map(str, H0)), *RANDOM)
    assert content["format"] == "lstm-trace/2" and content["sequence_length"] == 5
    assert content["batch_size"] is None and "layer" not in content["steps"][0] and "b" not in content["steps"][0]
    assert [step["t"] for step in content["steps"]] == [1, 2, 3, 4, 5]
    for step, expected in zip(content["steps"], plain_cell_chain(XS)):
        for name in ("h_prev", "c_prev", "concat", "keep", "write", "c", "c_tanh", "h"):
            np.testing.assert_allclose(step[name], expected[name], rtol=0, atol=1e-12)
        for gate in ("forget", "input", "candidate", "output"):
            for part in ("wz", "bias", "preact", "act"):
                np.testing.assert_allclose(step[gate][part], expected[f"{gate}.{part}"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(content["outputs"]["output"], [s.h for s in plain_cell_chain(XS)], atol=1e-12)
    np.testing.assert_allclose(content["outputs"]["c_n"], [plain_cell_chain(XS)[-1].c], atol=1e-12)


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


@pytest.mark.parametrize("batch_first", [False, True])
def test_a_batch_from_npy_runs_every_sequence(cli, tmp_path, batch_first):
    rng = np.random.default_rng(0)
    batch = rng.normal(size=(3, 4, 2))  # (B, T, I)
    path = tmp_path / "batch.npy"
    np.save(path, batch if batch_first else batch.transpose(1, 0, 2))
    args = ["--xs", f"@{path}", "--hidden-size", "3", *RANDOM] + (["--batch-first"] if batch_first else [])
    content = run_json(cli, *args)
    assert content["batch_size"] == 3 and content["batch_first"] is batch_first
    assert [(s["t"], s["b"]) for s in content["steps"][:4]] == [(1, 0), (1, 1), (1, 2), (2, 0)]
    for b in range(3):
        expected = plain_cell_chain(batch[b].tolist(), h0=np.zeros(3))
        hs = [s["h"] for s in content["steps"] if s["b"] == b]
        np.testing.assert_allclose(hs, [s.h for s in expected], rtol=0, atol=1e-12)
    output = np.array(content["outputs"]["output"])
    assert output.shape == ((3, 4, 3) if batch_first else (4, 3, 3))
    assert np.array(content["outputs"]["h_n"]).shape == (1, 3, 3)


def test_terminal_view_has_table_heatmaps_behaviour_and_details(cli):
    result = cli("run", "--xs", XS_INLINE, "--h", ",".join(map(str, H0)), *RANDOM, "--detail", "2,5")
    assert result.exit_code == 0, result.output
    out = result.output
    for heading in ("fₜ forget", "iₜ input", "oₜ output", "C̃ₜ candidate", "Cₜ cell ±", "hₜ hidden",
                    "Gate behaviour over 5 steps × 3 units", "remembering (f > 0.9)", "saturated"):  # fmt: skip
        assert heading in out
    assert "\x1b[" not in out  # NO_COLOR: the shades and signs carry the values
    assert any(shade in out for shade in "·░▒▓█")
    # --detail: the full stage tables of `step` for t = 2 and t = 5, with the plain cell's numbers
    assert "t = 2" in out and "t = 5" in out and "Concatenation" in out and "New hidden state" in out
    expected = plain_cell_chain(XS)
    for t in (2, 5):
        assert f"{expected[t - 1].forget.act[0]:.4f}" in out
    # the compact table: every step, every value of H = 3 units
    assert f"{expected[3].h[1]:.4f}" in out


def test_digits_heatmap_and_unit_range(cli):
    result = cli("run", "--xs", XS_INLINE, "--hidden-size", "6", *RANDOM, "--heatmap-style", "digits", "--units", "2:5")
    assert result.exit_code == 0, result.output
    assert "units 2–4 of 6" in result.output and "tenths" in result.output


def test_summary_only_leaves_the_table_out(cli, tmp_path):
    np.save(tmp_path / "long.npy", np.random.default_rng(1).normal(size=(500, 2)))
    result = cli("run", "--xs", f"@{tmp_path / 'long.npy'}", "--hidden-size", "4", *RANDOM, "--summary-only")
    assert result.exit_code == 0, result.output
    assert "Gate behaviour over 500 steps × 4 units" in result.output and "hₜ hidden" in result.output
    assert "min…max" not in result.output  # no per-step table
    assert "t 1–21" in result.output and "t 484–500" in result.output  # rows of ceil(500 / 24) = 21 steps
    refused = cli("run", "--xs", XS_INLINE, "--hidden-size", "3", "--summary-only", "--json")
    assert refused.exit_code == 2 and "--summary-only keeps no per-step trace" in refused.output


def test_jsonl_has_a_header_then_one_step_per_line_and_show_renders_it(cli, tmp_path):
    result = cli("run", "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM, "--jsonl")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 5 + 1
    records = [json.loads(line) for line in lines]
    assert "steps" not in records[0] and records[0]["sequence_length"] == 5
    assert [r["t"] for r in records[1:]] == [1, 2, 3, 4, 5]
    assert records[1:] == run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM)["steps"]
    path = tmp_path / "trace.jsonl"
    path.write_text(result.output)
    shown = cli("show", str(path))
    screen = cli("run", "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM)
    assert shown.exit_code == 0, shown.output
    assert shown.output == screen.output  # the same view, without recomputing
    assert len(read_trace(str(path)).steps) == 5  # the Python API reads JSON Lines too


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
    from lstm_trace.sequence import trace_cell

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
    "args, code, fragment",
    [
        (["--xs", "1,2;3,4,5", "--hidden-size", "3"], 2, "ragged: step 1 has 2 values but step 2 has 3"),
        (["--xs", "1,2;3,4", "--h", "0,0,0", "--weights", "random", "--hidden-size", "3", "--x"], 2, "No such option"),
        (["--xs", "1,2,3;4,5,6", "--preset", "seed-question"], 2, "--xs has 3 values per step"),
        (["--xs", "1,2;3,x", "--hidden-size", "3"], 2, "'x', is not a number"),
        (["--hidden-size", "3"], 2, "No input sequence"),
        (["--xs", "1,2;3,4"], 2, "needs the hidden size"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--detail", "7"], 2, "'7' is not a step"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--b", "1"], 2, "holds 1 sequence(s)"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--units", "2:9"], 2, "0 ≤ START < STOP ≤ H = 3"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--json", "--jsonl"], 2, "choose one"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--h", "1,2"], 2, "--h has 2 values"),
        (["--xs", "1,2;3,4", "--hidden-size", "3", "--heatmap-style", "x"], 2, "blocks, digits"),
    ],
)
def test_mistakes_are_clear_errors(cli, args, code, fragment):
    result = cli("run", *args)
    assert result.exit_code == code, result.output
    assert fragment in result.output
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


def test_real_process_jsonl_into_show_on_stdin(run_cli):
    done = run_cli("run", "--xs", XS_INLINE, "--hidden-size", "3", "--jsonl")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 6
    shown = run_cli("show", "-", input=done.stdout)
    assert shown.returncode == 0, shown.stderr
    assert "Gate behaviour over 5 steps × 3 units" in shown.stdout
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


# ---- a file with several cells: a real PyTorch state_dict, read by the weights readers ----------


@pytest.fixture
def stacked_file(tmp_path):
    """A 2-layer bidirectional torch.nn.LSTM saved with torch.save, as a user would."""
    import torch

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 3, num_layers=2, bidirectional=True)
    path = tmp_path / "model.pt"
    torch.save(lstm.state_dict(), path)
    return lstm, path


@pytest.mark.framework
def test_a_stacked_file_runs_like_torch_lstm(cli, stacked_file, tmp_path):
    import torch

    lstm, path = stacked_file
    content = run_json(cli, "--xs", XS_INLINE, "--weights", str(path), "--dtype", "float32")
    assert content["num_layers"] == 2 and content["bidirectional"] is True and len(content["cells"]) == 4
    assert len(content["steps"]) == 4 * 5
    assert {(s["layer"], s["direction"]) for s in content["steps"]} == {(0, "forward"), (0, "reverse"), (1, "forward"), (1, "reverse")}
    reverse = [s["t"] for s in content["steps"] if (s["layer"], s["direction"]) == (0, "reverse")]
    assert reverse == [5, 4, 3, 2, 1]
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.tensor(XS, dtype=torch.float32))
    np.testing.assert_allclose(content["outputs"]["output"], output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(content["outputs"]["h_n"], h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(content["outputs"]["c_n"], c_n.numpy(), rtol=0, atol=1e-5)
    # h_t and C_t of every step of every cell, against torch run one step at a time
    reference = torch_per_step_states(lstm, np.array(XS, dtype=np.float32)[:, None, :])
    for (layer, direction), (hs, cs) in reference.items():
        steps = sorted((s for s in content["steps"] if (s["layer"], s["direction"]) == (layer, direction)), key=lambda s: s["t"])
        np.testing.assert_allclose([s["h"] for s in steps], hs[:, 0], rtol=0, atol=1e-5)
        np.testing.assert_allclose([s["c"] for s in steps], cs[:, 0], rtol=0, atol=1e-5)

    screen = cli("run", "--xs", XS_INLINE, "--weights", str(path), "--dtype", "float32")
    assert screen.exit_code == 0, screen.output
    for name in ("layer 0, forward", "layer 0, reverse", "layer 1, forward", "layer 1, reverse", "2 layer(s), bidirectional"):
        assert name in screen.output
    (tmp_path / "stack.jsonl").write_text(cli("run", "--xs", XS_INLINE, "--weights", str(path), "--dtype", "float32",
                                              "--jsonl").output)  # fmt: skip
    assert len((tmp_path / "stack.jsonl").read_text().splitlines()) == 4 * 5 + 1
    assert cli("show", str(tmp_path / "stack.jsonl")).output == screen.output


@pytest.mark.framework
def test_layer_and_direction_pick_one_cell(cli, stacked_file):
    import torch

    lstm, path = stacked_file
    hidden = np.random.default_rng(3).normal(size=(5, 6)).astype(np.float32)  # layer 1 reads 2 × H = 6 values
    xs = ";".join(",".join(repr(float(v)) for v in row) for row in hidden)
    content = run_json(cli, "--xs", xs, "--weights", str(path), "--dtype", "float32", "--layer", "1", "--direction", "reverse")
    assert [s["t"] for s in content["steps"]] == [5, 4, 3, 2, 1]
    assert {(s["layer"], s["direction"]) for s in content["steps"]} == {(1, "reverse")}
    single = torch.nn.LSTM(6, 3)
    with torch.no_grad():
        for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(single, f"{kind}_l0").copy_(getattr(lstm, f"{kind}_l1_reverse"))
        output, _ = single(torch.from_numpy(hidden[::-1].copy()))
    np.testing.assert_allclose(content["outputs"]["output"], output.numpy()[::-1], rtol=0, atol=1e-5)
    missing = cli("run", "--xs", XS_INLINE, "--weights", str(path), "--layer", "5")
    assert missing.exit_code == 2 and "matches no LSTM layer" in missing.output and "(forward, reverse)" in missing.output
    several = cli("run", "--xs", XS_INLINE, "--weights", str(path), "--direction", "forward")
    assert several.exit_code == 2 and "holds 2 LSTM layers; choose one with --layer" in several.output


def _broken(content, change):
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
    path.write_text(json.dumps(_broken(content, change)))
    result = cli("show", str(path))
    assert result.exit_code == 1 and message in " ".join(result.output.split()), result.output


@pytest.mark.framework
def test_show_checks_a_reverse_cell_s_t_counting_down(cli, tmp_path):
    import torch

    torch.manual_seed(0)
    torch.save(torch.nn.LSTM(2, 3, bidirectional=True).state_dict(), tmp_path / "bi.pt")
    content = run_json(cli, "--xs", XS_INLINE, "--weights", str(tmp_path / "bi.pt"), "--direction", "reverse")
    assert [step["t"] for step in content["steps"]] == [5, 4, 3, 2, 1]
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(content))
    assert cli("show", str(path)).exit_code == 0
    path.write_text(json.dumps(_broken(content, lambda c: c["steps"][0].update(t=1))))
    result = cli("show", str(path))
    assert result.exit_code == 1 and 'steps[0] has "t": 1; expected 5' in result.output, result.output


def test_batch_first_on_one_sequence_reads_it_as_torch_does_and_says_so(cli):
    plain = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM)
    flagged = run_json(cli, "--xs", XS_INLINE, "--hidden-size", "3", *RANDOM, "--batch-first")
    assert flagged["steps"] == plain["steps"]  # a 2-D input is one sequence (T, I) for torch whatever batch_first
    assert "--xs is one sequence of shape (5, 2) (T, I): --batch-first only changes" in " ".join(flagged["notes"])
