"""The backward trace of a variant step: the plain one's gates and passed-back gradients, plus
what the variant adds (peepholes, projection, the GRU's b_hn).

Plain data: `variants/backward.py` and `variants/backward_gru.py` make it, renderers
and the JSON writer read it by the names in `variants/grad_registry.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..backward_trace import GateGrad


@dataclass(frozen=True)
class VariantBackward:
    """Every gradient of one variant step, for the upstream ∂L/∂hₜ (and ∂L/∂Cₜ from step t+1).

    `gates` holds forget, input, candidate, output (LSTM family) or reset, update, new (GRU).
    A GateGrad's d_preact is the gradient of the pre-activation before any clip; cifg's input
    gate has only d_act (i = 1 − f has no weights of its own). Fields a cell lacks are None.
    """

    gates: Mapping[str, GateGrad]
    d_h_prev: np.ndarray  # (P or H,)
    d_x: np.ndarray  # (I,)
    d_h: np.ndarray  # (P or H,)  upstream: ∂L/∂hₜ
    d_z: np.ndarray  # (P+I or H+I,)  ∂L/∂[hₜ₋₁ ; xₜ] through the weights (the GRU's z ⊙ path not included)
    d_c_prev: np.ndarray | None = None  # (H,)
    d_c_carried: np.ndarray | None = None  # (H,)  upstream: ∂L/∂Cₜ from step t+1
    d_c: np.ndarray | None = None  # (H,)  ∂L/∂Cₜ in total, after the output peephole and before the cell clip
    d_c_unclipped: np.ndarray | None = None  # (H,)  ∂L/∂(keep + write): zero where the cell clip held Cₜ
    d_h_unprojected: np.ndarray | None = None  # (H,)  W_hrᵀ ∂L/∂hₜ: the gradient of oₜ ⊙ g(Cₜ)
    d_projection: np.ndarray | None = None  # (P, H)  ∂L/∂W_hr
    d_peepholes: Mapping[str, np.ndarray] | None = None  # gate -> (H,)  ∂L/∂p_g
    d_b_hn: np.ndarray | None = None  # (H,)  GRU: the new gate's hidden-side bias
    d_h_direct: np.ndarray | None = None  # (H,)  GRU: zₜ ⊙ ∂L/∂hₜ, the part that skips every weight

    def __getitem__(self, name: str) -> np.ndarray | None:
        """A gradient by its dotted name: `backward["forget.d_preact"]`, `backward["peephole.forget"]`, `backward["d_x"]`."""
        head, _, part = name.partition(".")
        if head in self.gates:
            return getattr(self.gates[head], part) if part else None
        if head == "peephole":
            return None if self.d_peepholes is None else self.d_peepholes.get(part)
        return getattr(self, head)
