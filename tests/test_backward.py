"""The backward pass against PyTorch autograd and against finite differences; BPTT and the RNN
baseline against unrolled torch loops."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from lstm_trace import LSTMWeights, lstm_step, presets
from lstm_trace.engine.bptt import through_time as lstm_through_time
from lstm_trace.cells.lstm import lstm_backward as lstm_step_backward
from lstm_trace.errors import UsageError
from lstm_trace.cells.rnn import random_rnn, rnn_through_time
from lstm_trace.stages import BACKWARD_STAGES, GRAD_QUANTITIES
from lstm_trace.cells import CellOptions
from lstm_trace.cells.activations import hard_sigmoid_slope, relu_slope, softsign_slope
from lstm_trace.cells.step import cell_backward, cell_step
from lstm_trace.stages import backward_layout
from lstm_trace.weights.presets import lstm_preset
from tests.torch_backward import (
    GATES, lstm_cell_module, lstm_cell_parameter_gradients, lstm_cell_through_time, rnn_cell_through_time,
    torch_lstm_through_time, torch_step_gradients,
)  # fmt: skip

SIZES = [(1, 1), (3, 7), (8, 2), (5, 5), (17, 11)]


def random_case(hidden_size, input_size, seed):
    """Random weights and inputs, with non-zero C_{t-1}, ∂L/∂hₜ and ∂L/∂Cₜ."""
    rng = np.random.default_rng(seed)
    weights = presets.random(hidden_size, input_size, seed=seed)
    # Larger biases than the init so some gates sit near 0 or 1, where σ′ is small.
    b = {g: v * 4 for g, v in weights.b.items()}
    weights = LSTMWeights(W=weights.W, b=b, provenance=weights.provenance)
    x, h, c = rng.normal(size=input_size), rng.normal(size=hidden_size), rng.normal(size=hidden_size) * 2
    d_h, d_c = rng.normal(size=hidden_size), rng.normal(size=hidden_size)
    return weights, x, h, c, d_h, d_c


@pytest.mark.framework
@pytest.mark.parametrize("hidden_size, input_size", SIZES)
def test_every_gradient_matches_torch_autograd_in_float64(hidden_size, input_size):
    weights, x, h, c, d_h, d_c = random_case(hidden_size, input_size, seed=hidden_size * 31 + input_size)
    backward = lstm_step_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
    reference = torch_step_gradients(weights, x, h, c, d_h, d_c)
    checked = set()
    for name in GRAD_QUANTITIES:
        if name in reference:
            np.testing.assert_allclose(backward[name], reference[name], rtol=0, atol=1e-10, err_msg=name)
            checked.add(name)
    # Everything but the upstream inputs themselves has an autograd counterpart.
    assert set(GRAD_QUANTITIES) - checked == {"d_c_carried"}
    np.testing.assert_array_equal(backward.d_h, d_h)
    np.testing.assert_array_equal(backward.d_c_carried, d_c)


@pytest.mark.framework
@pytest.mark.parametrize("hidden_size, input_size", [(3, 7), (6, 4)])
def test_weights_inputs_and_states_match_torch_lstm_cell(hidden_size, input_size):
    """nn.LSTMCell is torch's own implementation: nothing shared with our equations but the maths."""
    import torch

    weights, x, h, c, d_h, d_c = random_case(hidden_size, input_size, seed=7 + hidden_size)
    backward = lstm_step_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
    cell = lstm_cell_module(weights)
    leaves = [torch.tensor(v[None], requires_grad=True) for v in (x, h, c)]
    h_new, c_new = cell(leaves[0], (leaves[1], leaves[2]))
    torch.autograd.backward([h_new, c_new], [torch.from_numpy(d_h[None]), torch.from_numpy(d_c[None])])
    d_W, d_b = lstm_cell_parameter_gradients(cell, hidden_size)
    for gate in GATES:
        np.testing.assert_allclose(backward.gate(gate).d_W, d_W[gate], rtol=0, atol=1e-10)
        np.testing.assert_allclose(backward.gate(gate).d_b, d_b[gate], rtol=0, atol=1e-10)
    for ours, leaf in zip((backward.d_x, backward.d_h_prev, backward.d_c_prev), leaves):
        np.testing.assert_allclose(ours, leaf.grad.numpy()[0], rtol=0, atol=1e-10)


