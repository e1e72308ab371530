"""The backward pass's registry: gradients named like the forward values, the backward stages, and the
topics `explain grad` and `explain carousel` teach.

`d_c` is ∂L/∂Cₜ, `forget.d_preact` is δ_f = ∂L/∂(W_f·z + b_f). The backward code (`cells/lstm.py`), its
trace, the JSON "backward" block, the grad tables and `explain grad` all read these.
"""

from __future__ import annotations

from .lstm import GATE_BY_NAME, GATES
from .types import BackwardStage, Gate, GradTopic, Quantity


def _gate_grad_quantities(gate: Gate) -> tuple[Quantity, ...]:
    L, act = gate.letter, gate.activation_symbol
    local = (
        Quantity(f"{gate.name}.local", f"{act}′(…)", f"{gate.symbol}(1 − {gate.symbol})", "σ′ = s(1 − s): the sigmoid's slope at this pre-activation", "(H,)")
        if gate.activation == "sigmoid"
        else Quantity(f"{gate.name}.local", f"{act}′(…)", f"1 − {gate.symbol}²", "tanh′ = 1 − t²: the tanh's slope at this pre-activation", "(H,)")
    )  # fmt: skip
    return (
        Quantity(f"{gate.name}.d_act", f"∂L/∂{gate.symbol}", _D_ACT_FORMULA[gate.name], f"the gradient reaching the {gate.title.lower()}", "(H,)"),
        local,
        Quantity(f"{gate.name}.d_preact", f"δ_{L}", f"∂L/∂{gate.symbol} ⊙ {act}′", f"∂L/∂(W_{L}·z + b_{L}): the gradient through {act}", "(H,)"),
        Quantity(f"{gate.name}.d_W", f"∂L/∂W_{L}", f"δ_{L} zᵀ", f"the gradient of W_{L}: row j is δ_{L}[j] times z", "(H, H+I)"),
        Quantity(f"{gate.name}.d_b", f"∂L/∂b_{L}", f"δ_{L}", f"the gradient of b_{L}: δ_{L} itself", "(H,)"),
        Quantity(f"{gate.name}.d_z", f"W_{L}ᵀδ_{L}", "", f"the part of ∂L/∂z sent back through the {gate.title.lower()}", "(H+I,)"),
    )  # fmt: skip


_D_ACT_FORMULA = {
    "forget": "∂L/∂Cₜ ⊙ Cₜ₋₁",
    "input": "∂L/∂Cₜ ⊙ C̃ₜ",
    "candidate": "∂L/∂Cₜ ⊙ iₜ",
    "output": "∂L/∂hₜ ⊙ tanh(Cₜ)",
}

GRAD_QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        Quantity("d_h", "∂L/∂hₜ", "upstream", "the gradient arriving at hₜ: --dh (default ones, L = Σ hₜ), or from step t+1", "(H,)"),
        Quantity("d_c_carried", "∂L/∂Cₜ", "from t+1", "the gradient arriving at Cₜ from step t+1: --dc (default zeros)", "(H,)"),
        Quantity("c_tanh_local", "tanh′(Cₜ)", "1 − tanh²(Cₜ)", "tanh′ = 1 − t²: the slope of tanh at Cₜ", "(H,)"),
        Quantity("d_c", "∂L/∂Cₜ", "in total", "the whole gradient of Cₜ: carried from t+1 plus the path through hₜ", "(H,)"),
        *(q for gate in GATES for q in _gate_grad_quantities(gate)),
        Quantity("d_z", "∂L/∂z", "Σ_g W_gᵀδ_g", "the gradient of z = [hₜ₋₁ ; xₜ]: what every gate sends back", "(H+I,)"),
        Quantity("d_h_prev", "∂L/∂hₜ₋₁", "(∂L/∂z)[:H]", "the gradient passed to the previous step's hidden state", "(H,)"),
        Quantity("d_x", "∂L/∂xₜ", "(∂L/∂z)[H:]", "the gradient of this step's input", "(I,)"),
        Quantity("d_c_prev", "∂L/∂Cₜ₋₁", "∂L/∂Cₜ ⊙ fₜ", "the gradient passed to the previous cell state: the constant error carousel", "(H,)"),
    )
}  # fmt: skip

