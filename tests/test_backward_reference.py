"""The backward pass of every cell against PyTorch autograd: the plain LSTM against torch ops and against
nn.LSTMCell, nn.RNNCell for the baseline; every cell against its equations written out in torch ops
(tests/torch_variant_cells.py), one step and through time. Float64 to 1e-10 unless said.

The reference cells are written from the equations, not from lstm_trace's backward; their forward is
first checked against lstm_trace's NumPy forward (1e-12), so both sides compute the same function.
The finite-difference checks, which need no torch, are in test_backward.py; so are the cases' helpers.
"""

from __future__ import annotations

import numpy as np
import pytest
from frameworks import LazyImport
from test_backward import Case, P, assert_all_close, make_inputs, make_weights

from lstm_trace import GRU, LSTM, LSTMWeights, lstm_step, presets
from lstm_trace.cells import CellOptions
from lstm_trace.cells.lstm import lstm_backward
from lstm_trace.cells.rnn import random_rnn, rnn_through_time
from lstm_trace.cells.step import cell_backward, cell_step
from lstm_trace.engine.bptt import through_time
from lstm_trace.stages import GRAD_QUANTITIES
from tests.torch_backward import (
    GATES,
    lstm_cell_module,
    lstm_cell_parameter_gradients,
    lstm_cell_through_time,
    rnn_cell_through_time,
    torch_lstm_through_time,
    torch_step_gradients,
)  # fmt: skip
from tests.torch_variant_cells import torch_sequence_reference, torch_step_reference

torch = LazyImport("torch")

pytestmark = pytest.mark.framework

FORWARD_TOL, GRAD_TOL = 1e-12, 1e-10


# --- the plain LSTM: every named gradient, against torch ops and against nn.LSTMCell ----------------------

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


@pytest.mark.parametrize("hidden_size, input_size", SIZES)
def test_every_gradient_matches_torch_autograd_in_float64(hidden_size, input_size):
    weights, x, h, c, d_h, d_c = random_case(hidden_size, input_size, seed=hidden_size * 31 + input_size)
    backward = lstm_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
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


@pytest.mark.parametrize("hidden_size, input_size", [(3, 7), (6, 4)])
def test_weights_inputs_and_states_match_torch_lstm_cell(hidden_size, input_size):
    """nn.LSTMCell is torch's own implementation: nothing shared with our equations but the maths."""
    weights, x, h, c, d_h, d_c = random_case(hidden_size, input_size, seed=7 + hidden_size)
    backward = lstm_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
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


def test_float32_matches_torch_autograd_in_float32():
    weights, x, h, c, d_h, d_c = random_case(6, 4, seed=3)
    weights = weights.astype("float32")
    backward = lstm_backward(lstm_step(weights, x, h, c), weights, d_h, d_c)
    assert backward.d_x.dtype == np.float32 and backward.forget.d_W.dtype == np.float32
    reference = torch_step_gradients(weights, x, h, c, d_h, d_c, dtype="float32")
    for name in ("d_c", "output.d_preact", "forget.d_W", "d_h_prev", "d_x", "d_c_prev"):
        np.testing.assert_allclose(backward[name], reference[name], rtol=0, atol=1e-5, err_msg=name)


# --- every cell: one step against its equations in torch ops -------------------------------------------


def _some_outside(values: np.ndarray, bound: float, what: str) -> None:
    outside = np.abs(values) > bound
    assert outside.any() and (~outside).any(), f"{what}: want some |a| > {bound} and some not, got {values}"


def _gate_preacts(ref, gates=("forget", "input", "output")) -> np.ndarray:
    return np.concatenate([ref["preact"][g] for g in gates if g in ref["preact"]])


def _cell_clip_bites(V):
    return lambda ref: _some_outside(ref["u"], V, "cell clip on u = f⊙C_prev + i⊙C̃")


def _preact_clip_bites(V):
    return lambda ref: _some_outside(np.concatenate(list(ref["preact"].values())), V, "preact clip")


def _hard_sigmoid_flat(ref):
    _some_outside(_gate_preacts(ref, ("forget", "input", "output", "reset", "update")), 2.5, "hard σ flat part")


