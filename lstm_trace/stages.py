"""The one registry of stage names, symbols, equations and meanings.

Every name a trace uses (`forget.preact`, `keep`, `c`, ...) is defined here once.
The cell's trace, the JSON writer, the tables and `explain` all read it; nobody
retypes a stage name or an equation anywhere else.

Symbols use Unicode: ⊙ is the element-wise (Hadamard) product, NumPy's `*`;
· is the matrix-vector product, NumPy's `@`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple


@dataclass(frozen=True)
class Gate:
    """One of the four blocks that hide a weight matrix and a bias inside an activation."""

    name: str  # "forget": the key in traces and JSON
    letter: str  # "f": W_f, b_f
    symbol: str  # "fₜ"
    activation: str  # "sigmoid" or "tanh"
    title: str
    variable: str  # the name in the cell's code: "f", "c_tilde"
    role: str = ""  # what a value in (0, 1) does, filled with {share} and {unit}

    @property
    def weight_key(self) -> str:
        return f"W_{self.letter}"

    @property
    def bias_key(self) -> str:
        return f"b_{self.letter}"

    @property
    def activation_symbol(self) -> str:
        return "σ" if self.activation == "sigmoid" else "tanh"

    @property
    def equation(self) -> str:
        return f"{self.symbol} = {self.activation_symbol}(W_{self.letter}·z + b_{self.letter})"

    @property
    def numpy(self) -> str:
        function = "np.tanh" if self.activation == "tanh" else "sigmoid"
        return f"{self.variable} = {function}(W_{self.letter} @ z + b_{self.letter})"


# The order a learner meets the gates in the usual cell figure. Frameworks stack
# them differently (PyTorch i,f,g,o; Keras i,f,c,o; ONNX i,o,f,c); file readers
# map their layout onto this one.
GATES: tuple[Gate, ...] = (
    Gate("forget", "f", "fₜ", "sigmoid", "Forget gate", "f", "keeps {share} of Cₜ₋₁[{unit}]"),
    Gate("input", "i", "iₜ", "sigmoid", "Input gate", "i", "writes {share} of C̃ₜ[{unit}] into memory"),
    Gate("candidate", "c", "C̃ₜ", "tanh", "Candidate values", "c_tilde"),
    Gate("output", "o", "oₜ", "sigmoid", "Output gate", "o", "exposes {share} of tanh(Cₜ)[{unit}] as hₜ[{unit}]"),
)
GATE_BY_NAME = {gate.name: gate for gate in GATES}

WEIGHT_KEYS: tuple[str, ...] = tuple(g.weight_key for g in GATES)
BIAS_KEYS: tuple[str, ...] = tuple(g.bias_key for g in GATES)


@dataclass(frozen=True)
class Quantity:
    """One named array in a step's trace."""

    name: str  # dotted name: "forget.act"
    symbol: str  # "fₜ", "keep"
    formula: str  # how it is made, "" for inputs: "σ(W_f·z + b_f)", "fₜ ⊙ Cₜ₋₁"
    meaning: str  # one line
    shape: str  # "(H,)"
    kind: str = "signed"  # "gate" for values in [0, 1]: styled and drawn as a bar


def _gate_quantities(gate: Gate) -> tuple[Quantity, ...]:
    L, act = gate.letter, gate.activation_symbol
    return (
        Quantity(f"{gate.name}.wz", f"W_{L}·z", "", f"the matrix product of W_{L} (H × (H+I)) with z", "(H,)"),
        Quantity(f"{gate.name}.bias", f"b_{L}", "", f"the bias of the {gate.title.lower()}, added before {act}", "(H,)"),
        Quantity(
            f"{gate.name}.preact", f"W_{L}·z + b_{L}", "", "the pre-activation: what goes into the activation", "(H,)"
        ),
        Quantity(
            f"{gate.name}.act",
            gate.symbol,
            f"{act}(…)",
            f"the {gate.title.lower()} after {act}",
            "(H,)",
            "gate" if gate.activation == "sigmoid" else "signed",
        ),
    )


