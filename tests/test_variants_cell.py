"""The variant cells against hand-derived values (plain Python `math`, loop by loop) and identities.

The framework cross-checks are in test_variants_frameworks.py; here the references
are written out from the equations, independently of NumPy and of the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_trace import lstm_step, presets
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.cells.activations import hard_sigmoid, relu, softsign
from lstm_trace.weights import LSTMWeights
from lstm_trace.weights.gru_weights import GRUWeights
from lstm_trace.weights.presets import gru_preset, lstm_preset

SIZES = [(3, 5), (6, 2), (1, 4), (9, 7)]  # (H, I), H ≠ I


def sig(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def dot(row, vector) -> float:
    return sum(w * v for w, v in zip(row, vector))


def hand_lstm(weights: LSTMWeights, x, h, c, forget_bias=0.0, cell_clip=None, gate=sig):
    """The LSTM equations unit by unit with `math`: z = [h ; x], then f, i, C~, o, C, h."""
    z = list(h) + list(x)
    H = len(c)
    pre = {g: [dot(weights.W[g][j], z) + weights.b[g][j] for j in range(H)] for g in weights.W}
    f = [gate(pre["forget"][j] + forget_bias) for j in range(H)]
    i = [gate(pre["input"][j]) for j in range(H)]
    g = [math.tanh(pre["candidate"][j]) for j in range(H)]
    o = [gate(pre["output"][j]) for j in range(H)]
    c_new = [f[j] * c[j] + i[j] * g[j] for j in range(H)]
    if cell_clip is not None:
        c_new = [max(-cell_clip, min(cell_clip, value)) for value in c_new]
    return [o[j] * math.tanh(c_new[j]) for j in range(H)], c_new, f


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("bias", [1.0, -2.5])
def test_forget_bias_against_hand_derived_values(H, I, bias):
    rng = np.random.default_rng(10 * H + I)
    weights = presets.random(H, I, seed=I)
    x, h, c = rng.normal(size=I), rng.normal(size=H), rng.normal(size=H)
    step = cell_step(weights, x, h, c, CellOptions(forget_bias=bias))
    h_ref, c_ref, f_ref = hand_lstm(weights, x, h, c, forget_bias=bias)
    np.testing.assert_allclose(step.forget.act, f_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(step.forget.bias, weights.b["forget"])  # B is not stored in b_f
    np.testing.assert_array_equal(step.forget.forget_bias, np.full(H, bias))


def test_forget_bias_by_hand_on_the_seed_question():
    """Identity weights, unit 1: W_f·z = h[1] + x[1] = 0.5 + 0.3 = 0.8; with B = 1, f = σ(1.8)."""
    step = cell_step(
        presets.identity(5, 5), [-0.1, 0.3, 0.1, -0.25, 0.1], [0, 0.5, 0.1, 0.2, 0.6], cell=CellOptions(forget_bias=1.0)
    )
    assert step.forget.preact[1] == pytest.approx(1.8, abs=1e-15)
    assert step.forget.act[1] == pytest.approx(0.8581489350995123, abs=1e-15)  # 1 / (1 + e^-1.8)
    assert step.input.act[1] == pytest.approx(0.6899744811276125, abs=1e-15)  # σ(0.8): only f moves


@pytest.mark.parametrize("H, I", SIZES)
def test_cell_clip_against_hand_derived_values(H, I):
    rng = np.random.default_rng(H * I + 1)
    weights = presets.random(H, I, seed=2)
    x, h, c = rng.normal(size=I), rng.normal(size=H), rng.normal(size=H) * 3  # C large enough to clip
    V = 0.5
    step = cell_step(weights, x, h, c, CellOptions(cell_clip=V))
    h_ref, c_ref, _ = hand_lstm(weights, x, h, c, cell_clip=V)
    np.testing.assert_allclose(step.c, c_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-12)  # tanh sees the clipped C
    assert np.all(np.abs(step.c) <= V)
    clipped = np.abs(step.c_unclipped) > V
    np.testing.assert_array_equal(step.c[clipped], np.sign(step.c_unclipped[clipped]) * V)
    np.testing.assert_array_equal(step.c[~clipped], step.c_unclipped[~clipped])


def test_cell_clip_is_not_preact_clip():
    """Cell clip bounds Cₜ and leaves the gates alone; preact clip bounds the gates' inputs and not Cₜ."""
    weights = presets.identity(2, 2)
    x, h, c = [3.0, -0.2], [1.0, 0.1], [4.0, -0.3]
    cell = cell_step(weights, x, h, c, CellOptions(cell_clip=1.0))
    pre = cell_step(weights, x, h, c, CellOptions(preact_clip=1.0))
    plain = lstm_step(weights, x, h, c)
    np.testing.assert_array_equal(cell.forget.act, plain.forget.act)
    assert cell.c[0] == 1.0 and plain.c[0] > 4  # C₀ = σ(4)·4 + σ(4)·tanh(4) ≈ 4.88, clipped to 1
    assert pre.forget.act[0] == pytest.approx(sig(1.0), abs=1e-15)  # σ(clip(4)) = σ(1)
    assert pre.c[0] == pytest.approx(sig(1.0) * 4 + sig(1.0) * math.tanh(1.0), abs=1e-14) and pre.c[0] > 1


