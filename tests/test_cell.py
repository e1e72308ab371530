"""The NumPy cell against PyTorch's LSTMCell, hand-worked values, and its numerical edges."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from lstm_trace import LSTMWeights, lstm_step, presets, sigmoid

SEED_H = [0, 0.5, 0.1, 0.2, 0.6]
SEED_X = [-0.1, 0.3, 0.1, -0.25, 0.1]
# The learner's own numbers from the seed question: sigmoid(h + x).
SEED_F = [0.47502081, 0.68997448, 0.549834, 0.4875026, 0.66818777]


def torch_cell_outputs(weights: LSTMWeights, x, h, c, dtype):
    """Run torch.nn.LSTMCell with the same weights; PyTorch stacks rows as i, f, g, o."""
    import torch

    H, I = weights.hidden_size, weights.input_size
    cell = torch.nn.LSTMCell(I, H).to(getattr(torch, dtype))
    order = ("input", "forget", "candidate", "output")
    W = np.vstack([weights.W[g] for g in order])  # (4H, H+I), columns [h | x]
    b = np.concatenate([weights.b[g] for g in order])
    with torch.no_grad():
        cell.weight_hh.copy_(torch.from_numpy(W[:, :H]))
        cell.weight_ih.copy_(torch.from_numpy(W[:, H:]))
        cell.bias_ih.copy_(torch.from_numpy(b))
        cell.bias_hh.zero_()
        t = lambda v: torch.from_numpy(np.asarray(v, dtype=dtype))[None]  # noqa: E731
        h_new, c_new = cell(t(x), (t(h), t(c)))
    return h_new[0].numpy(), c_new[0].numpy()


@pytest.mark.framework
@pytest.mark.parametrize("hidden_size, input_size", [(1, 1), (3, 7), (8, 2), (5, 5), (17, 11)])
def test_matches_torch_lstm_cell_in_float64(hidden_size, input_size):
    rng = np.random.default_rng(hidden_size * 100 + input_size)
    weights = presets.random(hidden_size, input_size, seed=hidden_size)
    x, h, c = rng.normal(size=input_size), rng.normal(size=hidden_size), rng.normal(size=hidden_size)
    step = lstm_step(weights, x, h, c)
    h_ref, c_ref = torch_cell_outputs(weights, x, h, c, "float64")
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-10)


@pytest.mark.framework
def test_matches_torch_lstm_cell_in_float32():
    rng = np.random.default_rng(7)
    weights = presets.random(6, 4, seed=3).astype("float32")
    x, h, c = rng.normal(size=4), rng.normal(size=6), rng.normal(size=6)
    step = lstm_step(weights, x, h, c)
    assert step.h.dtype == np.float32
    h_ref, c_ref = torch_cell_outputs(weights, x, h, c, "float32")
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-5)
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-5)


def test_seed_question_forget_gate_is_the_learners_sigmoid_of_the_sum():
    step = lstm_step(presets.identity(5, 5), SEED_X, SEED_H)
    np.testing.assert_allclose(step.forget.act, SEED_F, atol=5e-9)
    np.testing.assert_array_equal(step.concat, SEED_H + SEED_X)  # concatenation: 10 entries


def test_seed_question_by_hand():
    """Every stage recomputed element by element with math, no NumPy."""
    step = lstm_step(presets.identity(5, 5), SEED_X, SEED_H)
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    for j in range(5):
        s = SEED_H[j] + SEED_X[j]  # identity weights: row j picks h[j] and x[j]
        f = i = o = sig(s)
        g = math.tanh(s)
        c = f * 0.0 + i * g  # C_{t-1} = 0
        assert step.candidate.act[j] == pytest.approx(g, abs=1e-15)
        assert step.c[j] == pytest.approx(c, abs=1e-15)
        assert step.h[j] == pytest.approx(o * math.tanh(c), abs=1e-15)


def test_intermediates_are_consistent():
    rng = np.random.default_rng(0)
    weights = presets.random(4, 3, seed=9)
    step = lstm_step(weights, rng.normal(size=3), rng.normal(size=4), rng.normal(size=4))
    for name in ("forget", "input", "candidate", "output"):
        gate = step.gate(name)
        np.testing.assert_array_equal(gate.preact, gate.wz + gate.bias)
        np.testing.assert_allclose(gate.wz, weights.W[name] @ step.concat, atol=1e-15)
    np.testing.assert_array_equal(step.c, step.forget.act * step.c_prev + step.input.act * step.candidate.act)
    assert step["forget.act"] is step.forget.act and step["keep"] is step.keep


def test_unequal_sizes_concatenate():
    step = lstm_step(presets.random(3, 2, seed=1), [1.0, -0.5], [0.3, -0.2, 0.6])
    assert step.concat.shape == (5,)
    np.testing.assert_array_equal(step.concat, [0.3, -0.2, 0.6, 1.0, -0.5])


def test_sigmoid_is_exact_at_the_extremes_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = sigmoid(np.array([-1e4, -1000.0, -30.0, 0.0, 30.0, 1000.0, 1e4]))
    assert values[0] == 0.0 and values[1] == 0.0 and values[-1] == 1.0 and values[-2] == 1.0
    assert values[3] == 0.5
    assert values[2] == pytest.approx(1 / (1 + math.exp(30)), rel=1e-14)  # full relative precision near 0


def test_huge_preactivations_give_saturated_finite_states():
    weights = presets.identity(3, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step = lstm_step(weights, [1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(step.forget.act, [1.0, 0.0, 0.5])
    assert np.all(np.isfinite(step.h)) and np.all(np.abs(step.h) <= 1)