def _hard_sigmoid_flat_inside_clip(V):
    """With a preact clip V > 2.5, some gate units must sit in hard σ's flat part without being clipped."""

    def check(ref):
        a = np.abs(_gate_preacts(ref))
        assert ((a > 2.5) & (a < V)).any(), f"no gate pre-activation in (2.5, {V}): {a}"

    return check


def _relu_both_sides(ref):
    a_c, c = ref["preact"]["candidate"], ref["c"]
    assert (a_c > 0).any() and (a_c < 0).any() and (c > 0).any() and (c < 0).any(), (a_c, c)


CASES = {
    "lstm": Case(LSTM()),
    "peephole": Case(LSTM(peephole=True)),
    "cifg": Case(LSTM(cifg=True)),
    "lstm+forget_bias": Case(LSTM(forget_bias=1.0)),
    "lstm+cell_clip": Case(LSTM(cell_clip=0.5), c_scale=2.0, condition=_cell_clip_bites(0.5)),
    "lstm+preact_clip": Case(LSTM(preact_clip=0.6), weight_scale=2.5, input_scale=2.0,
                             condition=_preact_clip_bites(0.6)),  # fmt: skip
    "lstm+proj": Case(LSTM(proj_size=P)),
    "hard_sigmoid": Case(LSTM(gate_activation="hard_sigmoid"), weight_scale=6.0, input_scale=2.0,
                         condition=_hard_sigmoid_flat),  # fmt: skip
    "relu": Case(LSTM(cell_activation="relu"), c_scale=2.0, condition=_relu_both_sides),
    "softsign": Case(LSTM(cell_activation="softsign"), weight_scale=2.0),
    "peephole+cell_clip+preact_clip+hard_sigmoid": Case(
        LSTM(peephole=True, cell_clip=0.4, preact_clip=4.0, gate_activation="hard_sigmoid"),
        weight_scale=6.0, input_scale=2.0, c_scale=2.0,
        condition=lambda ref: (_cell_clip_bites(0.4)(ref), _preact_clip_bites(4.0)(ref), _hard_sigmoid_flat(ref),
                               _hard_sigmoid_flat_inside_clip(4.0)(ref)),
    ),  # fmt: skip
    "cifg+proj+forget_bias+cell_clip": Case(
        LSTM(cifg=True, proj_size=P, forget_bias=1.0, cell_clip=0.5), c_scale=2.0,
        condition=_cell_clip_bites(0.5),
    ),  # fmt: skip
    "peephole+proj+softsign+preact_clip": Case(
        LSTM(peephole=True, proj_size=P, cell_activation="softsign", preact_clip=0.6),
        weight_scale=2.5, input_scale=2.0, condition=_preact_clip_bites(0.6),
    ),  # fmt: skip
    "peephole+relu+forget_bias": Case(LSTM(peephole=True, cell_activation="relu", forget_bias=0.5),
                                      c_scale=2.0, condition=_relu_both_sides),  # fmt: skip
    "gru": Case(GRU()),
    "gru+reset_before": Case(GRU(reset_before=True)),
    "gru+preact_clip": Case(GRU(preact_clip=1.5), weight_scale=2.5, input_scale=2.0,
                            condition=_preact_clip_bites(1.5)),  # fmt: skip
    "gru+reset_before+hard_sigmoid+softsign": Case(
        GRU(reset_before=True, gate_activation="hard_sigmoid", cell_activation="softsign"),
        weight_scale=6.0, input_scale=2.0, condition=_hard_sigmoid_flat,
    ),  # fmt: skip
}


def step_pairs(ours, ref, cell: CellOptions) -> dict:
    """Every gradient of one step, named, as (lstm_trace, torch) pairs."""
    pairs = {"d_h_prev": (ours.d_h_prev, ref["d_h_prev"]), "d_x": (ours.d_x, ref["d_x"])}
    for g, d_act in ref["d_act"].items():
        pairs[f"{g}.d_act"] = (ours.gates[g].d_act, d_act)
    for g, d_preact in ref["d_preact"].items():
        pairs[f"{g}.d_preact"] = (ours.gates[g].d_preact, d_preact)
        pairs[f"{g}.d_W"] = (ours.gates[g].d_W, ref["d_W"][g])
        pairs[f"{g}.d_b"] = (ours.gates[g].d_b, ref["d_b"][g])
    if cell.variant == "gru":
        pairs["d_b_hn"] = (ours.d_b_hn, ref["d_b_hn"])
        pairs["d_h_direct"] = (ours.d_h_direct, ref["d_h_direct"])
        return pairs
    pairs.update(d_c_prev=(ours.d_c_prev, ref["d_c_prev"]), d_c=(ours.d_c, ref["d_c"]))
    if cell.cell_clip is not None:
        pairs["d_c_unclipped"] = (ours.d_c_unclipped, ref["d_u"])
    if ref["d_peepholes"] is not None:
        pairs.update({f"p_{g}": (ours.d_peepholes[g], d_p) for g, d_p in ref["d_peepholes"].items()})
    if ref["d_projection"] is not None:
        pairs["d_projection"] = (ours.d_projection, ref["d_projection"])
        pairs["d_h_unprojected"] = (ours.d_h_unprojected, ref["d_m"])
    return pairs


