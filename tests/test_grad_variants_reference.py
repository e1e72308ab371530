"""The variants' backward passes against PyTorch autograd on the same equations, and against finite differences.

The reference cells (`torch_variant_cells.py`) are written from the equations, not
from lstm_trace's backward; their forward is first checked against lstm_trace's
NumPy forward (1e-12), so both sides compute the same function. Every gradient is
then compared in float64 to 1e-10 for L = Σ d_h ⊙ hₜ + Σ d_c ⊙ Cₜ.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from lstm_trace.engine.bptt import through_time
from lstm_trace.cells.step import cell_backward
from lstm_trace.cell_options import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights.gru_weights import GRUWeights
from lstm_trace.weights.lstm_weights import LSTMWeights
from lstm_trace.weights.presets import gru_preset, lstm_preset

from tests.torch_variant_cells import torch_sequence_reference, torch_step_reference

pytestmark = pytest.mark.framework

H, I, P = 5, 3, 3  # H != I, and P < H for the projection
FORWARD_TOL, GRAD_TOL = 1e-12, 1e-10


@dataclass(frozen=True)
class Case:
    cell: CellOptions
    weight_scale: float = 1.0  # larger weights push pre-activations past clips and into hard σ's flat parts
    input_scale: float = 1.0
    c_scale: float = 1.0  # the spread of C_{t-1}
    condition: object = field(default=None, compare=False)  # (torch reference) -> None, asserts the case bites


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
    "lstm": Case(CellOptions()),
    "peephole": Case(CellOptions(variant="peephole")),
    "cifg": Case(CellOptions(variant="cifg")),
    "lstm+forget_bias": Case(CellOptions(forget_bias=1.0)),
    "lstm+cell_clip": Case(CellOptions(cell_clip=0.5), c_scale=2.0, condition=_cell_clip_bites(0.5)),
    "lstm+preact_clip": Case(CellOptions(preact_clip=0.6), weight_scale=2.5, input_scale=2.0,
                             condition=_preact_clip_bites(0.6)),  # fmt: skip
    "lstm+proj": Case(CellOptions(proj_size=P)),
    "hard_sigmoid": Case(CellOptions(gate_activation="hard_sigmoid"), weight_scale=6.0, input_scale=2.0,
                         condition=_hard_sigmoid_flat),  # fmt: skip
    "relu": Case(CellOptions(cell_activation="relu"), c_scale=2.0, condition=_relu_both_sides),
    "softsign": Case(CellOptions(cell_activation="softsign"), weight_scale=2.0),
    "peephole+cell_clip+preact_clip+hard_sigmoid": Case(
        CellOptions(variant="peephole", cell_clip=0.4, preact_clip=4.0, gate_activation="hard_sigmoid"),
        weight_scale=6.0, input_scale=2.0, c_scale=2.0,
        condition=lambda ref: (_cell_clip_bites(0.4)(ref), _preact_clip_bites(4.0)(ref), _hard_sigmoid_flat(ref),
                               _hard_sigmoid_flat_inside_clip(4.0)(ref)),
    ),  # fmt: skip
    "cifg+proj+forget_bias+cell_clip": Case(
        CellOptions(variant="cifg", proj_size=P, forget_bias=1.0, cell_clip=0.5), c_scale=2.0,
        condition=_cell_clip_bites(0.5),
    ),  # fmt: skip
    "peephole+proj+softsign+preact_clip": Case(
        CellOptions(variant="peephole", proj_size=P, cell_activation="softsign", preact_clip=0.6),
        weight_scale=2.5, input_scale=2.0, condition=_preact_clip_bites(0.6),
    ),  # fmt: skip
    "peephole+relu+forget_bias": Case(CellOptions(variant="peephole", cell_activation="relu", forget_bias=0.5),
                                      c_scale=2.0, condition=_relu_both_sides),  # fmt: skip
    "gru": Case(CellOptions(variant="gru")),
    "gru+reset_before": Case(CellOptions(variant="gru", gru_reset_before=True)),
    "gru+preact_clip": Case(CellOptions(variant="gru", preact_clip=1.5), weight_scale=2.5, input_scale=2.0,
                            condition=_preact_clip_bites(1.5)),  # fmt: skip
    "gru+reset_before+hard_sigmoid+softsign": Case(
        CellOptions(variant="gru", gru_reset_before=True, gate_activation="hard_sigmoid", cell_activation="softsign"),
        weight_scale=6.0, input_scale=2.0, condition=_hard_sigmoid_flat,
    ),  # fmt: skip
}


def make_weights(case: Case, seed: int):
    cell, k = case.cell, case.weight_scale
    if cell.variant == "gru":
        w = gru_preset("random", H, I, seed)
        return GRUWeights({g: k * a for g, a in w.W.items()}, {g: k * a for g, a in w.b.items()}, k * w.b_hn,
                          w.provenance)  # fmt: skip
    w = lstm_preset("random", H, I, seed, peepholes=cell.variant == "peephole", proj_size=cell.proj_size)
    return LSTMWeights(
        W={g: k * a for g, a in w.W.items()}, b={g: k * a for g, a in w.b.items()}, provenance=w.provenance,
        peepholes=None if w.peepholes is None else {g: k * a for g, a in w.peepholes.items()},
        projection=w.projection,
    )  # fmt: skip


def make_inputs(case: Case, weights, seed: int, steps: int | None = None) -> dict:
    """x (or xs (T, I)), h_prev, c_prev (None for a GRU), d_h and d_c (None for a GRU)."""
    rng = np.random.default_rng(1000 + seed)
    gru = case.cell.variant == "gru"
    shape = (I,) if steps is None else (steps, I)
    return {
        "x": case.input_scale * rng.uniform(-1, 1, shape),
        "h_prev": rng.uniform(-1, 1, weights.h_size),
        "c_prev": None if gru else case.c_scale * rng.uniform(-1, 1, H),
        "d_h": rng.normal(size=weights.h_size),
        "d_c": None if gru else rng.normal(size=H),
    }


def _max_diff(ours, ref) -> float:
    assert ours is not None, "lstm_trace gave None where the reference has a gradient"
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return float(np.max(np.abs(ours - ref))) if ours.size else 0.0


def assert_all_close(pairs: dict, tol: float = GRAD_TOL) -> None:
    """Every (ours, reference) pair within tol; the failure names each gradient over it and by how much."""
    diffs = {name: _max_diff(ours, ref) for name, (ours, ref) in pairs.items()}
    over = {name: d for name, d in diffs.items() if not d <= tol}
    assert not over, f"max |ours - reference| over {tol}: {over}"


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
    assert_all_close(step_pairs(ours, ref, case.cell))


def test_cifg_input_gate_has_no_weights_of_its_own():
    case, weights, inputs, step, ref = _run_step("cifg", 0)
    ours = cell_backward(step, weights, inputs["d_h"], inputs["d_c"])
    grad = ours.gates["input"]
    assert grad.d_preact is None and grad.d_W is None and grad.d_b is None
    assert_all_close({"input.d_act": (grad.d_act, ref["d_act"]["input"])})


# --- through time: T steps forward, L = Σ d_h ⊙ h_T + Σ d_c ⊙ C_T, autograd through the whole unrolled graph ---

T = 6
SEQUENCE_CASES = {
    "lstm": CASES["lstm"],
    "peephole+cell_clip": Case(CellOptions(variant="peephole", cell_clip=0.3), input_scale=2.0, c_scale=2.0,
                               condition=lambda ref: _some_outside(ref["u"], 0.3, "cell clip over the steps")),  # fmt: skip
    "lstm+proj": CASES["lstm+proj"],
    "cifg": CASES["cifg"],
    "preact_clip+hard_sigmoid": Case(CellOptions(preact_clip=0.6, gate_activation="hard_sigmoid"), weight_scale=2.5,
                                     input_scale=2.0),  # fmt: skip
    "cifg+proj+forget_bias+cell_clip": Case(
        CellOptions(variant="cifg", proj_size=P, forget_bias=1.0, cell_clip=0.4), input_scale=2.0, c_scale=2.0
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
    assert_all_close(sequence_pairs(ours, ref, case.cell))


# --- finite differences (no torch): central, float64, step 1e-6, on cells with kinks, away from the kinks ---

FD_STEP, FD_TOL, KINK_MARGIN = 1e-6, 1e-6, 1e-3
FD_CASES = {
    "hard_sigmoid": CASES["hard_sigmoid"],
    "relu": CASES["relu"],
    "gru+hard_sigmoid+relu": Case(CellOptions(variant="gru", gate_activation="hard_sigmoid", cell_activation="relu"),
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


@pytest.mark.parametrize("name", list(FD_CASES))
def test_gradients_match_central_finite_differences(name):
    case = FD_CASES[name]
    weights = make_weights(case, seed=5)
    inputs = make_inputs(case, weights, seed=5)
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
