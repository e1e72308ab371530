"""The backward pass's registry: `backward_layout(cell)` (gradients named like the forward values, and the
backward stages) for every cell, and the topics `explain grad` and `explain carousel` teach.

`d_c` is ∂L/∂Cₜ, `forget.d_preact` is δ_f = ∂L/∂(W_f·z + b_f). The backward code (`cells/lstm.py`), its
trace, the JSON "backward" block, the grad tables and `explain grad` all read these.
"""

from __future__ import annotations

from functools import lru_cache

from ..cell_options import PLAIN, CellOptions
from .gru_backward import gru_backward_layout
from .lstm_backward import lstm_backward_layout
from .types import BackwardLayout, BackwardStage, GradTopic


@lru_cache(maxsize=64)
def backward_layout(cell: CellOptions | None = None) -> BackwardLayout:
    """The backward stages and gradients of `cell` (the plain LSTM's for None)."""
    cell = PLAIN if cell is None else cell
    return gru_backward_layout(cell) if cell.variant == "gru" else lstm_backward_layout(cell)


# The plain LSTM's, which `explain grad` and `explain carousel` teach.
GRAD_QUANTITIES = backward_layout().quantities
BACKWARD_STAGES: tuple[BackwardStage, ...] = backward_layout().stages
BACKWARD_STAGE_BY_NAME = {stage.name: stage for stage in BACKWARD_STAGES}
BACKWARD_STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in BACKWARD_STAGES)


GRAD_TOPICS: dict[str, GradTopic] = {
    topic.name: topic
    for topic in (
        GradTopic(
            name="grad",
            title="The backward pass",
            summary="How ∂L/∂hₜ (and ∂L/∂Cₜ from the next step) flow back through one step to the "
            "weights, to hₜ₋₁, to xₜ and to Cₜ₋₁.",
            why=(
                "Backpropagation runs the forward stages in reverse. Each stage multiplies the gradient "
                "arriving at its output by its local derivative: element-wise products swap their factors "
                "(∂(a ⊙ b)/∂a = b), σ contributes σ′ = s(1 − s) ≤ 0.25, tanh contributes tanh′ = 1 − t² ≤ 1, "
                "and a matrix product W·z sends back Wᵀ times the gradient. A value used twice (z feeds four "
                "gates; Cₜ feeds hₜ and Cₜ₊₁) adds up the gradients from each use."
            ),
            misconception=(
                "The gradient of a gate is not the gate: ∂L/∂fₜ = ∂L/∂Cₜ ⊙ Cₜ₋₁ is zero when Cₜ₋₁ is zero, "
                "however open fₜ is. And ∂L/∂W_g = δ_g zᵀ is an outer product, an H × (H+I) matrix like W_g, "
                "not W_g times anything."
            ),
        ),
        GradTopic(
            name="carousel",
            title="The constant error carousel",
            summary="Why the gradient along the cell state can survive many steps, and when it does not.",
            why=(
                "Between Cₜ₋₁ and Cₜ there is only keep = fₜ ⊙ Cₜ₋₁ plus an addition, so the gradient going "
                "back along the cell state is multiplied by fₜ and nothing else: ∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ. "
                "When fₜ is near 1 the gradient survives many steps (0.99¹⁰⁰ ≈ 0.37), whereas a plain RNN "
                "multiplies it at every step by Wᵀ and a tanh slope, which usually shrinks it geometrically "
                "(0.5¹⁰⁰ ≈ 8e-31). Hochreiter and Schmidhuber (1997) named this path, then without a forget "
                "gate (fₜ = 1), the constant error carousel."
            ),
            misconception=(
                "The carousel is not automatic: it carries the gradient only as far as fₜ stays near 1. "
                "A forget gate at σ(0) = 0.5, which small random weights give, halves the gradient at every "
                "step, as fast as a plain RNN loses it. That is why the forget bias is often started at 1 "
                "or more (Keras does by default; try `grad --forget-bias`)."
            ),
        ),
    )
}
