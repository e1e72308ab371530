"""The LSTM's layout for any configuration: the plain stages with each option's term written in.

Built from `lstm.py` (the plain gates, quantities and stages) so every symbol and
sentence that does not change is the plain one; `lstm_layout(LSTM())` is the
plain LSTM's layout itself. What an option adds appears in three places that must
agree, and all three are made here: the stage's equation, its NumPy line, and the
quantities (table columns and JSON fields).
"""

from __future__ import annotations

from dataclasses import replace

from ..cell_options import CellOptions
from .lstm import GATE_BY_NAME, QUANTITIES, STAGE_BY_NAME
from .types import Gate, Layout, Quantity, Stage

ACTIVATION_SYMBOLS = {"sigmoid": "σ", "hard_sigmoid": "hardσ", "tanh": "tanh", "relu": "relu", "softsign": "softsign"}
ACTIVATION_NUMPY = {"sigmoid": "sigmoid", "hard_sigmoid": "hard_sigmoid", "tanh": "np.tanh", "relu": "relu",
                    "softsign": "softsign"}  # fmt: skip
PEEPHOLE_STATE = {"forget": ("Cₜ₋₁", "c_prev"), "input": ("Cₜ₋₁", "c_prev"), "output": ("Cₜ", "c")}


def lstm_layout(cell: CellOptions) -> Layout:
    quantities = dict(QUANTITIES)
    stages = []
    for stage in (STAGE_BY_NAME[name] for name in ("concat", "forget", "input", "candidate", "cell", "output")):
        if stage.name in GATE_BY_NAME:
            if stage.name == "input" and cell.variant == "cifg":
                stages.append(_coupled_input_stage(stage, quantities))
            else:
                stages.append(_gate_stage(GATE_BY_NAME[stage.name], stage, cell, quantities))
        elif stage.name == "cell":
            stages.append(_cell_stage(stage, cell, quantities))
        else:
            stages.append(_concat_stage(stage, cell, quantities))
    stages.extend(_hidden_stages(cell, quantities))
    title = {"lstm": "LSTM", "peephole": "peephole LSTM", "cifg": "CIFG LSTM"}[cell.variant]
    return Layout(cell.variant, title + options_suffix(cell), tuple(stages), quantities, tuple(GATE_BY_NAME))


def options_suffix(cell: CellOptions) -> str:
    parts = []
    if cell.forget_bias:
        parts.append(f"forget bias {number(cell.forget_bias)}")
    if cell.cell_clip is not None:
        parts.append(f"cell clip ±{number(cell.cell_clip)}")
    if cell.preact_clip is not None:
        parts.append(f"pre-activation clip ±{number(cell.preact_clip)}")
    if cell.proj_size is not None:
        parts.append(f"projection to P = {cell.proj_size}")
    if cell.gate_activation != "sigmoid":
        parts.append(f"gates {cell.gate_activation}")
    if cell.cell_activation != "tanh":
        parts.append(f"cell activation {cell.cell_activation}")
    return f" ({', '.join(parts)})" if parts else ""