def test_preact_clip_by_hand():
    weights = presets.identity(3, 2)
    x, h, c = [2.0, -0.3], [1.5, -2.0, 0.2], [0.5, 0.5, 0.5]
    step = cell_step(weights, x, h, c, CellOptions(preact_clip=0.8))
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
    expected = [max(0.0, min(1.0, 0.2 * p + 0.5)) for p in points]
    np.testing.assert_allclose(hard_sigmoid(np.array(points)), expected, atol=1e-15)
    assert hard_sigmoid(np.array([-2.5]))[0] == 0.0 and hard_sigmoid(np.array([2.5]))[0] == 1.0  # exactly shut / open
    np.testing.assert_array_equal(relu(np.array([-1.0, 0.0, 2.0])), [0.0, 0.0, 2.0])
    np.testing.assert_allclose(softsign(np.array([-3.0, 1.0])), [-0.75, 0.5], atol=1e-15)


@pytest.mark.parametrize("H, I", SIZES)
def test_hard_sigmoid_gates_against_hand_derived_values(H, I):
    rng = np.random.default_rng(H + 7 * I)
    weights = presets.random(H, I, seed=5)
    x, h, c = rng.normal(size=I) * 4, rng.normal(size=H) * 4, rng.normal(size=H)
    hard = lambda a: max(0.0, min(1.0, 0.2 * a + 0.5))  # noqa: E731
    step = cell_step(weights, x, h, c, CellOptions(gate_activation="hard_sigmoid"))
    h_ref, c_ref, f_ref = hand_lstm(weights, x, h, c, gate=hard)
    np.testing.assert_allclose(step.forget.act, f_ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(step.h, h_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("H, I", SIZES)
def test_cifg_couples_the_input_gate_and_ignores_w_i(H, I):
    rng = np.random.default_rng(H - I + 50)
    weights = presets.random(H, I, seed=1)
    x, h, c = rng.normal(size=I), rng.normal(size=H), rng.normal(size=H)
    step = cell_step(weights, x, h, c, CellOptions(variant="cifg"))
    np.testing.assert_array_equal(step.input.act, 1 - step.forget.act)
    assert step.input.preact is None and step.input.wz is None
    other_input = LSTMWeights(
        W={**weights.W, "input": weights.W["input"] * -7},
        b={**weights.b, "input": weights.b["input"] + 3},
        provenance=weights.provenance,
    )
    np.testing.assert_array_equal(cell_step(other_input, x, h, c, CellOptions(variant="cifg")).h, step.h)
    _, _, f_ref = hand_lstm(weights, x, h, c)
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
    step = cell_step(weights, [0.0], [0.0, 0.0], c_prev, CellOptions(variant="peephole"))
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
        cell_step(zero, x, h, c, CellOptions(variant="peephole")).h, lstm_step(weights, x, h, c).h, atol=1e-15
    )


def test_projection_is_a_matrix_product_of_the_unprojected_state():
    weights = lstm_preset("random", 5, 3, seed=4, proj_size=2)
    rng = np.random.default_rng(2)
    step = cell_step(weights, rng.normal(size=3), rng.normal(size=2), rng.normal(size=5), CellOptions(proj_size=2))
    m = step.output.act * np.tanh(step.c)
    np.testing.assert_allclose(step.h_unprojected, m, atol=1e-15)
    for j in range(2):
        assert step.h[j] == pytest.approx(dot(weights.projection[j], m), abs=1e-15)
    assert step.concat.shape == (5,) and step.hidden_size == 5  # z = [h (P = 2) ; x (I = 3)]


def hand_gru(weights: GRUWeights, x, h, reset_before: bool):
    """The GRU unit by unit; W_g = [W_h | W_x]."""
    H = len(h)
    side = lambda g, j: (dot(weights.W[g][j][:H], h), dot(weights.W[g][j][H:], x))  # noqa: E731
    r = [sig(sum(side("reset", j)) + weights.b["reset"][j]) for j in range(H)]
    z = [sig(sum(side("update", j)) + weights.b["update"][j]) for j in range(H)]
    n = []
    for j in range(H):
        wx = dot(weights.W["new"][j][H:], x) + weights.b["new"][j]
        if reset_before:
            hidden = dot(weights.W["new"][j][:H], [r[k] * h[k] for k in range(H)]) + weights.b_hn[j]
        else:
            hidden = r[j] * (dot(weights.W["new"][j][:H], h) + weights.b_hn[j])
        n.append(math.tanh(wx + hidden))
    return [(1 - z[j]) * n[j] + z[j] * h[j] for j in range(H)]


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("reset_before", [False, True])
def test_gru_against_hand_derived_values(H, I, reset_before):
    rng = np.random.default_rng(H * 3 + I)
    weights = gru_preset("random", H, I, seed=H * I)
    weights = GRUWeights(
        W=weights.W, b=weights.b, b_hn=weights.b_hn * 5, provenance={"source": "hand"}
    )  # b_hn large: conventions differ more
    x, h = rng.normal(size=I), rng.normal(size=H)
    step = cell_step(weights, x, h, cell=CellOptions(variant="gru", gru_reset_before=reset_before))
    np.testing.assert_allclose(step.h, hand_gru(weights, x, list(h), reset_before), rtol=0, atol=1e-12)
    if reset_before:
        np.testing.assert_allclose(step.reset_h, step.reset.act * h, atol=1e-15)


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
    after = cell_step(weights, [0.0], [1.0], cell=CellOptions(variant="gru"))
    before = cell_step(weights, [0.0], [1.0], cell=CellOptions(variant="gru", gru_reset_before=True))
    assert after.new.act[0] == pytest.approx(math.tanh(1.5), abs=1e-15)
    assert before.new.act[0] == pytest.approx(math.tanh(2.0), abs=1e-15)
    assert after.h[0] == pytest.approx(0.5 * math.tanh(1.5) + 0.5, abs=1e-15)
    assert before.h[0] == pytest.approx(0.5 * math.tanh(2.0) + 0.5, abs=1e-15)


def test_variant_steps_keep_the_dtype():
    weights = lstm_preset("random", 4, 3, peepholes=True).astype("float32")
    step = cell_step(weights, [1, 2, 3], None, None, CellOptions(variant="peephole", forget_bias=1, cell_clip=2.0))
    assert all(step[name].dtype == np.float32 for name in ("forget.act", "forget.forget_bias", "c", "h"))
    gru = cell_step(gru_preset("random", 4, 3).astype("float32"), [1, 2, 3], cell=CellOptions(variant="gru"))
    assert gru.h.dtype == np.float32
