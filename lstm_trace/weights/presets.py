"""Weight presets: weights made from the sizes alone, for teaching."""

from __future__ import annotations

import numpy as np

from ..stages import GATES
from .model import LSTMWeights


def identity(hidden_size: int, input_size: int) -> LSTMWeights:
    """Every gate has W_g = [I_H | eye(H, I)] and b_g = 0.

    With H = I this makes W_g·z = h_{t-1} + x_t, which is why a learner who adds
    the two gets the right numbers for this preset, and only for this one.
    """
    W = np.hstack([np.eye(hidden_size), np.eye(hidden_size, input_size)])  # (H, H+I)
    return _same_for_every_gate(W, np.zeros(hidden_size), {
        "source": "identity",
        "description": "W_g = [I_H | eye(H, I)] for every gate, all biases zero",
    })  # fmt: skip


def zeros(hidden_size: int, input_size: int) -> LSTMWeights:
    """All weights and biases zero: every gate is σ(0) = 0.5 and C̃ = 0."""
    W = np.zeros((hidden_size, hidden_size + input_size))
    return _same_for_every_gate(W, np.zeros(hidden_size), {
        "source": "zeros",
        "description": "all weights and biases zero",
    })  # fmt: skip


def random(hidden_size: int, input_size: int, seed: int = 0) -> LSTMWeights:
    """PyTorch's default LSTM init: every weight and bias from U(-1/√H, 1/√H).

    Drawn with `numpy.random.default_rng(seed)`, in the order W_f, W_i, W_c, W_o,
    b_f, b_i, b_c, b_o, so a seed always gives the same numbers.
    """
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden_size)
    W = {g.name: rng.uniform(-bound, bound, (hidden_size, hidden_size + input_size)) for g in GATES}
    b = {g.name: rng.uniform(-bound, bound, hidden_size) for g in GATES}
    return LSTMWeights(W=W, b=b, provenance={
        "source": "random",
        "seed": int(seed),
        "description": f"uniform(-1/√H, 1/√H) = uniform(±{bound:.4g}) like PyTorch's init, seed {seed}",
    })  # fmt: skip


def _same_for_every_gate(W: np.ndarray, b: np.ndarray, provenance: dict) -> LSTMWeights:
    return LSTMWeights(
        W={g.name: W.copy() for g in GATES},
        b={g.name: b.copy() for g in GATES},
        provenance=provenance,
    )


PRESETS = {"identity": identity, "zeros": zeros, "random": random}