def _gate_stage(gate: Gate, stage: Stage, cell: CellOptions, quantities: dict[str, Quantity]) -> Stage:
    """σ(clip(W·z + p ⊙ C + b + B)): the plain gate with the terms `cell` adds."""
    L, name = gate.letter, gate.name
    activation = cell.gate_activation if gate.activation == "sigmoid" else cell.cell_activation
    act, act_numpy = ACTIVATION_SYMBOLS[activation], ACTIVATION_NUMPY[activation]
    terms, numpy_terms, columns = [f"W_{L}·z"], [f"W_{L} @ z"], [f"{name}.wz"]
    notes = []
    if cell.variant == "peephole" and name in PEEPHOLE_STATE:
        state, state_numpy = PEEPHOLE_STATE[name]
        terms.append(f"p_{L} ⊙ {state}")
        numpy_terms.append(f"p_{L} * {state_numpy}")
        columns.append(f"{name}.peephole")
        quantities[f"{name}.peephole"] = Quantity(
            f"{name}.peephole", f"p_{L} ⊙ {state}", "",
            f"the peephole term: {state} weighed unit by unit by p_{L} (a vector, not a matrix)", "(H,)",
        )  # fmt: skip
        notes.append(
            f"Peephole: the gate also sees {state} directly, one weight p_{L}[j] per unit."
            + (" The output gate peeks at the new Cₜ, so it comes after the cell state." if name == "output" else "")
        )
    terms.append(f"b_{L}")
    numpy_terms.append(f"b_{L}")
    columns.append(f"{name}.bias")
    if name == "forget" and cell.forget_bias:
        B = number(cell.forget_bias)
        terms.append(B)
        numpy_terms.append(B)
        columns.append("forget.forget_bias")
        quantities["forget.forget_bias"] = Quantity(
            "forget.forget_bias",
            "B",
            "",
            f"the run-time forget bias B = {B}, added in every unit, not stored in b_f",
            "(H,)",
        )
        notes.append(
            f"Forget bias: B = {B} is added inside the sigmoid at run time (TensorFlow's forget_bias); "
            "it is not part of b_f, so a model ported from TensorFlow 1 needs it given again."
        )
    preact = _sum(terms)
    columns.append(f"{name}.preact")
    quantities[f"{name}.preact"] = replace(quantities[f"{name}.preact"], symbol=preact)
    inner, inner_numpy = preact, _sum(numpy_terms, minus="-")
    if cell.preact_clip is not None:
        V = number(cell.preact_clip)
        inner, inner_numpy = f"clip({preact}, ±{V})", f"np.clip({inner_numpy}, -{V}, {V})"
        columns.append(f"{name}.clipped")
        quantities[f"{name}.clipped"] = Quantity(
            f"{name}.clipped", f"clip(…, ±{V})", "", f"the pre-activation clipped to [-{V}, {V}] (ONNX's clip)", "(H,)"
        )
    columns.append(f"{name}.act")
    kind = "gate" if gate.activation == "sigmoid" else "signed"  # hard σ is in [0, 1] too
    quantities[f"{name}.act"] = replace(quantities[f"{name}.act"], formula=f"{act}(…)", kind=kind)
    return replace(
        stage,
        equation=f"{gate.symbol} = {act}({inner})",
        numpy=f"{gate.variable} = {act_numpy}({inner_numpy})",
        why=with_notes(stage.why, notes),
        columns=tuple(columns),
    )


def _coupled_input_stage(stage: Stage, quantities: dict[str, Quantity]) -> Stage:
    for part in ("wz", "bias", "preact"):
        quantities.pop(f"input.{part}")
    quantities["input.act"] = replace(
        quantities["input.act"],
        formula="1 − fₜ",
        meaning="the input gate, coupled: it writes what the forget gate lets go",
    )
    return replace(
        stage,
        equation="iₜ = 1 − fₜ",
        numpy="i = 1 - f",
        summary="Coupled to the forget gate: each unit writes exactly the share of memory it lets go.",
        why=(
            "With iₜ = 1 − fₜ the cell state becomes a weighted average of the old memory and the candidate, "
            "Cₜ = fₜ ⊙ Cₜ₋₁ + (1 − fₜ) ⊙ C̃ₜ, and one weight matrix (W_i, b_i) is gone: a quarter of the "
            "gate parameters. The GRU couples its update gate the same way."
        ),
        misconception=(
            "W_i and b_i may still sit in the weights file (ONNX keeps them), but this cell never reads them. "
            "ONNX Runtime's input_forget=1 couples the other way round (fₜ = 1 − iₜ, from W_i); both give "
            "the same cell when W_f = −W_i and b_f = −b_i, because 1 − σ(a) = σ(−a)."
        ),
        columns=("forget.act", "input.act"),
    )


