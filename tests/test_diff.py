"""`lstm-trace diff A.json B.json`: what changed, stage by stage, and which unit and gate moved most."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

SEED_H = "0,0.5,0.1,0.2,0.6"


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


@pytest.fixture
def traces(cli, tmp_path):
    """Write a trace from step options; returns its path."""

    def write(name: str, *args: str):
        path = tmp_path / f"{name}.json"
        result = cli("step", *args, "--output", str(path))
        assert result.exit_code == 0, result.output
        return path

    return write


def load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["steps"][0]


def test_changing_one_input_moves_only_that_unit(cli, traces):
    # With identity weights and H = I, W·z = h + x: x[1] feeds unit 1 of every block and nothing else.
    a = traces("a", "--h", SEED_H, "--x=-0.1,0.3,0.1,-0.25,0.1")
    b = traces("b", "--h", SEED_H, "--x=-0.1,0.9,0.1,-0.25,0.1")
    result = cli("diff", str(a), str(b), "--json")
    assert result.exit_code == 0
    diff = json.loads(result.output)
    assert diff["format"] == "lstm-trace-diff/1" and not diff["identical"]
    stages = {stage["stage"]: stage for stage in diff["steps"][0]["stages"]}
    for name, quantity in (("forget", "forget.act"), ("input", "input.act"), ("candidate", "candidate.act"),
                           ("cell", "c"), ("output", "output.act"), ("hidden", "h")):  # fmt: skip
        delta = stages[name]["quantities"][quantity]["delta"]
        assert [k for k, d in enumerate(delta) if d != 0] == [1], quantity
        assert stages[name]["quantities"][quantity]["unit"] == 1
    # By hand: unit 1 of the forget gate goes from σ(0.5 + 0.3) to σ(0.5 + 0.9).
    forget = stages["forget"]["quantities"]["forget.act"]
    assert forget["delta"][1] == pytest.approx(sigmoid(1.4) - sigmoid(0.8), abs=1e-12)
    assert forget["max_abs"] == pytest.approx(sigmoid(1.4) - sigmoid(0.8), abs=1e-12)
    movers = diff["steps"][0]["biggest_movers"]
    assert {m["unit"] for m in movers} == {1}
    assert [abs(m["delta"]) for m in movers] == sorted((abs(m["delta"]) for m in movers), reverse=True)


def test_every_delta_is_b_minus_a_from_the_files(cli, traces):
    a = traces("a", "--preset", "seed-question", "--weights", "random", "--seed", "0")
    b = traces("b", "--preset", "seed-question", "--weights", "random", "--seed", "1")
    diff = json.loads(cli("diff", str(a), str(b), "--json").output)
    step_a, step_b = load(a), load(b)
    checked = 0
    for stage in diff["steps"][0]["stages"]:
        for name, quantity in stage["quantities"].items():
            head, _, part = name.partition(".")
            expected = np.subtract(step_b[head][part] if part else step_b[head], step_a[head][part] if part else step_a[head])
            assert quantity["delta"] == pytest.approx(expected.tolist(), abs=1e-15)
            assert quantity["max_abs"] == pytest.approx(np.abs(expected).max(), abs=1e-15)
            assert quantity["norm"] == pytest.approx(np.linalg.norm(expected), abs=1e-12)
            checked += 1
    assert checked == 3 + 1 + 4 * 4 + 3 + 2  # inputs, z, four blocks × (W·z, b, preact, act), keep/write/C, tanh(C)/h


def test_the_block_that_reacted_most_is_marked(cli, traces):
    a = traces("a", "--preset", "seed-question", "--weights", "random", "--seed", "0")
    b = traces("b", "--preset", "seed-question", "--weights", "random", "--seed", "1")
    step_a, step_b = load(a), load(b)
    moved = {g: np.abs(np.subtract(step_b[g]["act"], step_a[g]["act"])).max() for g in ("forget", "input", "candidate", "output")}
    titles = {"forget": "Forget gate", "input": "Input gate", "candidate": "Candidate values", "output": "Output gate"}
    result = cli("diff", str(a), str(b))
    assert result.exit_code == 0
    marked = [line for line in result.output.splitlines() if "◀ most" in line and not line.startswith("Which stage")]
    assert len(marked) == 1 and titles[max(moved, key=moved.get)] in marked[0]
    assert "Biggest movers" in result.output and "Δ = B − A" in result.output


def test_a_new_memory_moves_no_gate(cli, traces):
    # C_(t-1) enters only the element-wise products: no gate of the plain LSTM sees it.
    a = traces("a", "--preset", "seed-question")
    b = traces("b", "--preset", "seed-question", "--c", "1,-1,0.5,0,2")
    diff = json.loads(cli("diff", str(a), str(b), "--json").output)
    sizes = {stage["stage"]: stage["size"] for stage in diff["steps"][0]["stages"]}
    assert sizes["concat"] == sizes["forget"] == sizes["input"] == sizes["candidate"] == sizes["output"] == 0
    assert sizes["cell"] > 0 and sizes["hidden"] > 0
    movers = {m["quantity"] for m in diff["steps"][0]["biggest_movers"]}
    assert movers <= {"keep", "c", "c_tanh", "h"} and "keep" in movers
    assert diff["steps"][0]["biggest_movers"][0]["unit"] == 4  # C_(t-1)[4] = 2 changed most
    table = cli("diff", str(a), str(b)).output.splitlines()
    assert not [line for line in table if "◀ most" in line and not line.startswith("Which stage")]  # no block reacted


def test_identical_traces(cli, traces):
    a = traces("a", "--preset", "long-memory")
    result = cli("diff", str(a), str(a))
    assert result.exit_code == 0 and "The traces are identical" in result.output
    assert json.loads(cli("diff", str(a), str(a), "--json").output)["identical"] is True


def test_unequal_sizes_are_a_clear_error(run_cli, traces, tmp_path):
    a = traces("a", "--preset", "seed-question")  # H = I = 5
    b = traces("b", "--h", "1,2,3", "--x", "1,2,3,4,5")  # H = 3
    result = run_cli("diff", str(a), str(b))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert f"A ({a}) has H = 5, I = 5 and 1 step" in message and f"B ({b}) has H = 3, I = 5 and 1 step" in message
    two_steps = json.loads(a.read_text(encoding="utf-8"))
    two_steps["steps"].append({**two_steps["steps"][0], "t": 2})
    longer = tmp_path / "two.json"
    longer.write_text(json.dumps(two_steps), encoding="utf-8")
    result = run_cli("diff", str(a), str(longer), "--json")
    assert result.returncode == 1 and "and 2 steps" in result.stderr and result.stdout == ""


def test_not_a_trace(run_cli, traces, tmp_path):
    a = traces("a", "--preset", "seed-question")
    junk = tmp_path / "junk.json"
    junk.write_text('{"hello": 1}', encoding="utf-8")
    result = run_cli("diff", str(a), str(junk))
    assert result.returncode == 1 and "not an lstm-trace trace" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("diff", str(a), str(tmp_path / "missing.json")).returncode == 2


def test_large_cells_list_the_units_that_moved_most(cli, traces):
    x = ",".join(["0.1"] * 40)
    a = traces("a", "--hidden-size", "64", "--x", x, "--weights", "random")
    b = traces("b", "--hidden-size", "64", "--x", x, "--weights", "random", "--seed", "5")
    step_a, step_b = load(a), load(b)
    top = int(np.argmax(np.abs(np.subtract(step_b["forget"]["act"], step_a["forget"]["act"]))))
    result = cli("diff", str(a), str(b), "--max-rows", "6")
    assert result.exit_code == 0
    forget = result.output[result.output.index("Forget gate   fₜ") :].split("\n\n")[0]
    assert "The 6 of 64 units where fₜ moved most" in forget
    lines = forget.splitlines()
    rule = next(k for k, line in enumerate(lines) if line.startswith("───"))
    rows = [line.split() for line in lines[rule + 1 : rule + 7]]
    assert len(rows) == 6 and str(top) in [row[0] for row in rows]
    assert [int(row[0]) for row in rows] == sorted(int(row[0]) for row in rows)


def test_float32_against_float64(cli, traces):
    a = traces("a", "--preset", "seed-question")
    b = traces("b", "--preset", "seed-question", "--dtype", "float32")
    diff = json.loads(cli("diff", str(a), str(b), "--json").output)
    assert diff["a"]["dtype"] == "float64" and diff["b"]["dtype"] == "float32"
    sizes = [stage["size"] for stage in diff["steps"][0]["stages"]]
    assert 0 < max(sizes) < 1e-6  # only rounding to float32 differs


def test_traces_of_different_cells_and_of_a_gru_are_refused(cli, traces):
    gru = traces("gru", "--preset", "seed-question", "--variant", "gru")
    gru2 = traces("gru2", "--preset", "seed-question", "--variant", "gru", "--x=1,1,1,1,1")
    cifg = traces("cifg", "--preset", "seed-question", "--variant", "cifg")
    different = cli("diff", str(gru), str(cifg))
    assert different.exit_code == 1 and "were made by different cells (variant 'gru' against 'cifg')" in different.output
    both_gru = cli("diff", str(gru), str(gru2))
    assert both_gru.exit_code == 1 and "cannot compare GRU traces yet" in both_gru.output
    assert "Traceback" not in both_gru.output
