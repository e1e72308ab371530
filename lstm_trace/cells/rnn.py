"""A plain tanh RNN, forward and backward through time: the baseline the LSTM is compared with.

    hₜ = tanh(W·[hₜ₋₁ ; xₜ] + b)          W is H × (H+I), b has H entries

Backwards, every step multiplies the gradient by the tanh slope and by Wᵀ:

    δₜ = ∂L/∂hₜ ⊙ (1 − hₜ²)               tanh′ = 1 − t²
    ∂L/∂hₜ₋₁ = (Wᵀ δₜ)[:H]

There is no additive path like the LSTM's cell state, so unless W is large the
gradient shrinks geometrically with the distance it travels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np


@dataclass(frozen=True)
class RNNWeights:
    W: np.ndarray  # (H, H+I), columns [h_{t-1} | x_t] like the LSTM's W_g
    b: np.ndarray  # (H,)
    provenance: Mapping[str, Any]

    @property
    def hidden_size(self) -> int:
        return int(self.b.shape[0])


def random_rnn(hidden_size: int, input_size: int, seed: int = 0, dtype: str = "float64") -> RNNWeights:
    """PyTorch's default RNN init, the scheme `presets.random` uses for the LSTM:
    every weight and bias from U(-1/√H, 1/√H), drawn with `default_rng(seed)`, W first."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden_size)
    W = rng.uniform(-bound, bound, (hidden_size, hidden_size + input_size))
    b = rng.uniform(-bound, bound, hidden_size)
    return RNNWeights(W=W.astype(dtype), b=b.astype(dtype), provenance={
        "source": "random",
        "seed": int(seed),
        "description": f"uniform(±{bound:.4g}) like PyTorch's init, seed {seed}",
    })  # fmt: skip


@dataclass(frozen=True)
class RNNThroughTime:
    h: np.ndarray  # (T+1, H)  h_0 … h_T
    d_h: np.ndarray  # (T+1, H)  ∂L/∂h_t for t = 0 … T


def rnn_through_time(weights: RNNWeights, xs: np.ndarray, h0: np.ndarray, d_h_last: np.ndarray) -> RNNThroughTime:
    """Run the RNN over xs (T, I) from h0, then backpropagate ∂L/∂h_T = d_h_last to t = 0."""
    W, b, H = weights.W, weights.b, weights.hidden_size
    T = xs.shape[0]
    h = np.empty((T + 1, H), W.dtype)
    h[0] = h0
    for t in range(1, T + 1):
        z = np.concatenate([h[t - 1], xs[t - 1]])  # (H+I,)
        h[t] = np.tanh(W @ z + b)
    d_h = np.empty_like(h)
    d_h[T] = d_h_last
    for t in range(T, 0, -1):
        delta = d_h[t] * (1 - h[t] ** 2)  # tanh′ = 1 − t²
        d_h[t - 1] = (W.T @ delta)[:H]  # the x part of Wᵀδ goes to x_t, not further back
    return RNNThroughTime(h=h, d_h=d_h)
