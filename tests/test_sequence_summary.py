"""Gate behaviour from running aggregates, against the same statistics taken on the whole trace at once."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace import presets
from lstm_trace.engine.report import table_plan
from lstm_trace.engine.sequence import trace_cell, trace_cell_chunks
from lstm_trace.engine.summary import GateBehaviourAccumulator
from lstm_trace.io.scenarios import load_scenario, scenario_weights


def behaviour(weights, xs, reverse=False, chunk_steps=None, rows=4, b=0):
    accumulator = GateBehaviourAccumulator(xs.shape[0], weights.hidden_size, batch_index=b, heatmap_rows=rows)
    for chunk in trace_cell_chunks(weights, xs, reverse=reverse, chunk_steps=chunk_steps):
        accumulator.update(chunk)
    return accumulator.result()


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("chunk_steps", [1, 4, None])
def test_running_statistics_equal_the_whole_trace(chunk_steps, reverse):
    weights = presets.random(5, 3, seed=7)
    weights.b["forget"][:2] = 4.0  # two units that remember, one that forgets
    weights.b["forget"][2] = -4.0
    weights.b["input"][3] = 6.0  # saturated input gate
    xs = np.random.default_rng(7).normal(size=(11, 2, 3))
    got = behaviour(weights, xs, reverse, chunk_steps, b=1)
    trace = trace_cell(weights, xs, reverse=reverse).trace
    f = trace["forget.act"][:, 1]  # (T, H)
    assert got.steps == 11
    assert got.remembering == pytest.approx(np.mean(f > 0.9))
    assert got.forgetting == pytest.approx(np.mean(f < 0.1))
    assert got.memory_units == [u for u in range(5) if np.mean(f[:, u] > 0.9) >= 0.9]
    assert got.memory_units == [0, 1]
    saturated = np.abs(trace["input.preact"][:, 1]) > 5
    assert got.saturated_units["input"] == [u for u in range(5) if saturated[:, u].mean() >= 0.5]
    assert got.saturated_share["input"] == pytest.approx(saturated.mean())
    # heatmap: rows of ceil(11 / 4) = 3 steps in time order, whatever the order of computation
    heat = got.heatmaps
    assert heat.row_spans == [(1, 3), (4, 6), (7, 9), (10, 11)]
    in_time = trace.in_time_order("forget.act")[:, 1]
    expected = np.array([in_time[first - 1 : last].mean(axis=0) for first, last in heat.row_spans])
    np.testing.assert_allclose(heat.values["forget.act"], expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(heat.values["c"][-1], trace.in_time_order("c")[9:, 1].mean(axis=0), atol=1e-12)


def test_a_cell_that_keeps_its_memory():
    scenario = load_scenario("long-memory")  # forget bias +6, input bias -6
    weights = scenario_weights(scenario)
    xs = np.tile(scenario.x, (20, 1))[:, None, :]
    got = behaviour(weights, xs, rows=24)
    assert got.remembering == 1.0 and got.forgetting == 0.0
    assert got.memory_units == [0, 1, 2]
    assert got.saturated_units["forget"] == [0, 1, 2]
    assert got.growing_units == []  # starts from C = 0 and writes almost nothing
    assert len(got.heatmaps.row_spans) == 20  # one row per step when T fits


def test_a_unit_whose_memory_fills_up():
    # identity weights, input always 1: f = i = σ(1 + h) > 0.73 and C̃ > 0.76, so |C| rises every step
    weights = presets.identity(2, 2)
    xs = np.ones((12, 1, 2))
    got = behaviour(weights, xs)
    c = trace_cell(weights, xs).trace["c"][:, 0]
    assert np.all(np.diff(c[:, 0]) > 0) and c[-1, 0] > 1
    assert [unit for unit, _, _ in got.growing_units] == [0, 1]
    assert got.growing_units[0][2] == pytest.approx(c[-1, 0])


def test_table_plan_keeps_first_and_last_steps():
    assert table_plan(5, 24) == [1, 2, 3, 4, 5]
    assert table_plan(100, 8) == [1, 2, 3, 4, 5, 6, None, 99, 100]
    assert table_plan(100, None) == list(range(1, 101))
