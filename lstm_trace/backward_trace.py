"""The backward trace: every gradient of one step, kept by the names in `stages.GRAD_QUANTITIES`.

Plain data like the forward `StepTrace`: `backward.py` makes it, the JSON reader
rebuilds it, renderers only read it. Fields the JSON contract does not require
may be None in a trace read from a file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GateGrad:
    """One gate's block, backwards: from the gradient of its activation to its weights."""

    d_preact: np.ndarray  # (H,)  δ_g = ∂L/∂(W_g·z + b_g)
    d_W: np.ndarray | None  # (H, H+I)  δ_g zᵀ; None when not asked for (long sequences)
    d_b: np.ndarray  # (H,)  δ_g
    d_act: np.ndarray | None = None  # (H,)  ∂L/∂g, the gradient of the activation
    local: np.ndarray | None = None  # (H,)  the activation's slope: σ′ = s(1 − s) or tanh′ = 1 − t²
    d_z: np.ndarray | None = None  # (H+I,)  W_gᵀδ_g, this gate's share of ∂L/∂z


@dataclass(frozen=True)
class BackwardTrace:
    """Every gradient of one LSTM step, for upstream gradients ∂L/∂hₜ and ∂L/∂Cₜ (from t+1)."""

    forget: GateGrad
    input: GateGrad
    candidate: GateGrad
    output: GateGrad
    d_h_prev: np.ndarray  # (H,)
    d_x: np.ndarray  # (I,)
    d_c_prev: np.ndarray  # (H,)  ∂L/∂Cₜ ⊙ fₜ: the constant error carousel
    d_h: np.ndarray | None = None  # (H,)  upstream: ∂L/∂hₜ
    d_c_carried: np.ndarray | None = None  # (H,)  upstream: ∂L/∂Cₜ from step t+1
    c_tanh_local: np.ndarray | None = None  # (H,)  1 − tanh²(Cₜ)
    d_c: np.ndarray | None = None  # (H,)  ∂L/∂Cₜ in total: carried + through hₜ
    d_z: np.ndarray | None = None  # (H+I,)

    def __getitem__(self, name: str) -> np.ndarray | None:
        """Look a gradient up by its dotted name: `backward["forget.d_preact"]`, `backward["d_c"]`."""
        head, _, part = name.partition(".")
        value = getattr(self, head)
        return getattr(value, part) if part else value

    def gate(self, name: str) -> GateGrad:
        return getattr(self, name)