def _run_step(name: str, seed: int):
    case = CASES[name]
    weights = make_weights(case, seed)
    inputs = make_inputs(case, weights, seed)
    step = cell_step(weights, inputs["x"], inputs["h_prev"], inputs["c_prev"], case.cell)
    ref = torch_step_reference(weights, case.cell, **inputs)
    return case, weights, inputs, step, ref


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(CASES))
def test_torch_reference_computes_the_same_forward(name, seed):
    case, _, _, step, ref = _run_step(name, seed)
    if case.condition is not None:
        case.condition(ref)  # the option really acts here: some units clipped/flat/negative and some not
    pairs = {"h": (step.h, ref["h"])}
    if case.cell.variant != "gru":
        pairs["c"] = (step.c, ref["c"])
    assert_all_close(pairs, FORWARD_TOL)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", list(CASES))
def test_every_step_gradient_matches_autograd(name, seed):
    case, weights, inputs, step, ref = _run_step(name, seed)
    ours = cell_backward(step, weights, inputs["d_h"], inputs["d_c"])
    assert_all_close(step_pairs(ours, ref, case.cell), GRAD_TOL)


def test_cifg_input_gate_has_no_weights_of_its_own():
    case, weights, inputs, step, ref = _run_step("cifg", 0)
    ours = cell_backward(step, weights, inputs["d_h"], inputs["d_c"])
    grad = ours.gates["input"]
    assert grad.d_preact is None and grad.d_W is None and grad.d_b is None
    assert_all_close({"input.d_act": (grad.d_act, ref["d_act"]["input"])}, GRAD_TOL)


# --- through time: T steps forward, L = Σ d_h ⊙ h_T + Σ d_c ⊙ C_T, autograd through the whole unrolled graph ---

T = 6
SEQUENCE_CASES = {
    "lstm": CASES["lstm"],
    "peephole+cell_clip": Case(LSTM(peephole=True, cell_clip=0.3), input_scale=2.0, c_scale=2.0,
                               condition=lambda ref: _some_outside(ref["u"], 0.3, "cell clip over the steps")),  # fmt: skip
    "lstm+proj": CASES["lstm+proj"],
    "cifg": CASES["cifg"],
    "preact_clip+hard_sigmoid": Case(LSTM(preact_clip=0.6, gate_activation="hard_sigmoid"), weight_scale=2.5,
                                     input_scale=2.0),  # fmt: skip
    "cifg+proj+forget_bias+cell_clip": Case(
        LSTM(cifg=True, proj_size=P, forget_bias=1.0, cell_clip=0.4), input_scale=2.0, c_scale=2.0
    ),
    "gru": CASES["gru"],
    "gru+reset_before": CASES["gru+reset_before"],
}


