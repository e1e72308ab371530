"""Weight presets: weights made from the sizes alone, for teaching, for every cell.

`identity`: every W_g = [I_H | eye(H, I)], all biases zero (with a projection
W_g = [eye(H, P) | eye(H, I)] and W_hr = eye(P, H): hₜ keeps the first P units;
peepholes are ones, so each gate sees Cₜ₋₁ as it is). `zeros`: everything zero.
`random`: PyTorch's default init, every array from U(-1/√H, 1/√H), drawn with
`numpy.random.default_rng(seed)` so a seed always gives the same numbers.

An LSTM draws W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o, then p_f, p_i, p_o and W_hr:
without a projection the first eight arrays are the same for every option. A GRU
draws W_r, W_z, W_n, b_r, b_z, b_in, b_hn in that order.
"""

from __future__ import annotations

import numpy as np

from ..stages import GATES
from .gru_weights import GRU_GATES, GRUWeights
from .lstm_weights import PEEPHOLE_KEYS, LSTMWeights

NAMES = ("identity", "zeros", "random")


def lstm_preset(name: str, hidden_size: int, input_size: int, seed: int = 0, *,
                peepholes: bool = False, proj_size: int | None = None) -> LSTMWeights:  # fmt: skip
    """The LSTM preset `name` for H = hidden_size and I = input_size, with peepholes and a projection
    W_hr (proj_size × H) when asked."""
    H, I = hidden_size, input_size
    P = H if proj_size is None else proj_size  # the length of h, hence of the h-part of z
    bound = 1 / np.sqrt(H)
    if name == "identity":
        square = np.hstack([np.eye(H, P), np.eye(H, I)])  # (H, P+I)
        W = {g.name: square.copy() for g in GATES}
        b = {g.name: np.zeros(H) for g in GATES}
        peephole = {g: np.ones(H) for g in PEEPHOLE_KEYS}
        projection = np.eye(P, H)
    elif name == "zeros":
        W = {g.name: np.zeros((H, P + I)) for g in GATES}
        b = {g.name: np.zeros(H) for g in GATES}
        peephole = {g: np.zeros(H) for g in PEEPHOLE_KEYS}
        projection = np.zeros((P, H))
    else:
        rng = np.random.default_rng(seed)  # only here: importing numpy.random costs `step` ~15 ms at start-up
        W = {g.name: rng.uniform(-bound, bound, (H, P + I)) for g in GATES}
        b = {g.name: rng.uniform(-bound, bound, H) for g in GATES}
        peephole = {g: rng.uniform(-bound, bound, H) for g in PEEPHOLE_KEYS}
        projection = rng.uniform(-bound, bound, (P, H))
    return LSTMWeights(
        W=W,
        b=b,
        provenance=_provenance(name, seed, bound, peepholes, proj_size),
        peepholes=peephole if peepholes else None,
        projection=projection if proj_size is not None else None,
    )


def gru_preset(name: str, hidden_size: int, input_size: int, seed: int = 0) -> GRUWeights:
    """The GRU preset `name` for H = hidden_size and I = input_size."""
    H, I = hidden_size, input_size
    bound = 1 / np.sqrt(H)
    if name == "identity":
        W = {g: np.hstack([np.eye(H), np.eye(H, I)]) for g in GRU_GATES}
        b, b_hn = {g: np.zeros(H) for g in GRU_GATES}, np.zeros(H)
    elif name == "zeros":
        W = {g: np.zeros((H, H + I)) for g in GRU_GATES}
        b, b_hn = {g: np.zeros(H) for g in GRU_GATES}, np.zeros(H)
    else:
        rng = np.random.default_rng(seed)
        W = {g: rng.uniform(-bound, bound, (H, H + I)) for g in GRU_GATES}
        b = {g: rng.uniform(-bound, bound, H) for g in GRU_GATES}
        b_hn = rng.uniform(-bound, bound, H)
    return GRUWeights(W=W, b=b, b_hn=b_hn, provenance=_provenance(name, seed, bound, False, None, gru=True))


def identity(hidden_size: int, input_size: int) -> LSTMWeights:
    """Every gate has W_g = [I_H | eye(H, I)] and b_g = 0.

    With H = I this makes W_g·z = h_{t-1} + x_t, which is why a learner who adds
    the two gets the right numbers for this preset, and only for this one.
    """
    return lstm_preset("identity", hidden_size, input_size)


def zeros(hidden_size: int, input_size: int) -> LSTMWeights:
    """All weights and biases zero: every gate is σ(0) = 0.5 and C̃ = 0."""
    return lstm_preset("zeros", hidden_size, input_size)


def random(hidden_size: int, input_size: int, seed: int = 0) -> LSTMWeights:
    """PyTorch's default LSTM init: every weight and bias from U(-1/√H, 1/√H), in the order
    W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o."""
    weights = lstm_preset("random", hidden_size, input_size, seed)
    # The plain cell's traces have always said the seed before the description.
    seed_first = {"source": "random", "seed": int(seed), **weights.provenance}
    return LSTMWeights(W=weights.W, b=weights.b, provenance=seed_first)


PRESETS = {"identity": identity, "zeros": zeros, "random": random}


def _provenance(name: str, seed: int, bound: float, peepholes: bool, proj_size: int | None, gru: bool = False) -> dict:
    if name == "identity":
        description = (
            "W_g = [I_H | eye(H, I)] for every gate, all biases zero"
            if not proj_size
            else ("W_g = [eye(H, P) | eye(H, I)] for every gate, all biases zero")
        )
    elif name == "zeros":
        description = "all weights and biases zero"
    else:
        description = f"uniform(-1/√H, 1/√H) = uniform(±{bound:.4g}) like PyTorch's init, seed {seed}"
    extras = []
    if peepholes:
        extras.append(
            {"identity": "peepholes p_f = p_i = p_o = 1", "zeros": "peepholes zero"}.get(name, "peepholes drawn too")
        )
    if proj_size:
        extras.append(
            {"identity": f"projection W_hr = eye({proj_size}, H)", "zeros": "projection zero"}.get(
                name, "projection W_hr drawn too"
            )
        )
    provenance = {"source": name, "description": "; ".join([description, *extras])}
    if name == "random":
        provenance["seed"] = int(seed)
    if gru:
        provenance["variant"] = "gru"
    return provenance
