"""The plain LSTM's registry: its four gates, every quantity of a step, and its seven stages.

Every name a trace uses (`forget.preact`, `keep`, `c`, ...) is defined here once.
Symbols use Unicode: ⊙ is the element-wise (Hadamard) product, NumPy's `*`;
· is the matrix-vector product, NumPy's `@`. An option of the cell (`lstm_options.py`)
writes its term into these stages; it never retypes them.
"""

from __future__ import annotations

from .types import Gate, Quantity, Stage

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


SOFT_GATE = (
    "A sigmoid gate is a soft value in (0, 1), not a 0/1 switch: σ(0) = 0.5, and it only "
    "approaches 0 or 1 when the pre-activation is large (σ(±5) ≈ 0.0067 / 0.9933). "
    "Tutorials that draw the gate as 'open or closed' describe the limit, not the numbers."
)
BIAS_INSIDE = (
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
        SOFT_GATE + " " + BIAS_INSIDE,
    ),
    _gate_stage(
        GATE_BY_NAME["input"],
        "How much of each candidate value to write into memory, as a fraction in (0, 1).",
        "It decides, separately from the forget gate, whether this step's information is worth "
        "storing.",
        SOFT_GATE + " " + BIAS_INSIDE,
    ),
    _gate_stage(
        GATE_BY_NAME["candidate"],
        "The new content that could be written to memory, each value in (-1, 1).",
        "tanh makes the candidate signed, so memory can be pushed up or down; the input gate then "
        "scales it. PyTorch calls this block g.",
        "The candidate is not a gate: it uses tanh, not σ, and its values can be negative. "
        + BIAS_INSIDE,
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
        SOFT_GATE + " " + BIAS_INSIDE,
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


