"""The arithmetic behind `explain carousel`, computed here so the renderer only draws.

The carousel multiplies ∂L/∂C by fₜ at every step. If the forget gate kept the
values it has at this step, after k steps a unit would keep fₜ^k of its gradient;
`steps_to_halve` is the k at which that falls to one half.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..traces.step import StepTrace

HORIZONS = (1, 10, 50, 100)
HALF_GATE = 0.5  # σ(0): what a forget gate gives with no evidence either way


@dataclass(frozen=True)
class CarouselOutlook:
    forget: np.ndarray  # (H,)  fₜ at this step
    horizons: tuple[int, ...]
    kept: np.ndarray  # (len(horizons), H)  fₜ^k
    half_gate_kept: np.ndarray  # (len(horizons),)  0.5^k, for comparison
    steps_to_halve: np.ndarray  # (H,)  log(0.5) / log(fₜ); inf when fₜ = 1


def carousel_outlook(step: StepTrace, horizons: tuple[int, ...] = HORIZONS) -> CarouselOutlook:
    f = step.forget.act.astype(np.float64)
    steps_to_halve = np.full(f.shape, np.inf)  # f = 1 never halves
    leaking = f < 1
    with np.errstate(divide="ignore"):  # f = 0: log 0 = -inf, so it halves at once (0 steps)
        steps_to_halve[leaking] = np.log(0.5) / np.log(f[leaking])
    return CarouselOutlook(
        forget=f,
        horizons=horizons,
        kept=np.array([f**k for k in horizons]),
        half_gate_kept=np.array([HALF_GATE**k for k in horizons]),
        steps_to_halve=steps_to_halve,
    )