def _cell_stage(stage: Stage, cell: CellOptions, quantities: dict[str, Quantity]) -> Stage:
    if cell.cell_clip is None:
        return stage
    V = number(cell.cell_clip)
    quantities["c_unclipped"] = Quantity("c_unclipped", "keep + write", "", "the cell state before clipping", "(H,)")
    quantities["c"] = replace(quantities["c"], formula=f"clip(…, ±{V})")
    return replace(
        stage,
        equation=f"Cₜ = clip(fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ, ±{V})",
        numpy=f"c = np.clip(f * c_prev + i * c_tilde, -{V}, {V})",
        why=with_notes(
            stage.why,
            [
                f"Cell clip: Cₜ itself is clipped to [-{V}, {V}] (TensorFlow's cell_clip), so memory cannot grow "
                "without bound over a long sequence; the clipped value is what the next step and tanh see."
            ],
        ),  # fmt: skip
        columns=(*stage.columns[:-1], "c_unclipped", "c"),
    )


def _concat_stage(stage: Stage, cell: CellOptions, quantities: dict[str, Quantity]) -> Stage:
    if cell.proj_size is None:
        return stage
    quantities["h_prev"] = replace(quantities["h_prev"], shape="(P,)", meaning="the previous (projected) hidden state")
    quantities["concat"] = replace(quantities["concat"], shape="(P+I,)")
    return replace(
        stage,
        why=with_notes(
            stage.why,
            [
                f"Projection: hₜ₋₁ has P = {cell.proj_size} entries, not H, so z has P+I entries and each W_g "
                "is H × (P+I)."
            ],
        ),  # fmt: skip
    )


def _hidden_stages(cell: CellOptions, quantities: dict[str, Quantity]) -> list[Stage]:
    plain = STAGE_BY_NAME["hidden"]
    act, act_numpy = ACTIVATION_SYMBOLS[cell.cell_activation], ACTIVATION_NUMPY[cell.cell_activation]
    quantities["c_tanh"] = replace(quantities["c_tanh"], symbol=f"{act}(Cₜ)")
    if cell.proj_size is None:
        quantities["h"] = replace(quantities["h"], formula=f"oₜ ⊙ {act}(Cₜ)")
        return [replace(plain, equation=f"hₜ = oₜ ⊙ {act}(Cₜ)", numpy=f"h = o * {act_numpy}(c)")]
    P = cell.proj_size
    quantities["h_unprojected"] = Quantity(
        "h_unprojected", "mₜ", f"oₜ ⊙ {act}(Cₜ)", "the hidden state before the projection: H entries", "(H,)"
    )
    quantities["h"] = replace(quantities["h"], formula="W_hr·mₜ", shape="(P,)")
    hidden = replace(
        plain,
        title="Hidden state before the projection",
        equation=f"mₜ = oₜ ⊙ {act}(Cₜ)",
        numpy=f"m = o * {act_numpy}(c)",
        summary="The new memory, squashed and scaled by the output gate: H entries, before the projection.",
        columns=("output.act", "c", "c_tanh", "h_unprojected"),
    )
    projection = Stage(
        name="projection",
        title="Projection",
        equation="hₜ = W_hr·mₜ",
        numpy="h = W_hr @ m",
        summary=f"A matrix product maps the H entries of mₜ to the P = {P} entries of hₜ.",
        why=(
            "An LSTM with a projection (Sak, Senior & Beaufays 2014; PyTorch's proj_size) keeps a large cell "
            "state Cₜ but passes on a smaller hₜ: the recurrent weights shrink from H × H to H × P per gate, "
            "and so does every next layer's input."
        ),
        misconception=(
            "Only hₜ is projected; Cₜ keeps its H entries. So hₜ₋₁ (P entries) and Cₜ₋₁ (H entries) have "
            "different lengths, and the output gate still has H units."
        ),
        columns=("h",),
    )
    return [hidden, projection]


def _sum(terms: list[str], minus: str = "−") -> str:
    """'a + b + -1' written as 'a + b − 1'."""
    text = terms[0]
    for term in terms[1:]:
        text += f" {minus} {term[1:]}" if term.startswith("-") else f" + {term}"
    return text


def number(value: float) -> str:
    return f"{value:g}"


def with_notes(text: str, notes: list[str]) -> str:
    return " ".join([text, *notes]) if notes else text
