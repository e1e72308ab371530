"""The forward step of every cell against values worked by hand, and its identities and numerical edges.

The references are written out from the equations with plain Python `math`, unit by unit,
independently of NumPy and of the code under test. The cross-checks against PyTorch and ONNX
Runtime are in test_cell_frameworks.py.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from lstm_trace import GRU, LSTM, LSTMWeights, lstm_step, presets, sigmoid
from lstm_trace.cells import CellOptions
from lstm_trace.cells.activations import hard_sigmoid, relu, softsign
from lstm_trace.cells.step import cell_step
from lstm_trace.io.scenarios import preset_weights
from lstm_trace.stages import layout_for
from lstm_trace.weights.gru_weights import GRUWeights
from lstm_trace.weights.presets import lstm_preset

SEED_H = [0, 0.5, 0.1, 0.2, 0.6]
SEED_X = [-0.1, 0.3, 0.1, -0.25, 0.1]
# The learner's own numbers from the seed question: sigmoid(h + x).
SEED_F = [0.47502081, 0.68997448, 0.549834, 0.4875026, 0.66818777]
SIZES = [(3, 5), (6, 2), (1, 4), (9, 7)]  # (H, I), H ≠ I


def sig(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def hard(a: float) -> float:
    return max(0.0, min(1.0, 0.2 * a + 0.5))


def dot(row, vector) -> float:
    return sum(w * v for w, v in zip(row, vector))


def hand_lstm(weights: LSTMWeights, x, h, c, cell: CellOptions = LSTM()) -> dict:
    """The LSTM equations unit by unit with `math`: z = [h ; x], then f, i, C~, o, C, h (forget bias, cell clip
    and the gates' σ or hard σ as `cell` says)."""
    gate = {"sigmoid": sig, "hard_sigmoid": hard}[cell.gate_activation]
    z = list(h) + list(x)
    H = len(c)
    pre = {g: [dot(weights.W[g][j], z) + weights.b[g][j] for j in range(H)] for g in weights.W}
    f = [gate(pre["forget"][j] + cell.forget_bias) for j in range(H)]
    i = [gate(pre["input"][j]) for j in range(H)]
    g = [math.tanh(pre["candidate"][j]) for j in range(H)]
    o = [gate(pre["output"][j]) for j in range(H)]
    c_new = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
    if cell.cell_clip is not None:
        c_new = [max(-cell.cell_clip, min(cell.cell_clip, value)) for value in c_new]
    return {"forget.act": f, "c": c_new, "h": [o[j] * math.tanh(c_new[j]) for j in range(H)]}


def hand_gru(weights: GRUWeights, x, h, cell: CellOptions = GRU()) -> dict:
    """The GRU unit by unit; W_g = [W_h | W_x]."""
    H = len(h)
    side = lambda g, j: (dot(weights.W[g][j][:H], h), dot(weights.W[g][j][H:], x))  # noqa: E731
    r = [sig(sum(side("reset", j)) + weights.b["reset"][j]) for j in range(H)]
    z = [sig(sum(side("update", j)) + weights.b["update"][j]) for j in range(H)]
    n = []
    for j in range(H):
        wx = dot(weights.W["new"][j][H:], x) + weights.b["new"][j]
        if cell.gru_reset_before:
            hidden = dot(weights.W["new"][j][:H], [r[k] * h[k] for k in range(H)]) + weights.b_hn[j]
        else:
            hidden = r[j] * (dot(weights.W["new"][j][:H], h) + weights.b_hn[j])
        n.append(math.tanh(wx + hidden))
    return {"h": [(1 - z[j]) * n[j] + z[j] * h[j] for j in range(H)]}


# --- every cell against its equations worked by hand ------------------------------------------------


@dataclass(frozen=True)
class Case:
    cell: CellOptions
    state_scale: float = 1.0  # x and h: larger values push hard σ's gates onto its flat parts
    c_scale: float = 1.0  # C_{t-1}: large enough for a cell clip to bite


CASES = {
    "lstm": Case(LSTM()),
    "forget-bias": Case(LSTM(forget_bias=1.0)),
    "negative-forget-bias": Case(LSTM(forget_bias=-2.5)),
    "cell-clip": Case(LSTM(cell_clip=0.5), c_scale=3),
    "hard-sigmoid": Case(LSTM(gate_activation="hard_sigmoid"), state_scale=4),
    "gru": Case(GRU()),
    "gru-reset-before": Case(GRU(reset_before=True)),
}


def random_step(case: Case, H: int, I: int):
    """Random weights (a GRU's b_hn large: the two reset conventions differ more) and inputs, and the step."""
    rng = np.random.default_rng(10 * H + I)
    weights = preset_weights(case.cell, "random", H, I, seed=I)
    if isinstance(weights, GRUWeights):
        weights = GRUWeights(W=weights.W, b=weights.b, b_hn=weights.b_hn * 5, provenance={"source": "hand"})
    x, h = rng.normal(size=I) * case.state_scale, rng.normal(size=H) * case.state_scale
    c = rng.normal(size=H) * case.c_scale if case.cell.has_cell_state else None
    return weights, x, h, c, cell_step(weights, x, h, c, case.cell)


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("name", CASES)
def test_a_step_against_hand_derived_values(name, H, I):
    case = CASES[name]
    weights, x, h, c, step = random_step(case, H, I)
    hand = hand_lstm(weights, x, h, c, case.cell) if case.cell.has_cell_state else hand_gru(weights, x, h, case.cell)
    for quantity, expected in hand.items():  # the LSTM's fₜ, Cₜ and hₜ; the GRU's hₜ
        np.testing.assert_allclose(step[quantity], expected, rtol=0, atol=1e-12, err_msg=quantity)


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("name", ["forget-bias", "negative-forget-bias"])
def test_the_forget_bias_is_added_at_run_time_not_stored_in_b_f(name, H, I):
    case = CASES[name]
    weights, *_, step = random_step(case, H, I)
    np.testing.assert_array_equal(step.forget.bias, weights.b["forget"])  # B is not stored in b_f
    np.testing.assert_array_equal(step.forget.forget_bias, np.full(H, case.cell.forget_bias))


@pytest.mark.parametrize("H, I", SIZES)
def test_the_cell_clip_bounds_c_and_keeps_the_sum_before_it(H, I):
    case = CASES["cell-clip"]
    *_, step = random_step(case, H, I)
    V = case.cell.cell_clip
    assert np.all(np.abs(step.c) <= V)
    clipped = np.abs(step.c_unclipped) > V
    np.testing.assert_array_equal(step.c[clipped], np.sign(step.c_unclipped[clipped]) * V)
    np.testing.assert_array_equal(step.c[~clipped], step.c_unclipped[~clipped])


@pytest.mark.parametrize("H, I", SIZES)
def test_the_gru_reset_before_w_hn_keeps_r_times_h(H, I):
    _, _, h, _, step = random_step(CASES["gru-reset-before"], H, I)
    np.testing.assert_allclose(step.reset_h, step.reset.act * h, atol=1e-15)


# --- the seed question: identity weights, so every gate sees h + x ----------------------------------


def test_seed_question_forget_gate_is_the_learners_sigmoid_of_the_sum():
    step = lstm_step(presets.identity(5, 5), SEED_X, SEED_H)
    np.testing.assert_allclose(step.forget.act, SEED_F, atol=5e-9)
    np.testing.assert_array_equal(step.concat, SEED_H + SEED_X)  # concatenation: 10 entries


def test_seed_question_by_hand():
    """Every stage recomputed element by element with math, no NumPy."""
    step = lstm_step(presets.identity(5, 5), SEED_X, SEED_H)
    for j in range(5):
        s = SEED_H[j] + SEED_X[j]  # identity weights: row j picks h[j] and x[j]
        f = i = o = sig(s)
        g = math.tanh(s)
        c = f * 0.0 + i * g  # C_{t-1} = 0
        assert step.candidate.act[j] == pytest.approx(g, abs=1e-15)
        assert step.c[j] == pytest.approx(c, abs=1e-15)
        assert step.h[j] == pytest.approx(o * math.tanh(c), abs=1e-15)


def test_forget_bias_by_hand_on_the_seed_question():
    """Identity weights, unit 1: W_f·z = h[1] + x[1] = 0.5 + 0.3 = 0.8; with B = 1, f = σ(1.8)."""
    step = cell_step(presets.identity(5, 5), SEED_X, SEED_H, cell=LSTM(forget_bias=1.0))
    assert step.forget.preact[1] == pytest.approx(1.8, abs=1e-15)
    assert step.forget.act[1] == pytest.approx(0.8581489350995123, abs=1e-15)  # 1 / (1 + e^-1.8)
    assert step.input.act[1] == pytest.approx(0.6899744811276125, abs=1e-15)  # σ(0.8): only f moves


# --- the plain LSTM's intermediates and numerical edges ---------------------------------------------


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


# --- each option of the LSTM, by hand -------------------------------------------------------------


def test_cell_clip_is_not_preact_clip():
    """Cell clip bounds Cₜ and leaves the gates alone; preact clip bounds the gates' inputs and not Cₜ."""
    weights = presets.identity(2, 2)
    x, h, c = [3.0, -0.2], [1.0, 0.1], [4.0, -0.3]
    cell = cell_step(weights, x, h, c, LSTM(cell_clip=1.0))
    pre = cell_step(weights, x, h, c, LSTM(preact_clip=1.0))
    plain = lstm_step(weights, x, h, c)
    np.testing.assert_array_equal(cell.forget.act, plain.forget.act)
    assert cell.c[0] == 1.0 and plain.c[0] > 4  # C₀ = σ(4)·4 + σ(4)·tanh(4) ≈ 4.88, clipped to 1
    assert pre.forget.act[0] == pytest.approx(sig(1.0), abs=1e-15)  # σ(clip(4)) = σ(1)
    assert pre.c[0] == pytest.approx(sig(1.0) * 4 + sig(1.0) * math.tanh(1.0), abs=1e-14) and pre.c[0] > 1


def test_preact_clip_by_hand():
    weights = presets.identity(3, 2)
    x, h, c = [2.0, -0.3], [1.5, -2.0, 0.2], [0.5, 0.5, 0.5]
    step = cell_step(weights, x, h, c, LSTM(preact_clip=0.8))
    # identity: every pre-activation is h[j] + x[j] for j < I, else h[j]: [3.5, -2.3, 0.2]
    clipped = [0.8, -0.8, 0.2]
    for j in range(3):
        f = i = o = sig(clipped[j])
        g = math.tanh(clipped[j])
        c_new = f * c[j] + i * g
        assert step.c[j] == pytest.approx(c_new, abs=1e-15)
        assert step.h[j] == pytest.approx(o * math.tanh(c_new), abs=1e-15)
    np.testing.assert_allclose(step.forget.preact, [3.5, -2.3, 0.2], atol=1e-15)  # the unclipped sum is kept


def test_hard_sigmoid_is_its_definition():
    """Keras (old tf.keras) and ONNX HardSigmoid(alpha=0.2, beta=0.5): clip(0.2·x + 0.5, 0, 1)."""
    points = [-10.0, -2.5, -2.0, -0.5, 0.0, 1.0, 2.4, 2.5, 7.0]
    expected = [hard(p) for p in points]
    np.testing.assert_allclose(hard_sigmoid(np.array(points)), expected, atol=1e-15)
    assert hard_sigmoid(np.array([-2.5]))[0] == 0.0 and hard_sigmoid(np.array([2.5]))[0] == 1.0  # exactly shut / open
    np.testing.assert_array_equal(relu(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(softsign(np.array([-3.0, 1.0])), [-0.75, 0.5], atol=1e-15)


@pytest.mark.parametrize("H, I", SIZES)
def test_cifg_couples_the_input_gate_and_ignores_w_i(H, I):
    rng = np.random.default_rng(H - I + 50)
    weights = presets.random(H, I, seed=1)
    x, h, c = rng.normal(size=I), rng.normal(size=H), rng.normal(size=H)
    step = cell_step(weights, x, h, c, LSTM(cifg=True))
    np.testing.assert_array_equal(step.input.act, 1 - step.forget.act)
    assert step.input.preact is None and step.input.wz is None
    other_input = LSTMWeights(
        W={**weights.W, "input": weights.W["input"] * -7},
        b={**weights.b, "input": weights.b["input"] + 3},
        provenance=weights.provenance,
    )
    np.testing.assert_array_equal(cell_step(other_input, x, h, c, LSTM(cifg=True)).h, step.h)
    f_ref = hand_lstm(weights, x, h, c)["forget.act"]
    c_ref = [
        f_ref[j] * c[j]
        + (1 - f_ref[j]) * math.tanh(dot(weights.W["candidate"][j], list(h) + list(x)) + weights.b["candidate"][j])
        for j in range(H)
    ]
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-12)


def test_peephole_by_hand():
    """H = 2, I = 1, all W and b zero, peepholes p = [1, -2]: every gate sees only p ⊙ C."""
    weights = lstm_preset("zeros", 2, 1, peepholes=True)
    weights = LSTMWeights(W=weights.W, b={**weights.b, "candidate": np.array([0.3, -0.4])}, provenance=weights.provenance,
                          peepholes={g: np.array([1.0, -2.0]) for g in ("forget", "input", "output")})  # fmt: skip
    c_prev = [0.5, 1.5]
    step = cell_step(weights, [0.0], [0.0, 0.0], c_prev, LSTM(peephole=True))
    for j, p in enumerate([1.0, -2.0]):
        f = sig(p * c_prev[j])
        i = sig(p * c_prev[j])
        g = math.tanh([0.3, -0.4][j])
        c_new = f * c_prev[j] + i * g
        o = sig(p * c_new)  # the output gate peeks at the new C
        assert step.c[j] == pytest.approx(c_new, abs=1e-15)
        assert step.output.act[j] == pytest.approx(o, abs=1e-15)
        assert step.h[j] == pytest.approx(o * math.tanh(c_new), abs=1e-15)


def test_zero_peepholes_give_the_plain_cell():
    weights = lstm_preset("random", 4, 3, seed=8, peepholes=True)
    zero = LSTMWeights(
        W=weights.W, b=weights.b, provenance={"source": "hand"}, peepholes={g: np.zeros(4) for g in weights.peepholes}
    )
    rng = np.random.default_rng(1)
    x, h, c = rng.normal(size=3), rng.normal(size=4), rng.normal(size=4)
    np.testing.assert_allclose(
        cell_step(zero, x, h, c, LSTM(peephole=True)).h, lstm_step(weights, x, h, c).h, atol=1e-15
    )


def test_projection_is_a_matrix_product_of_the_unprojected_state():
    weights = lstm_preset("random", 5, 3, seed=4, proj_size=2)
    rng = np.random.default_rng(2)
    step = cell_step(weights, rng.normal(size=3), rng.normal(size=2), rng.normal(size=5), LSTM(proj_size=2))
    m = step.output.act * np.tanh(step.c)
    np.testing.assert_allclose(step.h_unprojected, m, atol=1e-15)
    for j in range(2):
        assert step.h[j] == pytest.approx(dot(weights.projection[j], m), abs=1e-15)
    assert step.concat.shape == (5,) and step.hidden_size == 5  # z = [h (P = 2) ; x (I = 3)]


# --- the GRU's two reset conventions, by hand ---------------------------------------------------------


def test_gru_reset_conventions_by_hand():
    """H = 1, I = 1: W_hn = 2, b_hn = 1, r = σ(0) = 0.5, h = 1, x = 0 and all else zero.

    After (PyTorch): n = tanh(r·(W_hn·h + b_hn)) = tanh(0.5·3) = tanh(1.5).
    Before (Cho):    n = tanh(W_hn·(r·h) + b_hn) = tanh(2·0.5 + 1) = tanh(2).
    z = σ(0) = 0.5, so h' = 0.5·n + 0.5·1.
    """
    zeros = np.zeros((1, 2))
    weights = GRUWeights(
        W={"reset": zeros, "update": zeros, "new": np.array([[2.0, 0.0]])},
        b={g: np.zeros(1) for g in ("reset", "update", "new")},
        b_hn=np.array([1.0]),
        provenance={"source": "hand"},
    )
    after = cell_step(weights, [0.0], [1.0], cell=GRU())
    before = cell_step(weights, [0.0], [1.0], cell=GRU(reset_before=True))
    assert after.new.act[0] == pytest.approx(math.tanh(1.5), abs=1e-15)
    assert before.new.act[0] == pytest.approx(math.tanh(2.0), abs=1e-15)
    assert after.h[0] == pytest.approx(0.5 * math.tanh(1.5) + 0.5, abs=1e-15)
    assert before.h[0] == pytest.approx(0.5 * math.tanh(2.0) + 0.5, abs=1e-15)


# --- every cell keeps the dtype it is given -----------------------------------------------------------

DTYPE_CELLS = {
    "lstm": LSTM(),
    "peephole+forget-bias+cell-clip": LSTM(peephole=True, forget_bias=1, cell_clip=2.0),
    "gru": GRU(),
}


@pytest.mark.parametrize("name", DTYPE_CELLS)
def test_a_float32_step_stays_float32(name):
    cell = DTYPE_CELLS[name]
    weights = preset_weights(cell, "random", 4, 3).astype("float32")
    step = cell_step(weights, [1, 2, 3], cell=cell)
    for quantity in layout_for(cell).quantities:
        if step[quantity] is not None:
            assert step[quantity].dtype == np.float32, quantity