QUANTITIES: dict[str, Quantity] = {
    q.name: q
    for q in (
        Quantity("h_prev", "hₜ₋₁", "", "the hidden state from the previous step", "(H,)"),
        Quantity("x", "xₜ", "", "the input at this step", "(I,)"),
        Quantity("c_prev", "Cₜ₋₁", "", "the cell state from the previous step: the long-term memory", "(H,)"),
        Quantity("concat", "z", "[hₜ₋₁ ; xₜ]", "h_(t-1) and x_t stacked end to end", "(H+I,)"),
        *(q for gate in GATES for q in _gate_quantities(gate)),
        Quantity("keep", "keep", "fₜ ⊙ Cₜ₋₁", "the part of the old memory that is kept", "(H,)"),
        Quantity("write", "write", "iₜ ⊙ C̃ₜ", "the new content written to memory", "(H,)"),
        Quantity("c", "Cₜ", "keep + write", "the new cell state", "(H,)"),
        Quantity("c_tanh", "tanh(Cₜ)", "", "the new cell state squashed into (-1, 1)", "(H,)"),
        Quantity("h", "hₜ", "oₜ ⊙ tanh(Cₜ)", "the new hidden state: this step's output", "(H,)"),
    )
}
INPUT_QUANTITIES: tuple[str, ...] = ("h_prev", "x", "c_prev")  # given to the step, not computed by it


@dataclass(frozen=True)
class Stage:
    """One stage of the step as a learner meets it, in the order of the computation."""

    name: str
    title: str
    equation: str
    numpy: str  # the same equation as NumPy code: `@` is a matrix product, `*` element-wise
    summary: str  # one line
    why: str  # why the stage exists
    misconception: str  # the mistake it clears up
    columns: tuple[str, ...]  # quantity names shown in its table, one row per unit


def _gate_stage(gate: Gate, summary: str, why: str, misconception: str) -> Stage:
    return Stage(
        name=gate.name,
        title=gate.title,
        equation=gate.equation,
        numpy=gate.numpy,
        summary=summary,
        why=why,
        misconception=misconception,
        columns=tuple(f"{gate.name}.{part}" for part in ("wz", "bias", "preact", "act")),
    )


_SOFT_GATE = (
    "A sigmoid gate is a soft value in (0, 1), not a 0/1 switch: σ(0) = 0.5, and it only "
    "approaches 0 or 1 when the pre-activation is large (σ(±5) ≈ 0.0067 / 0.9933). "
    "Tutorials that draw the gate as 'open or closed' describe the limit, not the numbers."
)
_BIAS_INSIDE = (
    "The bias goes inside the activation: σ(W·z + b), not σ(W·z) + b. And W·z is a matrix "
    "product (NumPy `W @ z`, shape (H,)); `W * z` broadcasts element-wise into an H × (H+I) "
    "matrix, which is a different thing altogether."
)

STAGES: tuple[Stage, ...] = (
    Stage(
        name="concat",
        title="Concatenation",
        equation="z = [hₜ₋₁ ; xₜ]",
        numpy="z = np.concatenate([h_prev, x])",
        summary="The previous hidden state and the input are joined end to end into one vector z.",
        why=(
            "Every gate looks at both what the cell said last (hₜ₋₁) and what it sees now (xₜ). "
            "Stacking them into one vector lets each gate use a single weight matrix of shape "
            "H × (H+I): its first H columns weigh hₜ₋₁, the last I columns weigh xₜ."
        ),
        misconception=(
            "Where the cell figure joins the hₜ₋₁ and xₜ wires, that is a concatenation, not an "
            "addition: z has H+I entries, and hₜ₋₁ and xₜ need not even have the same length. "
            "Only with identity-like weights and H = I does W·z happen to equal hₜ₋₁ + xₜ."
        ),
        columns=("concat",),
    ),
    _gate_stage(
        GATE_BY_NAME["forget"],
        "How much of each unit of the old memory Cₜ₋₁ to keep, as a fraction in (0, 1).",
        "Without it the cell state could only grow; the forget gate lets the cell clear memory "
        "that is no longer useful, unit by unit.",
        _SOFT_GATE + " " + _BIAS_INSIDE,
    ),
    _gate_stage(
        GATE_BY_NAME["input"],
        "How much of each candidate value to write into memory, as a fraction in (0, 1).",
        "It decides, separately from the forget gate, whether this step's information is worth "
        "storing.",
        _SOFT_GATE + " " + _BIAS_INSIDE,
    ),
    _gate_stage(
        GATE_BY_NAME["candidate"],
        "The new content that could be written to memory, each value in (-1, 1).",
        "tanh makes the candidate signed, so memory can be pushed up or down; the input gate then "
        "scales it. PyTorch calls this block g.",
        "The candidate is not a gate: it uses tanh, not σ, and its values can be negative. "
        + _BIAS_INSIDE,
    ),
    Stage(
        name="cell",
        title="New cell state",
        equation="Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ",
        numpy="c = f * c_prev + i * c_tilde",
        summary="Keep part of the old memory, add the gated candidate: the new cell state Cₜ.",
        why=(
            "This addition is what lets an LSTM remember over long spans: when fₜ ≈ 1 and iₜ ≈ 0 "
            "the cell state passes through unchanged, and so does its gradient."
        ),
        misconception=(
            "⊙ is element-wise (NumPy `*`), not a matrix product: unit j of Cₜ depends only on "
            "unit j of fₜ, Cₜ₋₁, iₜ and C̃ₜ. No weights are involved in this stage."
        ),
        columns=("forget.act", "c_prev", "keep", "input.act", "candidate.act", "write", "c"),
    ),
    _gate_stage(
        GATE_BY_NAME["output"],
        "How much of each unit of the squashed memory to expose as the hidden state.",
        "The cell can hold information it does not show yet; the output gate decides what the "
        "next layer and the next step get to see.",
        _SOFT_GATE + " " + _BIAS_INSIDE,
    ),
    Stage(
        name="hidden",
        title="New hidden state",
        equation="hₜ = oₜ ⊙ tanh(Cₜ)",
        numpy="h = o * np.tanh(c)",
        summary="The new memory, squashed by tanh and scaled by the output gate: the output hₜ.",
        why=(
            "tanh keeps hₜ in (-1, 1) however large Cₜ grows; the output gate picks what to show. "
            "hₜ is both this step's output and the hₜ₋₁ of the next step."
        ),
        misconception=(
            "The tanh here is applied to Cₜ itself, with no weights or bias: it is not another "
            "gate. And again ⊙ is element-wise."
        ),
        columns=("output.act", "c", "c_tanh", "h"),
    ),
)
STAGE_BY_NAME = {stage.name: stage for stage in STAGES}
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)


