"""The vectorised sequence engine against the plain cell (float64) and torch.nn.LSTM (float32)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_trace import DataError, UsageError, lstm_step, presets
from lstm_trace.cells.options import GRU, LSTM
from lstm_trace.cells.step import cell_step
from lstm_trace.sequence import run_cell, trace_cell, trace_cell_chunks
from lstm_trace.sequence_trace import stored_quantities
from lstm_trace.trace_buffers import block_steps_for
from lstm_trace.stack import StackStream, initial_states, run_lstm, stack_layout
from lstm_trace.trace_json import step_to_dict
from lstm_trace.weights.variant_presets import gru_preset, lstm_preset

from tests.torch_lstm import cells_from_torch, torch_per_step_states


def plain_cell_steps(weights, xs, h0, c0, reverse=False):
    """lstm_step, one step and one sequence at a time: [[StepTrace per step in order computed] per b]."""
    T, B = xs.shape[:2]
    runs = []
    for b in range(B):
        h, c, steps = h0[b], c0[b], []
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            step = lstm_step(weights, xs[t, b], h, c, t=t + 1)
            steps.append(step)
            h, c = step.h, step.c
        runs.append(steps)
    return runs


def random_sequence(seed, T, B, H, I):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(T, B, I)), rng.normal(size=(B, H)), rng.normal(size=(B, H))


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("hidden_size, input_size, batch", [(5, 3, 1), (4, 9, 3), (1, 1, 2)])
def test_every_quantity_of_every_step_matches_the_plain_cell(hidden_size, input_size, batch, reverse):
    weights = presets.random(hidden_size, input_size, seed=hidden_size + input_size)
    xs, h0, c0 = random_sequence(batch, 7, batch, hidden_size, input_size)
    trace = trace_cell(weights, xs, h0, c0, reverse=reverse).trace
    reference = plain_cell_steps(weights, xs, h0, c0, reverse)
    names = (*stored_quantities(), "concat")
    for b in range(batch):
        for k, expected in enumerate(reference[b]):
            got = trace.step(k, b)
            assert got.t == expected.t
            for name in names:
                np.testing.assert_allclose(got[name], expected[name], rtol=0, atol=1e-12, err_msg=f"{name} step {k}")
            # and the (S, B, size) arrays hold the same values as the step view
            np.testing.assert_array_equal(trace[name][k, b], got[name])


@pytest.mark.parametrize("batch", [1, 2])  # one sequence runs on the column-major copy of W_h
@pytest.mark.parametrize("reverse", [False, True])
def test_states_only_run_matches_the_plain_cell_and_the_traced_run_bit_for_bit(reverse, batch):
    weights = presets.random(6, 4, seed=2)
    xs, h0, c0 = random_sequence(3, 9, batch, 6, 4)
    states = run_cell(weights, xs, h0, c0, reverse=reverse)
    traced = trace_cell(weights, xs, h0, c0, reverse=reverse)
    reference = plain_cell_steps(weights, xs, h0, c0, reverse)
    for b in range(batch):
        for step in reference[b]:
            np.testing.assert_allclose(states.outputs[step.t - 1, b], step.h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states.h_n[b], reference[b][-1].h, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states.c_n[b], reference[b][-1].c, rtol=0, atol=1e-12)
    # Both loops make the very same sums (the sigmoid rows are halved exactly), so the bits agree.
    for name in ("outputs", "h_n", "c_n"):
        np.testing.assert_array_equal(getattr(states, name), getattr(traced, name))


@pytest.mark.parametrize("batch", [1, 3])
def test_a_long_states_only_run_is_right_across_the_loop_s_blocks_of_steps(batch):
    # Longer than a block of steps, and not a multiple of it: the bias is added a block at a time.
    T = 2 * block_steps_for(4, batch, np.dtype("float64")) + 5
    weights = presets.random(4, 3, seed=11)
    xs, h0, c0 = random_sequence(12, T, batch, 4, 3)
    states = run_cell(weights, xs, h0, c0)
    reference = plain_cell_steps(weights, xs, h0, c0)
    for b in range(batch):
        expected = np.stack([step.h for step in reference[b]])
        np.testing.assert_allclose(states.outputs[:, b], expected, rtol=0, atol=1e-12)
        np.testing.assert_allclose(states.c_n[b], reference[b][-1].c, rtol=0, atol=1e-12)


def test_inputs_are_left_untouched():
    weights = presets.random(3, 2, seed=0)
    xs, h0, c0 = random_sequence(0, 4, 1, 3, 2)
    copies = xs.copy(), h0.copy(), c0.copy()
    run_cell(weights, xs, h0, c0)
    trace_cell(weights, xs, h0, c0)
    for original, copy in zip((xs, h0, c0), copies):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("batch", [1, 2])
def test_a_long_trace_is_consistent_across_the_loop_s_blocks_of_steps(batch, dtype, tolerance):
    # Longer than a block of steps, and not a multiple of it: the bias is added a block at a time.
    T = 2 * block_steps_for(5, batch, np.dtype(dtype)) + 5
    weights = presets.random(5, 3, seed=8).astype(dtype)
    xs, h0, c0 = (array.astype(dtype) for array in random_sequence(4, T, batch, 5, 3))
    trace = trace_cell(weights, xs, h0, c0).trace
    reference = plain_cell_steps(weights, xs, h0, c0, reverse=False)
    for name in ("h_prev", "c_prev", "forget.wz", "output.preact", "candidate.act", "keep", "write", "c", "c_tanh", "h"):
        expected = np.stack([[step[name] for step in run] for run in reference], axis=1)  # (T, B, H)
        np.testing.assert_allclose(trace[name], expected, rtol=0, atol=tolerance, err_msg=name)
    # keep, write and tanh(C) are made again from the kept gates and states, with the loop's bits
    np.testing.assert_array_equal(trace["keep"] + trace["write"], trace["c"])
    np.testing.assert_array_equal(trace["output.act"] * trace["c_tanh"], trace["h"])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("chunk_steps", [1, 3, 7, 100])
def test_chunks_cover_the_sequence_and_agree_with_one_pass(chunk_steps, reverse):
    weights = presets.random(4, 3, seed=5)
    xs, h0, c0 = random_sequence(9, 10, 2, 4, 3)
    whole = trace_cell(weights, xs, h0, c0, reverse=reverse).trace
    chunks = [chunk.copy() for chunk in trace_cell_chunks(weights, xs, h0, c0, reverse=reverse, chunk_steps=chunk_steps)]
    assert [len(chunk.times) for chunk in chunks] == [min(chunk_steps, 10 - k) for k in range(0, 10, chunk_steps)]
    times = np.concatenate([chunk.times for chunk in chunks])
    np.testing.assert_array_equal(times, np.arange(10, 0, -1) if reverse else np.arange(1, 11))
    for name in stored_quantities():
        joined = np.concatenate([chunk[name] for chunk in chunks])
        # Chunks make the input projection in smaller products, which BLAS may sum in another order.
        np.testing.assert_allclose(joined, whole[name], rtol=0, atol=1e-14)


def test_in_time_order_flips_the_reverse_direction():
    weights = presets.random(3, 2, seed=1)
    xs, _, _ = random_sequence(1, 5, 1, 3, 2)
    trace = trace_cell(weights, xs, reverse=True).trace
    np.testing.assert_array_equal(trace.times, [5, 4, 3, 2, 1])
    np.testing.assert_array_equal(trace.in_time_order("x"), xs)


def test_saturated_gates_stay_exact_without_warnings():
    # f's pre-activation is about +40 and i's about -40: σ is 1 and 0 to within 1e-17.
    weights = presets.identity(2, 2)
    weights.b["forget"][:] = 40
    weights.b["input"][:] = -40
    xs = np.ones((3, 1, 2))
    trace = trace_cell(weights, xs).trace
    reference = plain_cell_steps(weights, xs, np.zeros((1, 2)), np.zeros((1, 2)))[0]
    for k, step in enumerate(reference):
        for name in ("forget.act", "input.act", "c", "h"):
            np.testing.assert_allclose(trace.step(k)[name], step[name], rtol=0, atol=1e-12)


def test_a_step_view_serialises_like_a_step_of_the_plain_cell():
    weights = presets.random(3, 2, seed=4)
    xs, h0, c0 = random_sequence(4, 3, 1, 3, 2)
    trace = trace_cell(weights, xs, h0, c0).trace
    expected = step_to_dict(plain_cell_steps(weights, xs, h0, c0)[0][2])
    got = step_to_dict(trace.step(2))
    assert got.keys() == expected.keys() and got["t"] == 3
    np.testing.assert_allclose(got["forget"]["preact"], expected["forget"]["preact"], atol=1e-12)
    np.testing.assert_allclose(got["concat"], expected["concat"], atol=1e-12)


def test_shape_mistakes_are_clear_errors():
    weights = presets.random(3, 2, seed=0)
    with pytest.raises(UsageError, match=r"shape \(4, 1, 5\).*input size I = 2"):
        run_cell(weights, np.zeros((4, 1, 5)))
    with pytest.raises(UsageError, match=r"h_0 has shape \(3,\).*must have shape \(1, 3\)"):
        run_cell(weights, np.zeros((4, 1, 2)), h0=np.zeros(3))
    cells = {(0, "forward"): weights, (1, "forward"): presets.random(3, 5, seed=0)}
    with pytest.raises(DataError, match=r"layer 1, forward has H = 3, I = 5.*I = 3"):
        stack_layout(cells)
    with pytest.raises(DataError, match=r"do not form a stack: found \(layer 0, forward\), \(layer 2, forward\)"):
        stack_layout({(0, "forward"): weights, (2, "forward"): weights})
    with pytest.raises(DataError, match="do not form a stack"):
        stack_layout({(0, "forward"): weights, (0, "reverse"): weights, (1, "forward"): presets.random(3, 6)})
    with pytest.raises(UsageError, match=r"h_0 has shape \(1, 3\).*\(2, 4, 3\)"):
        initial_states(stack_layout({(0, "forward"): weights, (0, "reverse"): weights}), np.zeros((1, 3)), 4, "h_0")
    with pytest.raises(UsageError, match=r"shape \(3,\); expected \(T, I\)"):
        run_lstm({(0, "forward"): weights}, np.zeros(3))


# ---- against torch.nn.LSTM -------------------------------------------------------------------

STACKS = {
    "one layer": dict(num_layers=1, bidirectional=False),
    "two layers": dict(num_layers=2, bidirectional=False),
    "bidirectional": dict(num_layers=1, bidirectional=True),
    "two layers, bidirectional": dict(num_layers=2, bidirectional=True),
}


def torch_lstm(input_size, hidden_size, seed, dtype="float32", **shape):
    import torch

    torch.manual_seed(seed)
    return torch.nn.LSTM(input_size, hidden_size, **shape).to(getattr(torch, dtype))


@pytest.mark.framework
@pytest.mark.parametrize("with_states", [False, True], ids=["zero states", "initial states"])
@pytest.mark.parametrize("stack", list(STACKS))
def test_every_step_matches_torch_lstm_in_float32(stack, with_states):
    import torch

    H, I, T, B = 6, 4, 8, 3
    lstm = torch_lstm(I, H, seed=len(stack), **STACKS[stack])
    cells = cells_from_torch(lstm)
    cells_count = len(cells)
    rng = np.random.default_rng(11)
    xs = rng.normal(size=(T, B, I)).astype(np.float32)
    h0 = rng.normal(size=(cells_count, B, H)).astype(np.float32) if with_states else None
    c0 = rng.normal(size=(cells_count, B, H)).astype(np.float32) if with_states else None

    ours = run_lstm(cells, xs, h0, c0, keep_trace=True)
    with torch.no_grad():
        states = None if h0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
        output, (h_n, c_n) = lstm(torch.from_numpy(xs), states)
    assert ours.output.dtype == np.float32
    np.testing.assert_allclose(ours.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.h_n, h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.c_n, c_n.numpy(), rtol=0, atol=1e-5)

    for key, (hs, cs) in torch_per_step_states(lstm, xs, h0, c0).items():
        trace = ours.traces[key]
        np.testing.assert_allclose(trace.in_time_order("h"), hs, rtol=0, atol=1e-5, err_msg=f"h_t of {key}")
        np.testing.assert_allclose(trace.in_time_order("c"), cs, rtol=0, atol=1e-5, err_msg=f"C_t of {key}")

    untraced = run_lstm(cells, xs, h0, c0)
    np.testing.assert_array_equal(untraced.output, ours.output)


@pytest.mark.framework
@pytest.mark.parametrize("stack", ["one layer", "two layers, bidirectional"])
def test_batch_first_and_unbatched_inputs_match_torch(stack):
    import torch

    H, I, T, B = 5, 3, 6, 4
    lstm = torch_lstm(I, H, seed=3, **STACKS[stack])
    batch_first = torch.nn.LSTM(I, H, batch_first=True, **STACKS[stack])
    batch_first.load_state_dict(lstm.state_dict())
    cells = cells_from_torch(lstm)
    xs = np.random.default_rng(2).normal(size=(B, T, I)).astype(np.float32)
    ours = run_lstm(cells, xs, batch_first=True)
    one = run_lstm(cells, xs[1])  # (T, I): one sequence, no batch dimension
    with torch.no_grad():
        output, (h_n, c_n) = batch_first(torch.from_numpy(xs))
        single, (h_single, _) = lstm(torch.from_numpy(xs[1]))
    assert ours.output.shape == (B, T, output.shape[2]) and one.output.shape == tuple(single.shape)
    np.testing.assert_allclose(ours.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.h_n, h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.c_n, c_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(one.output, single.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(one.h_n, h_single.numpy(), rtol=0, atol=1e-5)


@pytest.mark.framework
def test_float64_stack_matches_torch_to_1e_10():
    import torch

    lstm = torch_lstm(3, 5, seed=8, dtype="float64", num_layers=2, bidirectional=True)
    xs = np.random.default_rng(8).normal(size=(12, 2, 3))
    ours = run_lstm(cells_from_torch(lstm), xs)
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.from_numpy(xs))
    np.testing.assert_allclose(ours.output, output.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.c_n, c_n.numpy(), rtol=0, atol=1e-10)


@pytest.mark.framework
def test_streamed_stack_gives_the_same_outputs_as_torch():
    import torch

    lstm = torch_lstm(4, 3, seed=9, num_layers=2, bidirectional=True)
    cells = cells_from_torch(lstm)
    xs = np.random.default_rng(9).normal(size=(11, 2, 4)).astype(np.float32)
    zeros = np.zeros((4, 2, 3), np.float32)
    stream = StackStream(cells, xs, zeros, zeros, chunk_steps=4)
    seen = [(chunk.layer, chunk.direction, len(chunk.times)) for chunk in stream]
    assert seen == [(layer, d, n) for layer in (0, 1) for d in ("forward", "reverse") for n in (4, 4, 3)]
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.from_numpy(xs))
    np.testing.assert_allclose(stream.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(stream.h_n, h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(stream.c_n, c_n.numpy(), rtol=0, atol=1e-5)


# ---- the cell's own step on the rows of a batch -----------------------------------------------


@pytest.mark.parametrize("cell", [LSTM(), LSTM(peephole=True, cell_clip=0.5), LSTM(cifg=True), LSTM(proj_size=2),
                                  GRU(), GRU(reset_before=True, preact_clip=0.7)], ids=str)  # fmt: skip
def test_the_cell_step_on_rows_is_each_row_s_step(cell):
    H, I, B = 4, 3, 5
    weights = (gru_preset("random", H, I, 2) if cell.variant == "gru"
               else lstm_preset("random", H, I, 2, peepholes=cell.variant == "peephole", proj_size=cell.proj_size))  # fmt: skip
    rng = np.random.default_rng(0)
    xs, h = rng.normal(size=(B, I)), rng.normal(size=(B, weights.h_size))
    c = rng.normal(size=(B, H)) if cell.has_cell_state else None
    rows = cell_step(weights, xs, h, c, cell)
    for b in range(B):
        alone = cell_step(weights, xs[b], h[b], None if c is None else c[b], cell)
        for name, value in alone.values.items():
            row = rows[name] if rows[name].ndim == 1 else rows[name][b]  # a bias has no batch axis
            # the matrix products of B rows are one BLAS call, which may sum in another order than B calls
            np.testing.assert_allclose(row, value, rtol=0, atol=1e-14, err_msg=name)
    one = cell_step(weights, xs[:1], h[:1], None if c is None else c[:1], cell)  # a batch of one: the very bits
    alone = cell_step(weights, xs[0], h[0], None if c is None else c[0], cell)
    for name, value in alone.values.items():
        np.testing.assert_array_equal(one[name] if one[name].ndim == 1 else one[name][0], value, err_msg=name)