def sequence_pairs(ours, ref, cell: CellOptions) -> dict:
    """∂L/∂h_0 (and ∂L/∂C_0), every step's ∂L/∂hₜ (∂L/∂Cₜ), the norms and the weights' gradients summed over t."""
    pairs = {"d_h0": (ours.d_h0, ref["d_h"][0]), "d_h_norm": (ours.d_h_norm, [np.linalg.norm(v) for v in ref["d_h"]])}
    pairs.update({f"d_h[{t}]": (ours.steps[t - 1].backward.d_h, ref["d_h"][t]) for t in range(1, T + 1)})
    pairs.update({f"d_W.{g}": (ours.d_W[g], d_W) for g, d_W in ref["d_W"].items()})
    pairs.update({f"d_b.{g}": (ours.d_b[g], d_b) for g, d_b in ref["d_b"].items()})
    summed = lambda field: sum(getattr(step, field) for step in (s.backward for s in ours.steps))  # noqa: E731
    if cell.variant == "gru":
        pairs["d_b_hn"] = (summed("d_b_hn"), ref["d_b_hn"])
        return pairs
    pairs["d_c0"] = (ours.d_c0, ref["d_c"][0])
    pairs["d_c_norm"] = (ours.d_c_norm, [np.linalg.norm(v) for v in ref["d_c"]])
    pairs.update({f"d_c[{t}]": (ours.steps[t - 1].backward.d_c, ref["d_c"][t]) for t in range(1, T + 1)})
    if ref["d_peepholes"] is not None:
        for g, d_p in ref["d_peepholes"].items():
            pairs[f"p_{g}"] = (sum(step.d_peepholes[g] for step in (s.backward for s in ours.steps)), d_p)
    if ref["d_projection"] is not None:
        pairs["d_projection"] = (summed("d_projection"), ref["d_projection"])
    return pairs


@pytest.mark.parametrize("name", list(SEQUENCE_CASES))
def test_through_time_matches_autograd(name):
    case = SEQUENCE_CASES[name]
    weights = make_weights(case, seed=3)
    inputs = make_inputs(case, weights, seed=3, steps=T)
    args = (inputs["x"], inputs["h_prev"], inputs["c_prev"], inputs["d_h"], inputs["d_c"])
    ref = torch_sequence_reference(weights, case.cell, *args)
    if case.condition is not None:
        case.condition(ref)
    ours = through_time(weights, *args, cell=case.cell)
    assert len(ours.steps) == T and ours.d_h_norm.shape == (T + 1,)
    assert_all_close({"h_T": (ours.steps[-1].h, ref["h_T"])}, FORWARD_TOL)
    assert_all_close(sequence_pairs(ours, ref, case.cell), GRAD_TOL)


# --- the plain LSTM through time: an unrolled torch loop, nn.LSTMCell and the RNN baseline's nn.RNNCell -----


@pytest.mark.parametrize("hidden_size, input_size, steps", [(4, 3, 6), (3, 5, 9)])
def test_bptt_matches_an_unrolled_torch_loop(hidden_size, input_size, steps):
    rng = np.random.default_rng(hidden_size + steps)
    weights, _, h0, c0, d_h, d_c = random_case(hidden_size, input_size, seed=steps)
    xs = rng.normal(size=(steps, input_size))
    run = through_time(weights, xs, h0, c0, d_h, d_c)
    d_h_ref, d_c_ref = torch_lstm_through_time(weights, xs, h0, c0, d_h, d_c)
    for t, step in enumerate(run.steps, start=1):
        np.testing.assert_allclose(step.backward.d_h, d_h_ref[t], rtol=0, atol=1e-10)
        np.testing.assert_allclose(step.backward.d_c, d_c_ref[t], rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.d_h_norm, np.linalg.norm(d_h_ref, axis=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.d_c_norm, np.linalg.norm(d_c_ref, axis=1), rtol=1e-12, atol=1e-14)


def test_bptt_matches_torch_lstm_cell_unrolled():
    """The per-step gradients summed over time are the weight gradients torch's LSTMCell gets."""
    rng = np.random.default_rng(5)
    weights, _, h0, c0, d_h, d_c = random_case(5, 3, seed=5)
    xs = rng.normal(size=(8, 3))
    run = through_time(weights, xs, h0, c0, d_h, d_c)
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


@pytest.mark.parametrize("hidden_size, input_size", [(4, 3), (2, 6)])
def test_rnn_matches_torch_rnn_cell(hidden_size, input_size):
    rng = np.random.default_rng(hidden_size)
    rnn = random_rnn(hidden_size, input_size, seed=4)
    xs, h0, d_h = rng.normal(size=(7, input_size)), rng.normal(size=hidden_size), rng.normal(size=hidden_size)
    run = rnn_through_time(rnn, xs, h0, d_h)
    np.testing.assert_allclose(run.d_h, rnn_cell_through_time(rnn.W, rnn.b, xs, h0, d_h), rtol=0, atol=1e-10)