# --- Layouts: the registry as one kind of cell sees it (variants, issue 6) -----


@dataclass(frozen=True)
class Layout:
    """The stages and quantities of one kind of cell, in the order of the computation.

    The plain LSTM's is `PLAIN_LAYOUT` (the tuples above, unchanged). A variant's
    (peephole, cifg, gru, or the options forget bias, clips, projection,
    activations) comes from `layout_for(cell)`, built in `variants/registry.py`
    from these same classes. Tables, the JSON writer and reader, and `explain`
    read a trace through its layout, so no name or equation is typed twice.
    """

    variant: str  # "lstm", "peephole", "cifg", "gru"
    title: str  # the cell's name: "LSTM", "peephole LSTM (forget bias 1)"
    stages: tuple[Stage, ...]
    quantities: Mapping[str, Quantity]
    gates: tuple[str, ...]  # the trace's gate blocks: forget, input, ... or reset, update, new

    @property
    def stage_by_name(self) -> dict[str, Stage]:
        return {stage.name: stage for stage in self.stages}

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)


PLAIN_LAYOUT = Layout("lstm", "LSTM", STAGES, QUANTITIES, tuple(gate.name for gate in GATES))


def layout_for(cell: Any = None) -> Layout:
    """The layout of a cell (a `variants.CellOptions`); the plain LSTM's for None or the plain cell."""
    if cell is None or cell.is_plain:
        return PLAIN_LAYOUT
    from .variants.registry import variant_layout  # only a variant pays for building its layout

    return variant_layout(cell)


# ── The backward pass ────────────────────────────────────────────────────────
# Gradients of a loss L, named like the forward values they belong to:
# `d_c` is ∂L/∂Cₜ, `forget.d_preact` is δ_f = ∂L/∂(W_f·z + b_f). The backward
# code (`backward.py`), its trace, the JSON "backward" block, the grad tables
# and `explain grad` all read these.


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


# The backward records are NamedTuples, not dataclasses: every command imports this
# module, and a dataclass costs ~0.8 ms to define against ~0.1 ms (start-up is measured by
# benchmarks/bench_startup.py).
class BackwardStage(NamedTuple):
    """One stage of the backward pass, in the reverse order of the forward stages.

    `numpy` lines are the very lines of `backward.py` that compute the stage.
    """

    name: str
    title: str
    equations: tuple[str, ...]
    numpy: tuple[str, ...]
    summary: str  # one line
    columns: tuple[str, ...]  # forward (QUANTITIES) and gradient (GRAD_QUANTITIES) names, one row per unit


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


class GradTopic(NamedTuple):
    """What `explain grad` and `explain carousel` say; equations come from BACKWARD_STAGES."""

    name: str
    title: str
    summary: str
    why: str
    misconception: str


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
