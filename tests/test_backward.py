"""The backward pass of every cell against central finite differences of its forward pass, and by hand;
the NumPy lines the grad tables print, run, against the backward pass; through time without torch.

The references here need nothing but NumPy. The checks against PyTorch autograd, which share this
file's cases and helpers, are in test_backward_reference.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from lstm_trace import GRU, LSTM, LSTMWeights, lstm_step, presets
from lstm_trace.cells import CellOptions
from lstm_trace.cells.activations import hard_sigmoid_slope, relu_slope, softsign_slope
from lstm_trace.cells.lstm import lstm_backward
from lstm_trace.cells.rnn import random_rnn
from lstm_trace.cells.step import cell_backward, cell_step
from lstm_trace.engine.bptt import through_time
from lstm_trace.errors import UsageError
from lstm_trace.stages import backward_layout
from lstm_trace.weights.gru_weights import GRUWeights
from lstm_trace.weights.presets import gru_preset, lstm_preset

H, I, P = 5, 3, 3  # H != I, and P < H for the projection


# --- the cases and helpers of both backward files -----------------------------------------------------


@dataclass(frozen=True)
class Case:
    cell: CellOptions
    weight_scale: float = 1.0  # larger weights push pre-activations past clips and into hard σ's flat parts
    input_scale: float = 1.0
    c_scale: float = 1.0  # the spread of C_{t-1}
    condition: object = field(default=None, compare=False)  # (torch reference) -> None, asserts the case bites


def make_weights(case: Case, seed: int, hidden_size: int = H, input_size: int = I):
    cell, k = case.cell, case.weight_scale
    if cell.variant == "gru":
        w = gru_preset("random", hidden_size, input_size, seed)
        return GRUWeights({g: k * a for g, a in w.W.items()}, {g: k * a for g, a in w.b.items()}, k * w.b_hn,
                          w.provenance)  # fmt: skip
    w = lstm_preset("random", hidden_size, input_size, seed, peepholes=cell.variant == "peephole", proj_size=cell.proj_size)
    return LSTMWeights(
        W={g: k * a for g, a in w.W.items()}, b={g: k * a for g, a in w.b.items()}, provenance=w.provenance,
        peepholes=None if w.peepholes is None else {g: k * a for g, a in w.peepholes.items()},
        projection=w.projection,
    )  # fmt: skip


def make_inputs(case: Case, weights, seed: int, steps: int | None = None) -> dict:
    """x (or xs (T, I)), h_prev, c_prev (None for a GRU), d_h and d_c (None for a GRU)."""
    rng = np.random.default_rng(1000 + seed)
    gru = case.cell.variant == "gru"
    shape = (weights.input_size,) if steps is None else (steps, weights.input_size)
    return {
        "x": case.input_scale * rng.uniform(-1, 1, shape),
        "h_prev": rng.uniform(-1, 1, weights.h_size),
        "c_prev": None if gru else case.c_scale * rng.uniform(-1, 1, weights.hidden_size),
        "d_h": rng.normal(size=weights.h_size),
        "d_c": None if gru else rng.normal(size=weights.hidden_size),
    }


def _max_diff(ours, ref) -> float:
    assert ours is not None, "lstm_trace gave None where the reference has a gradient"
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.max(np.abs(ours - ref))) if ours.size else 0.0


def assert_all_close(pairs: dict, tol: float) -> None:
    """Every (ours, reference) pair within tol; the failure names each gradient over it and by how much."""
    diffs = {name: _max_diff(ours, ref) for name, (ours, ref) in pairs.items()}
    over = {name: d for name, d in diffs.items() if not d <= tol}
    assert not over, f"max |ours - reference| over {tol}: {over}"


# --- finite differences: central, float64, step 1e-6, on cells with kinks away from the kinks -----------

FD_STEP, FD_TOL, KINK_MARGIN = 1e-6, 1e-8, 1e-3  # 1e-8: ε² truncation plus ~1e-16/ε rounding
FD_CASES = {
    "lstm": Case(LSTM(), c_scale=2.0),
    "hard_sigmoid": Case(LSTM(gate_activation="hard_sigmoid"), weight_scale=6.0, input_scale=2.0),
    "relu": Case(LSTM(cell_activation="relu"), c_scale=2.0),
    "gru+hard_sigmoid+relu": Case(GRU(gate_activation="hard_sigmoid", cell_activation="relu"),
                                  weight_scale=6.0, input_scale=2.0),  # fmt: skip
}


def _kinks_distance(step, cell: CellOptions) -> float:
    """How far the point is from every kink: hard σ at ±2.5, relu at 0 (for C̃, the GRU's n, and g(Cₜ))."""
    gru = cell.variant == "gru"
    gates = ("reset", "update") if gru else ("forget", "input", "output")
    squashed = ("new",) if gru else ("candidate",)
    seen = lambda gate: gate.preact if getattr(gate, "clipped", None) is None else gate.clipped  # noqa: E731
    distances = [np.inf]
    if cell.gate_activation == "hard_sigmoid":
        distances += [np.min(np.abs(np.abs(seen(getattr(step, g))) - 2.5)) for g in gates if getattr(step, g).preact is not None]
    if cell.cell_activation == "relu":
        distances += [np.min(np.abs(seen(getattr(step, g)))) for g in squashed]
        distances += [] if gru else [np.min(np.abs(step.c))]
    return float(min(distances))


def _assert_both_sides_of_kinks(step, cell: CellOptions) -> None:
    """Some units on the flat side (slope 0) and some on the sloped side, so both slopes are checked."""
    gru = cell.variant == "gru"
    if cell.gate_activation == "hard_sigmoid":
        acts = np.concatenate([getattr(step, g).act for g in (("reset", "update") if gru else ("forget", "output"))])
        flat = (acts == 0) | (acts == 1)
        assert flat.any() and (~flat).any(), acts
    if cell.cell_activation == "relu":
        acts = step.new.act if gru else step.candidate.act
        assert (acts == 0).any() and (acts > 0).any(), acts


def _loss_and_parameters(case: Case, weights, inputs):
    """L as a function of a dict of every parameter's array, and that dict at the point."""
    gru = case.cell.variant == "gru"
    params = {"x": inputs["x"], "h_prev": inputs["h_prev"]}
    params.update({f"W.{g}": w for g, w in weights.W.items()})
    params.update({f"b.{g}": v for g, v in weights.b.items()})
    params.update({"b_hn": weights.b_hn} if gru else {"c_prev": inputs["c_prev"]})

    def loss(p: dict) -> float:
        W, b = {g: p[f"W.{g}"] for g in weights.W}, {g: p[f"b.{g}"] for g in weights.b}
        w = GRUWeights(W, b, p["b_hn"], weights.provenance) if gru else LSTMWeights(W, b, weights.provenance)
        step = cell_step(w, p["x"], p["h_prev"], None if gru else p["c_prev"], case.cell)
        return float(inputs["d_h"] @ step.h + (0.0 if gru else inputs["d_c"] @ step.c))

    return loss, {name: np.array(a, dtype=np.float64) for name, a in params.items()}


def central_differences(loss, params: dict) -> dict:
    """∂loss/∂p[k] for every entry of every array, by (L(p + ε) − L(p − ε)) / 2ε."""
    grads = {}
    for name, array in params.items():
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            original = array[index]
            array[index] = original + FD_STEP
            up = loss(params)
            array[index] = original - FD_STEP
            down = loss(params)
            array[index] = original
            grad[index] = (up - down) / (2 * FD_STEP)
        grads[name] = grad
    return grads


@pytest.mark.parametrize("hidden_size, input_size", [(5, 3), (3, 2), (3, 5)])
@pytest.mark.parametrize("name", FD_CASES)
def test_gradients_match_central_finite_differences(name, hidden_size, input_size):
    case = FD_CASES[name]
    seed = 11 * hidden_size + input_size
    weights = make_weights(case, seed, hidden_size, input_size)
    inputs = make_inputs(case, weights, seed)
    step = cell_step(weights, inputs["x"], inputs["h_prev"], inputs["c_prev"], case.cell)
    assert _kinks_distance(step, case.cell) > KINK_MARGIN  # the loss is smooth within ±FD_STEP of the point
    _assert_both_sides_of_kinks(step, case.cell)
    ours = cell_backward(step, weights, inputs["d_h"], inputs["d_c"])
    loss, params = _loss_and_parameters(case, weights, inputs)
    numeric = central_differences(loss, params)
    named = {"x": ours.d_x, "h_prev": ours.d_h_prev, "c_prev": ours.d_c_prev, "b_hn": ours.d_b_hn}
    named.update({f"W.{g}": grad.d_W for g, grad in ours.gates.items() if grad.d_W is not None})
    named.update({f"b.{g}": grad.d_b for g, grad in ours.gates.items() if grad.d_b is not None})
    assert_all_close({name: (named[name], numeric[name]) for name in params}, FD_TOL)


# --- what the grad tables print as NumPy, run line by line, is the backward pass -------------------------

LINES_CELLS = {
    "lstm": LSTM(),
    "peephole": LSTM(peephole=True),
    "cifg": LSTM(cifg=True),
    "cell clip": LSTM(cell_clip=0.3),
    "preact clip": LSTM(preact_clip=0.5),
    "projection": LSTM(proj_size=2),
    "hard sigmoid, relu": LSTM(gate_activation="hard_sigmoid", cell_activation="relu"),
    "softsign, forget bias": LSTM(cell_activation="softsign", forget_bias=1.0),
    "everything": LSTM(peephole=True, cell_clip=0.3, preact_clip=0.5, proj_size=2, forget_bias=1.0),
}


@pytest.mark.parametrize("name", LINES_CELLS)
def test_every_configurations_numpy_lines_compute_its_backward_pass(name):
    """The NumPy lines the grad tables and `explain grad` show for the cell, run in order, give its gradients."""
    cell = LINES_CELLS[name]
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
        if stage.name == "concat":  # W_gᵀδ_g: each gate's share of ∂L/∂z, the gate quantities' formula
            names.update({f"d_z_{g}": weights.W[letters[g]].T @ names[f"delta_{g}"] for g in weighted})
        for line in stage.numpy:
            for g in (weighted if "_g" in line else ("",)):
                exec(line.replace("_g", f"_{g}") if g else line, {}, names)
    np.testing.assert_array_equal(names["d_c"], backward.d_c)
    np.testing.assert_array_equal(names["c_tanh_local"], backward.c_tanh_local)
    for g in weighted:
        np.testing.assert_array_equal(names[f"delta_{g}"], backward[f"{letters[g]}.d_preact"], err_msg=g)
        np.testing.assert_array_equal(names[f"d_W_{g}"], backward[f"{letters[g]}.d_W"], err_msg=g)
    for name_ in ("d_z", "d_h_prev", "d_x", "d_c_prev"):
        np.testing.assert_allclose(names[name_], backward[name_], rtol=0, atol=1e-15, err_msg=name_)
    if cell.variant == "peephole":
        for g, gate in (("f", "forget"), ("i", "input"), ("o", "output")):
            np.testing.assert_allclose(names[f"d_p_{g}"], backward[f"peephole.{gate}"], rtol=0, atol=1e-15)
    if cell.proj_size is not None:
        np.testing.assert_allclose(names["d_W_hr"], backward["d_projection"], rtol=0, atol=1e-15)


# --- by hand, and what the backward pass refuses ------------------------------------------------------


def test_carousel_by_hand():
    """With ∂L/∂hₜ = 0 only the carried gradient flows: ∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ, the forget gate's σ(preact)."""
    weights = presets.identity(2, 2)
    weights = LSTMWeights(W=weights.W, b={**weights.b, "forget": np.array([3.0, -1.0])}, provenance={})
    step = lstm_step(weights, [0.5, -0.25], [0.0, 0.0], [1.0, 2.0])
    backward = lstm_backward(step, weights, np.zeros(2), np.array([1.0, -2.0]))
    f = 1 / (1 + np.exp(-np.array([0.5 + 3.0, -0.25 - 1.0])))  # W_f·z = h + x with identity weights
    np.testing.assert_allclose(backward.d_c_prev, [1.0 * f[0], -2.0 * f[1]], rtol=1e-15)
    np.testing.assert_array_equal(backward.output.d_preact, [0.0, 0.0])  # nothing came through hₜ


def test_upstream_shape_is_checked():
    weights = presets.random(3, 2)
    step = lstm_step(weights, [0.1, 0.2])
    with pytest.raises(UsageError, match=r"d_h has shape \(2,\).*H = 3"):
        lstm_backward(step, weights, np.ones(2))


# --- through time ---------------------------------------------------------------------------------------


def test_bptt_defaults_to_the_sum_of_the_last_hidden_state():
    weights = presets.random(3, 2, seed=1)
    xs = np.array([[0.1, 0.2], [0.3, -0.4]])
    default = through_time(weights, xs)
    explicit = through_time(weights, xs, np.zeros(3), np.zeros(3), np.ones(3), np.zeros(3))
    np.testing.assert_array_equal(default.d_h_norm, explicit.d_h_norm)
    assert default.d_h_norm[-1] == pytest.approx(np.sqrt(3))  # ‖ones(3)‖
    assert [step.t for step in default.steps] == [1, 2]


def test_forget_bias_keeps_the_cell_gradient_alive():
    """The carousel's point in numbers: with b_f raised, ‖∂L/∂C₀‖ stays near ‖∂L/∂C_T‖."""
    weights = presets.random(8, 3, seed=0)
    xs = np.random.default_rng(1).normal(size=(30, 3))
    plain = through_time(weights, xs)
    opened = through_time(LSTMWeights(W=weights.W, b={**weights.b, "forget": weights.b["forget"] + 5}, provenance={}), xs)
    assert plain.d_c_norm[0] / plain.d_c_norm[-1] < 1e-5
    assert opened.d_c_norm[0] / opened.d_c_norm[-1] > 0.5


def test_rnn_init_is_the_lstm_scheme():
    """uniform(±1/√H) with the same seed: the RNN's W is drawn exactly like the LSTM's W_f."""
    rnn, lstm = random_rnn(4, 3, seed=9), presets.random(4, 3, seed=9)
    np.testing.assert_array_equal(rnn.W, lstm.W["forget"])
    assert np.abs(rnn.b).max() <= 0.5 and rnn.provenance["seed"] == 9