@pytest.mark.framework
def test_float32_matches_torch_autograd_in_float32():
    weights, x, h, c, d_h, d_c = random_case(6, 4, seed=3)
    weights = weights.astype("float32")
    backward = lstm_step_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
    assert backward.d_x.dtype == np.float32 and backward.forget.d_W.dtype == np.float32
    reference = torch_step_gradients(weights, x, h, c, d_h, d_c, dtype="float32")
    for name in ("d_c", "output.d_preact", "forget.d_W", "d_h_prev", "d_x", "d_c_prev"):
        np.testing.assert_allclose(backward[name], reference[name], rtol=0, atol=1e-5, err_msg=name)


def loss_of_cell(weights, x, h, c, d_h, d_c):
    step = lstm_step(weights, x, h, c)
    return float(d_h @ step.h + d_c @ step.c)


def central_difference(function, point, eps=1e-6):
    """∂function/∂point[k] for every k, by (f(p + ε) − f(p − ε)) / 2ε."""
    gradient = np.zeros_like(point)
    for k in np.ndindex(point.shape):
        up, down = point.copy(), point.copy()
        up[k] += eps
        down[k] -= eps
        gradient[k] = (function(up) - function(down)) / (2 * eps)
    return gradient


@pytest.mark.parametrize("hidden_size, input_size", [(3, 2), (2, 5)])
def test_gradients_match_central_finite_differences_of_the_numpy_cell(hidden_size, input_size):
    weights, x, h, c, d_h, d_c = random_case(hidden_size, input_size, seed=11 * hidden_size + input_size)
    backward = lstm_step_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
    loss = lambda **changed: loss_of_cell(**{"weights": weights, "x": x, "h": h, "c": c, **changed}, d_h=d_h, d_c=d_c)  # noqa: E731
    tolerance = dict(rtol=0, atol=1e-8)  # ε² truncation plus ~1e-16/ε rounding
    np.testing.assert_allclose(backward.d_x, central_difference(lambda v: loss(x=v), x), **tolerance)
    np.testing.assert_allclose(backward.d_h_prev, central_difference(lambda v: loss(h=v), h), **tolerance)
    np.testing.assert_allclose(backward.d_c_prev, central_difference(lambda v: loss(c=v), c), **tolerance)
    for gate in GATES:
        with_W = lambda v, g=gate: loss(weights=LSTMWeights(W={**weights.W, g: v}, b=weights.b, provenance={}))  # noqa: E731
        with_b = lambda v, g=gate: loss(weights=LSTMWeights(W=weights.W, b={**weights.b, g: v}, provenance={}))  # noqa: E731
        np.testing.assert_allclose(backward.gate(gate).d_W, central_difference(with_W, weights.W[gate]), **tolerance)
        np.testing.assert_allclose(backward.gate(gate).d_b, central_difference(with_b, weights.b[gate]), **tolerance)


def test_carousel_by_hand():
    """With ∂L/∂hₜ = 0 only the carried gradient flows: ∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ, the forget gate's σ(preact)."""
    weights = presets.identity(2, 2)
    weights = LSTMWeights(W=weights.W, b={**weights.b, "forget": np.array([3.0, -1.0])}, provenance={})
    step = lstm_step(weights, [0.5, -0.25], [0.0, 0.0], [1.0, 2.0])
    backward = lstm_step_backward(step, weights, np.zeros(2), np.array([1.0, -2.0]))
    f = 1 / (1 + np.exp(-np.array([0.5 + 3.0, -0.25 - 1.0])))  # W_f·z = h + x with identity weights
    np.testing.assert_allclose(backward.d_c_prev, [1.0 * f[0], -2.0 * f[1]], rtol=1e-15)
    np.testing.assert_array_equal(backward.output.d_preact, [0.0, 0.0])  # nothing came through hₜ


