"""The sequence engine (`sequence.py`) for every cell, against the cell's own step: bit for bit where the engine
runs that very step on one sequence, to 1e-12 in float64 otherwise (the fused loop of the plain LSTM, and the
matrix products of a batch); the fused loop's blocks of steps; the cell's step on the rows of a batch. Stacks and
the frameworks: test_sequence_stacks.py."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace import UsageError, presets
from lstm_trace.cell_options import GRU, LSTM, CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.engine.fused_lstm import block_steps_for, pack, supports
from lstm_trace.engine.sequence import run_cell, trace_cell, trace_cell_chunks
from lstm_trace.io.trace_json import step_to_dict
from lstm_trace.stages import layout_for
from lstm_trace.traces.sequence import stored_quantities
from lstm_trace.weights.presets import gru_preset, lstm_preset

CELLS = {
    "lstm": LSTM(),  # the plain LSTM: the fused loop
    "gru": GRU(),
    "gru reset before, clip, hard σ": GRU(reset_before=True, preact_clip=0.7, gate_activation="hard_sigmoid"),
    "peephole, forget bias, both clips": LSTM(peephole=True, forget_bias=1.0, cell_clip=0.4, preact_clip=1.5),
    "cifg, softsign": LSTM(cifg=True, cell_activation="softsign"),
    "projection": LSTM(proj_size=2),
}


def weights_for(cell: CellOptions, H: int, I: int, seed: int):
    if cell.variant == "gru":
        return gru_preset("random", H, I, seed)
    return lstm_preset("random", H, I, seed, peepholes=cell.variant == "peephole", proj_size=cell.proj_size)


def random_sequence(seed, T, B, weights, cell=LSTM()):
    """xs (T, B, I), h0 (B, P) and c0 (B, H) (None for a GRU), from one generator."""
    rng = np.random.default_rng(seed)
    xs, h0 = rng.normal(size=(T, B, weights.input_size)), rng.normal(size=(B, weights.h_size))
    return xs, h0, rng.normal(size=(B, weights.hidden_size)) if cell.has_cell_state else None


def step_chain(weights, cell, xs, h0, c0, reverse=False):
    """The cell's own step, one step and one sequence at a time: [[StepTrace per step in order computed] per b]."""
    T, B = xs.shape[:2]
    runs = []
    for b in range(B):
        h, c, steps = h0[b], None if c0 is None else c0[b], []
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            step = cell_step(weights, xs[t, b], h, c, cell, t + 1)
            steps.append(step)
            h, c = step.h, step.c
        runs.append(steps)
    return runs


def by_cell(function):
    return pytest.mark.parametrize("name", list(CELLS))(function)


# ---- every cell against its own step ----------------------------------------------------------


SIZES = [(5, 3, 1), (4, 9, 3), (1, 1, 2)]  # (H, I, B)