def _gate_backward_stage(gate: Gate) -> BackwardStage:
    L, act, v = gate.letter, gate.activation_symbol, gate.variable
    local = f"{v} * (1 - {v})" if gate.activation == "sigmoid" else f"1 - {v}**2"
    slope = f"{gate.symbol}(1 − {gate.symbol})" if gate.activation == "sigmoid" else f"1 − {gate.symbol}²"
    return BackwardStage(
        name=gate.name,
        title=f"Back through the {gate.title.lower()}",
        equations=(f"{act}′(…) = {slope}", f"δ_{L} = ∂L/∂{gate.symbol} ⊙ {act}′(…)"),
        numpy=(f"{v}_local = {local}", f"delta_{L} = d_{v} * {v}_local"),
        summary=f"The chain rule through {act}: the gradient of {gate.symbol} times {act}'s slope gives δ_{L}.",
        columns=tuple(f"{gate.name}.{part}" for part in ("d_act", "act", "local", "d_preact")),
    )


BACKWARD_STAGES: tuple[BackwardStage, ...] = (
    BackwardStage(
        name="hidden",
        title="Back through the hidden state",
        equations=(
            "∂L/∂oₜ = ∂L/∂hₜ ⊙ tanh(Cₜ)",
            "tanh′(Cₜ) = 1 − tanh²(Cₜ)",
            "∂L/∂Cₜ = ∂L/∂Cₜ(from t+1) + ∂L/∂hₜ ⊙ oₜ ⊙ tanh′(Cₜ)",
        ),
        numpy=("d_o = d_h * c_tanh", "c_tanh_local = 1 - c_tanh**2", "d_c = d_c_carried + d_h * o * c_tanh_local"),
        summary="hₜ = oₜ ⊙ tanh(Cₜ) sends the gradient two ways: to the output gate, and through tanh to Cₜ, "
        "where it joins what step t+1 sent back.",
        columns=("d_h", "c_tanh", "output.d_act", "output.act", "c_tanh_local", "d_c_carried", "d_c"),
    ),
    _gate_backward_stage(GATE_BY_NAME["output"]),
    BackwardStage(
        name="cell",
        title="Back through the cell state",
        equations=("∂L/∂fₜ = ∂L/∂Cₜ ⊙ Cₜ₋₁", "∂L/∂iₜ = ∂L/∂Cₜ ⊙ C̃ₜ", "∂L/∂C̃ₜ = ∂L/∂Cₜ ⊙ iₜ"),
        numpy=("d_f = d_c * c_prev", "d_i = d_c * c_tilde", "d_c_tilde = d_c * i"),
        summary="Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ: each factor of a product gets the gradient times the other factor.",
        columns=("d_c", "c_prev", "forget.d_act", "candidate.act", "input.d_act", "input.act", "candidate.d_act"),
    ),
    _gate_backward_stage(GATE_BY_NAME["candidate"]),
    _gate_backward_stage(GATE_BY_NAME["input"]),
    _gate_backward_stage(GATE_BY_NAME["forget"]),
    BackwardStage(
        name="weights",
        title="Gradients of the weights and biases",
        equations=("∂L/∂W_g = δ_g zᵀ", "∂L/∂b_g = δ_g"),
        numpy=("d_W_g = np.outer(delta_g, z)", "d_b_g = delta_g"),
        summary="Every weight W_g[j, k] multiplied z[k] into unit j, so its gradient is δ_g[j]·z[k]; "
        "the bias was added once, so its gradient is δ_g.",
        columns=tuple(f"{gate.name}.d_b" for gate in GATES),
    ),
    BackwardStage(
        name="concat",
        title="Back to hₜ₋₁ and xₜ",
        equations=("∂L/∂z = W_fᵀδ_f + W_iᵀδ_i + W_cᵀδ_c + W_oᵀδ_o", "∂L/∂hₜ₋₁ = (∂L/∂z)[:H]", "∂L/∂xₜ = (∂L/∂z)[H:]"),
        numpy=("d_z = d_z_f + d_z_i + d_z_c + d_z_o", "d_h_prev, d_x = d_z[:H], d_z[H:]"),
        summary="z fed all four gates, so its gradient is the sum of what each gate sends back; "
        "z was a concatenation, so the gradient is split, not shared.",
        columns=(*(f"{gate.name}.d_z" for gate in GATES), "d_z"),
    ),
    BackwardStage(
        name="carousel",
        title="The constant error carousel",
        equations=("∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ",),
        numpy=("d_c_prev = d_c * f",),
        summary="The gradient reaches the previous cell state through one element-wise product with fₜ: "
        "no weight matrix, no squashing slope. With fₜ ≈ 1 it passes almost unchanged.",
        columns=("d_c", "forget.act", "d_c_prev"),
    ),
)
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