def test_the_registry_numpy_lines_compute_what_the_backward_pass_computes():
    """What the tables and `explain grad` print as NumPy, run line by line, gives the backward pass's values."""
    weights = presets.random(3, 2, seed=5)
    step = lstm_step(weights, [0.4, -0.7], [0.1, -0.2, 0.3], [0.5, -1.0, 0.25])
    d_h, d_c_carried = np.array([0.3, -1.2, 0.8]), np.array([0.1, 0.0, -0.4])
    backward = lstm_step_backward(step, weights, d_h, d_c_carried)
    names = {"f": step.forget.act, "i": step.input.act, "c_tilde": step.candidate.act, "o": step.output.act,
             "c_prev": step.c_prev, "c_tanh": step.c_tanh, "z": step.concat, "d_h": d_h, "d_c_carried": d_c_carried,
             "H": 3, "np": np}  # fmt: skip
    letters = {"f": "forget", "i": "input", "c": "candidate", "o": "output"}
    for stage in BACKWARD_STAGES:
        if stage.name == "concat":  # W_gᵀδ_g: each gate's share of ∂L/∂z, the gate quantities' formula
            names.update({f"d_z_{g}": weights.W[gate].T @ names[f"delta_{g}"] for g, gate in letters.items()})
        for line in stage.numpy:
            for g in letters if "_g" in line else ("",):
                exec(line.replace("_g", f"_{g}") if g else line, {}, names)
    np.testing.assert_array_equal(names["d_c"], backward.d_c)
    np.testing.assert_array_equal(names["c_tanh_local"], backward.c_tanh_local)
    for g, gate in letters.items():
        np.testing.assert_array_equal(names[f"delta_{g}"], backward[f"{gate}.d_preact"], err_msg=gate)
        np.testing.assert_array_equal(names[f"d_W_{g}"], backward[f"{gate}.d_W"], err_msg=gate)
    for name in ("d_z", "d_h_prev", "d_x", "d_c_prev"):
        np.testing.assert_allclose(names[name], backward[name], rtol=0, atol=1e-15, err_msg=name)


def test_upstream_shape_is_checked():
    weights = presets.random(3, 2)
    step = lstm_step(weights, [0.1, 0.2])
    with pytest.raises(UsageError, match=r"d_h has shape \(2,\).*H = 3"):
        lstm_step_backward(step, weights, np.ones(2))