@pytest.mark.parametrize("chunk_steps", [None, 3], ids=["one pass", "chunks of 3"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("name, hidden_size, input_size, batch", [
    (name, *size) for name in CELLS for size in SIZES if (CELLS[name].proj_size or 0) < size[0]  # P < H
])  # fmt: skip
def test_every_value_of_every_step_matches_the_cell_s_own_step(name, hidden_size, input_size, batch, reverse,
                                                               chunk_steps):  # fmt: skip
    cell = CELLS[name]
    weights = weights_for(cell, hidden_size, input_size, seed=hidden_size + input_size)
    xs, h0, c0 = random_sequence(batch, 7, batch, weights, cell)
    chunks = [chunk.copy() for chunk in trace_cell_chunks(weights, xs, h0, c0, cell=cell, reverse=reverse,
                                                          chunk_steps=chunk_steps)]  # fmt: skip
    assert [chunk.steps for chunk in chunks] == ([7] if chunk_steps is None else [3, 3, 1])
    computed = [(chunk, k) for chunk in chunks for k in range(chunk.steps)]
    # The fused loop (σ through tanh, W_x·x + W_h·h) agrees to rounding; the cell's own step on one row
    # gives its very bits, and on B rows one matrix product for the batch (which BLAS may sum otherwise).
    exact = not supports(cell) and batch == 1
    for b, reference in enumerate(step_chain(weights, cell, xs, h0, c0, reverse)):
        for (chunk, k), expected in zip(computed, reference):
            got = chunk.step(k, b)
            assert got.t == expected.t and got.cell == cell
            for quantity in layout_for(cell).quantities:
                if expected[quantity] is None:
                    assert got[quantity] is None, quantity
                    continue
                if exact:
                    np.testing.assert_array_equal(got[quantity], expected[quantity], err_msg=quantity)
                else:
                    np.testing.assert_allclose(got[quantity], expected[quantity], rtol=0, atol=1e-12,
                                               err_msg=f"{quantity} step {k}")  # fmt: skip
                # and the (S, B, size) arrays hold the same values as the step view
                np.testing.assert_array_equal(chunk[quantity][k, b], got[quantity])


@by_cell
@pytest.mark.parametrize("batch", [1, 2])  # one sequence runs the fused loop on the column-major copy of W_h
@pytest.mark.parametrize("reverse", [False, True])
def test_states_only_run_matches_the_cell_s_step_and_the_traced_run_bit_for_bit(name, reverse, batch):
    cell = CELLS[name]
    weights = weights_for(cell, 6, 4, seed=2)
    xs, h0, c0 = random_sequence(3, 9, batch, weights, cell)
    states = run_cell(weights, xs, h0, c0, cell=cell, reverse=reverse)
    traced = trace_cell(weights, xs, h0, c0, cell=cell, reverse=reverse)
    reference = step_chain(weights, cell, xs, h0, c0, reverse)
    for b in range(batch):
        for step in reference[b]:
            np.testing.assert_allclose(states.outputs[step.t - 1, b], step.h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states.h_n[b], reference[b][-1].h, rtol=0, atol=1e-12)
        if cell.has_cell_state:
            np.testing.assert_allclose(states.c_n[b], reference[b][-1].c, rtol=0, atol=1e-12)
    assert (states.c_n is None) is (traced.c_n is None) is (not cell.has_cell_state)
    # Both runs make the very same sums (the fused loops halve the sigmoid rows exactly), so the bits agree.
    for field in ("outputs", "h_n", "c_n"):
        np.testing.assert_array_equal(getattr(states, field), getattr(traced, field))


@by_cell
def test_inputs_are_left_untouched(name):
    cell = CELLS[name]
    weights = weights_for(cell, 3, 2, seed=0)
    xs, h0, c0 = random_sequence(0, 4, 1, weights, cell)
    copies = [None if array is None else array.copy() for array in (xs, h0, c0)]
    run_cell(weights, xs, h0, c0, cell=cell)
    trace_cell(weights, xs, h0, c0, cell=cell)
    for original, copy in zip((xs, h0, c0), copies):
        np.testing.assert_array_equal(original, copy)


@by_cell
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("chunk_steps", [1, 3, 7, 100])
def test_chunks_cover_the_sequence_and_agree_with_one_pass(name, chunk_steps, reverse):
    cell = CELLS[name]
    weights = weights_for(cell, 4, 3, seed=5)
    xs, h0, c0 = random_sequence(9, 10, 2, weights, cell)
    whole = trace_cell(weights, xs, h0, c0, cell=cell, reverse=reverse).trace
    chunks = [chunk.copy() for chunk in trace_cell_chunks(weights, xs, h0, c0, cell=cell, reverse=reverse,
                                                          chunk_steps=chunk_steps)]  # fmt: skip
    assert [len(chunk.times) for chunk in chunks] == [min(chunk_steps, 10 - k) for k in range(0, 10, chunk_steps)]
    times = np.concatenate([chunk.times for chunk in chunks])
    np.testing.assert_array_equal(times, np.arange(10, 0, -1) if reverse else np.arange(1, 11))
    for quantity in stored_quantities(cell):
        joined = np.concatenate([chunk[quantity] for chunk in chunks])
        # The fused loop's chunks make the input projection in smaller products, which BLAS may sum in another order.
        np.testing.assert_allclose(joined, whole[quantity], rtol=0, atol=1e-14, err_msg=quantity)


@by_cell
def test_in_time_order_flips_the_reverse_direction(name):
    cell = CELLS[name]
    weights = weights_for(cell, 3, 2, seed=1)
    xs, _, _ = random_sequence(1, 5, 1, weights, cell)
    trace = trace_cell(weights, xs, cell=cell, reverse=True).trace
    np.testing.assert_array_equal(trace.times, [5, 4, 3, 2, 1])
    np.testing.assert_array_equal(trace.in_time_order("x"), xs)


@by_cell
def test_a_step_view_serialises_like_the_cell_s_step(name):
    cell = CELLS[name]
    weights = weights_for(cell, 3, 2, seed=4)
    xs, h0, c0 = random_sequence(4, 3, 1, weights, cell)
    trace = trace_cell(weights, xs, h0, c0, cell=cell).trace
    quantities = layout_for(cell).quantities
    expected = step_to_dict(step_chain(weights, cell, xs, h0, c0)[0][2], quantities)
    got = step_to_dict(trace.step(2), quantities)
    assert got.keys() == expected.keys() and got["t"] == 3
    for key in expected.keys() - {"t"}:
        for part, values in (expected[key].items() if isinstance(expected[key], dict) else [(None, expected[key])]):
            got_values = got[key] if part is None else got[key][part]
            np.testing.assert_allclose(got_values, values, rtol=0, atol=1e-12, err_msg=f"{key}.{part}")


def test_shape_mistakes_are_clear_errors():
    weights = presets.random(3, 2, seed=0)
    with pytest.raises(UsageError, match=r"shape \(4, 1, 5\).*input size I = 2"):
        run_cell(weights, np.zeros((4, 1, 5)))
    with pytest.raises(UsageError, match=r"h_0 has shape \(3,\).*must have shape \(1, 3\)"):
        run_cell(weights, np.zeros((4, 1, 2)), h0=np.zeros(3))
    with pytest.raises(UsageError, match="A GRU has no cell state C, so it takes no c_0"):
        run_cell(gru_preset("random", 3, 2), np.zeros((4, 1, 2)), c0=np.zeros((1, 3)), cell=GRU())
    with pytest.raises(UsageError, match="--variant gru needs GRU weights"):
        run_cell(weights, np.zeros((4, 1, 2)), cell=GRU())
    with pytest.raises(UsageError, match="A PackedCell holds the plain LSTM's weights"):
        run_cell(pack(weights), np.zeros((4, 1, 2)), cell=LSTM(forget_bias=1.0))


# ---- the fused loop of the plain LSTM: its blocks of steps and its σ -------------------------


@pytest.mark.parametrize("batch", [1, 3])
def test_a_long_states_only_run_is_right_across_the_loop_s_blocks_of_steps(batch):
    # Longer than a block of steps, and not a multiple of it: the bias is added a block at a time.
    T = 2 * block_steps_for(4, batch, np.dtype("float64")) + 5
    weights = presets.random(4, 3, seed=11)
    xs, h0, c0 = random_sequence(12, T, batch, weights)
    states = run_cell(weights, xs, h0, c0)
    reference = step_chain(weights, LSTM(), xs, h0, c0)
    for b in range(batch):
        expected = np.stack([step.h for step in reference[b]])
        np.testing.assert_allclose(states.outputs[:, b], expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states.c_n[b], reference[b][-1].c, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("batch", [1, 2])
def test_a_long_trace_is_consistent_across_the_loop_s_blocks_of_steps(batch, dtype, tolerance):
    # Longer than a block of steps, and not a multiple of it: the bias is added a block at a time.
    T = 2 * block_steps_for(5, batch, np.dtype(dtype)) + 5
    weights = presets.random(5, 3, seed=8).astype(dtype)
    xs, h0, c0 = (array.astype(dtype) for array in random_sequence(4, T, batch, weights))
    trace = trace_cell(weights, xs, h0, c0).trace
    reference = step_chain(weights, LSTM(), xs, h0, c0)
    for name in ("h_prev", "c_prev", "forget.wz", "output.preact", "candidate.act", "keep", "write", "c", "c_tanh", "h"):
        expected = np.stack([[step[name] for step in run] for run in reference], axis=1)  # (T, B, H)
        np.testing.assert_allclose(trace[name], expected, rtol=0, atol=tolerance, err_msg=name)
    # keep, write and tanh(C) are made again from the kept gates and states, with the loop's bits
    np.testing.assert_array_equal(trace["keep"] + trace["write"], trace["c"])
    np.testing.assert_array_equal(trace["output.act"] * trace["c_tanh"], trace["h"])


def test_saturated_gates_stay_exact_without_warnings():
    # f's pre-activation is about +40 and i's about -40: σ is 1 and 0 to within 1e-17.
    weights = presets.identity(2, 2)
    weights.b["forget"][:] = 40
    weights.b["input"][:] = -40
    xs = np.ones((3, 1, 2))
    trace = trace_cell(weights, xs).trace
    reference = step_chain(weights, LSTM(), xs, np.zeros((1, 2)), np.zeros((1, 2)))[0]
    for k, step in enumerate(reference):
        for name in ("forget.act", "input.act", "c", "h"):
            np.testing.assert_allclose(trace.step(k)[name], step[name], rtol=0, atol=1e-12)


# ---- the cell's own step on the rows of a batch -----------------------------------------------


@by_cell
def test_the_cell_step_on_rows_is_each_row_s_step(name):
    cell, (H, I, B) = CELLS[name], (4, 3, 5)
    weights = weights_for(cell, H, I, seed=2)
    rng = np.random.default_rng(0)
    xs, h = rng.normal(size=(B, I)), rng.normal(size=(B, weights.h_size))
    c = rng.normal(size=(B, H)) if cell.has_cell_state else None
    rows = cell_step(weights, xs, h, c, cell)
    for b in range(B):
        alone = cell_step(weights, xs[b], h[b], None if c is None else c[b], cell)
        for quantity, value in alone.values.items():
            row = rows[quantity] if rows[quantity].ndim == 1 else rows[quantity][b]  # a bias has no batch axis
            # the matrix products of B rows are one BLAS call, which may sum in another order than B calls
            np.testing.assert_allclose(row, value, rtol=0, atol=1e-14, err_msg=quantity)
    one = cell_step(weights, xs[:1], h[:1], None if c is None else c[:1], cell)  # a batch of one: the very bits
    alone = cell_step(weights, xs[0], h[0], None if c is None else c[0], cell)
    for quantity, value in alone.values.items():
        np.testing.assert_array_equal(one[quantity] if one[quantity].ndim == 1 else one[quantity][0], value)