@pytest.mark.framework
@pytest.mark.parametrize("hidden_size, input_size, steps", [(4, 3, 6), (3, 5, 9)])
def test_bptt_matches_an_unrolled_torch_loop(hidden_size, input_size, steps):
    rng = np.random.default_rng(hidden_size + steps)
    weights, _, h0, c0, d_h, d_c = random_case(hidden_size, input_size, seed=steps)
    xs = rng.normal(size=(steps, input_size))
    run = lstm_through_time(weights, xs, h0, c0, d_h, d_c)
    d_h_ref, d_c_ref = torch_lstm_through_time(weights, xs, h0, c0, d_h, d_c)
    for t, step in enumerate(run.steps, start=1):
        np.testing.assert_allclose(step.backward.d_h, d_h_ref[t], rtol=0, atol=1e-10)
        np.testing.assert_allclose(step.backward.d_c, d_c_ref[t], rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.d_h_norm, np.linalg.norm(d_h_ref, axis=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.d_c_norm, np.linalg.norm(d_c_ref, axis=1), rtol=1e-12, atol=1e-14)


@pytest.mark.framework
def test_bptt_matches_torch_lstm_cell_unrolled():
    """The per-step gradients summed over time are the weight gradients torch's LSTMCell gets."""
    rng = np.random.default_rng(5)
    weights, _, h0, c0, d_h, d_c = random_case(5, 3, seed=5)
    xs = rng.normal(size=(8, 3))
    run = lstm_through_time(weights, xs, h0, c0, d_h, d_c)
    reference = lstm_cell_through_time(weights, xs, h0, c0, d_h, d_c)
    for t, step in enumerate(run.steps, start=1):
        np.testing.assert_allclose(step.backward.d_h, reference["d_h"][t], rtol=0, atol=1e-10)
        np.testing.assert_allclose(step.backward.d_c, reference["d_c"][t], rtol=0, atol=1e-10)
        np.testing.assert_allclose(step.backward.d_x, reference["d_x"][t - 1], rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.steps[0].backward.d_h_prev, reference["d_h"][0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.steps[0].backward.d_c_prev, reference["d_c"][0], rtol=0, atol=1e-10)
    for gate in GATES:
        total_W = sum(step.backward.gate(gate).d_W for step in run.steps)
        total_b = sum(step.backward.gate(gate).d_b for step in run.steps)
        np.testing.assert_allclose(total_W, reference["d_W"][gate], rtol=0, atol=1e-10)
        np.testing.assert_allclose(total_b, reference["d_b"][gate], rtol=0, atol=1e-10)


def test_bptt_defaults_to_the_sum_of_the_last_hidden_state():
    weights = presets.random(3, 2, seed=1)
    xs = np.array([[0.1, 0.2], [0.3, -0.4]])
    default = lstm_through_time(weights, xs)
    explicit = lstm_through_time(weights, xs, np.zeros(3), np.zeros(3), np.ones(3), np.zeros(3))
    np.testing.assert_array_equal(default.d_h_norm, explicit.d_h_norm)
    assert default.d_h_norm[-1] == pytest.approx(np.sqrt(3))  # ‖ones(3)‖
    assert [step.t for step in default.steps] == [1, 2]


@pytest.mark.framework
@pytest.mark.parametrize("hidden_size, input_size", [(4, 3), (2, 6)])
def test_rnn_matches_torch_rnn_cell(hidden_size, input_size):
    rng = np.random.default_rng(hidden_size)
    rnn = random_rnn(hidden_size, input_size, seed=4)
    xs, h0, d_h = rng.normal(size=(7, input_size)), rng.normal(size=hidden_size), rng.normal(size=hidden_size)
    run = rnn_through_time(rnn, xs, h0, d_h)
    np.testing.assert_allclose(run.d_h, rnn_cell_through_time(rnn.W, rnn.b, xs, h0, d_h), rtol=0, atol=1e-10)


def test_rnn_init_is_the_lstm_scheme():
    """uniform(±1/√H) with the same seed: the RNN's W is drawn exactly like the LSTM's W_f."""
    rnn, lstm = random_rnn(4, 3, seed=9), presets.random(4, 3, seed=9)
    np.testing.assert_array_equal(rnn.W, lstm.W["forget"])
    assert np.abs(rnn.b).max() <= 0.5 and rnn.provenance["seed"] == 9


def test_forget_bias_keeps_the_cell_gradient_alive():
    """The carousel's point in numbers: with b_f raised, ‖∂L/∂C₀‖ stays near ‖∂L/∂C_T‖."""
    weights = presets.random(8, 3, seed=0)
    xs = np.random.default_rng(1).normal(size=(30, 3))
    plain = lstm_through_time(weights, xs)
    opened = lstm_through_time(LSTMWeights(W=weights.W, b={**weights.b, "forget": weights.b["forget"] + 5}, provenance={}), xs)
    assert plain.d_c_norm[0] / plain.d_c_norm[-1] < 1e-5
    assert opened.d_c_norm[0] / opened.d_c_norm[-1] > 0.5



OPTION_CELLS = {
    "peephole": dict(variant="peephole"),
    "cifg": dict(variant="cifg"),
    "cell clip": dict(cell_clip=0.3),
    "preact clip": dict(preact_clip=0.5),
    "projection": dict(proj_size=2),
    "hard sigmoid, relu": dict(gate_activation="hard_sigmoid", cell_activation="relu"),
    "softsign, forget bias": dict(cell_activation="softsign", forget_bias=1.0),
    "everything": dict(variant="peephole", cell_clip=0.3, preact_clip=0.5, proj_size=2, forget_bias=1.0),
}


@pytest.mark.parametrize("name", list(OPTION_CELLS))
def test_every_configurations_numpy_lines_compute_its_backward_pass(name):
    """The NumPy lines the grad tables show for an LSTM with options, run in order, give its gradients."""
    cell = CellOptions(**OPTION_CELLS[name])
    weights = lstm_preset("random", 3, 2, seed=7, peepholes=cell.variant == "peephole", proj_size=cell.proj_size)
    P = cell.proj_size or 3
    step = cell_step(weights, [0.9, -1.4], np.linspace(-0.6, 0.8, P), [0.5, -1.0, 0.25], cell)
    d_h, d_c_carried = np.linspace(1.2, -0.7, P), np.array([0.1, 0.0, -0.4])
    backward = cell_backward(step, weights, d_h, d_c_carried)
    letters = {"f": "forget", "i": "input", "c": "candidate", "o": "output"}
    names = {"c_prev": step.c_prev, "c": step.c, "c_tanh": step.c_tanh, "z": step.concat, "d_h": d_h,
             "d_c_carried": d_c_carried, "keep": step.keep, "write": step.write, "m": step.h_unprojected,
             "W_hr": weights.projection, "H": 3, "P": P, "np": np,
             "hard_sigmoid_slope": lambda a: hard_sigmoid_slope(a, None), "relu_slope": lambda a: relu_slope(a, None),
             "softsign_slope": lambda a: softsign_slope(a, None)}  # fmt: skip
    names.update({"f": step.forget.act, "i": step.input.act, "c_tilde": step.candidate.act, "o": step.output.act})
    names.update({f"a_{g}": step[f"{gate}.preact"] for g, gate in letters.items() if step[f"{gate}.preact"] is not None})
    if weights.peepholes is not None:
        names.update({f"p_{g}": weights.peepholes[gate] for g, gate in letters.items() if gate in weights.peepholes})
    weighted = [g for g, gate in letters.items() if backward[f"{gate}.d_W"] is not None]
    for stage in backward_layout(cell).stages:
        if stage.name == "concat":
            names.update({f"d_z_{g}": weights.W[letters[g]].T @ names[f"delta_{g}"] for g in weighted})
        for line in stage.numpy:
            for g in (weighted if "_g" in line else ("",)):
                exec(line.replace("_g", f"_{g}") if g else line, {}, names)
    for g in weighted:
        np.testing.assert_allclose(names[f"delta_{g}"], backward[f"{letters[g]}.d_preact"], rtol=0, atol=1e-15, err_msg=g)
        np.testing.assert_allclose(names[f"d_W_{g}"], backward[f"{letters[g]}.d_W"], rtol=0, atol=1e-15, err_msg=g)
    for name_ in ("d_c", "d_z", "d_h_prev", "d_x", "d_c_prev"):
        np.testing.assert_allclose(names[name_], backward[name_], rtol=0, atol=1e-15, err_msg=name_)
    if cell.variant == "peephole":
        for g, gate in (("f", "forget"), ("i", "input"), ("o", "output")):
            np.testing.assert_allclose(names[f"d_p_{g}"], backward[f"peephole.{gate}"], rtol=0, atol=1e-15)
    if cell.proj_size is not None:
        np.testing.assert_allclose(names["d_W_hr"], backward["d_projection"], rtol=0, atol=1e-15)
