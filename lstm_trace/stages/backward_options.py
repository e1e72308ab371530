"""The backward stages of the variant cells: titles, equations and table columns, in one place.

The variant counterpart of `stages.BACKWARD_STAGES`, built from a `CellOptions` so that
each option's line appears only when the option is on. The grad tables, the JSON
"variant_backward" block and the README read these names; `variants/backward.py` and
`variants/backward_gru.py` compute them, one line per equation.

A column is (source, name, symbol): source "grad" reads `VariantBackward[name]`,
"step" reads the forward step's value of that name.
"""

from __future__ import annotations

from typing import NamedTuple

from ..cells.options import CellOptions


class Column(NamedTuple):
    source: str  # "grad" or "step"
    name: str
    symbol: str


class VariantGradStage(NamedTuple):
    name: str
    title: str
    equations: tuple[str, ...]
    summary: str
    columns: tuple[Column, ...]


def _g(name: str, symbol: str) -> Column:
    return Column("grad", name, symbol)


def _s(name: str, symbol: str) -> Column:
    return Column("step", name, symbol)


def variant_grad_stages(cell: CellOptions) -> tuple[VariantGradStage, ...]:
    return _gru_stages(cell) if cell.variant == "gru" else _lstm_stages(cell)


def _clip(cell: CellOptions) -> str:
    return " ⊙ [−V ≤ a ≤ V]" if cell.preact_clip is not None else ""


def _lstm_stages(cell: CellOptions) -> tuple[VariantGradStage, ...]:
    g = {"tanh": "tanh", "relu": "relu", "softsign": "softsign"}[cell.cell_activation]
    s = "σ" if cell.gate_activation == "sigmoid" else "hardσ"
    peephole, cifg, clip = cell.variant == "peephole", cell.variant == "cifg", _clip(cell)
    stages = []
    hidden_equations = []
    hidden_columns = [_g("d_h", "∂L/∂hₜ")]
    if cell.proj_size is not None:
        hidden_equations.append("∂L/∂mₜ = W_hrᵀ ∂L/∂hₜ,  ∂L/∂W_hr = ∂L/∂hₜ mₜᵀ   (mₜ = oₜ ⊙ g(Cₜ), before the projection)")
        hidden_columns.append(_g("d_h_unprojected", "∂L/∂mₜ"))
    m = "∂L/∂mₜ" if cell.proj_size is not None else "∂L/∂hₜ"
    hidden_equations += [f"∂L/∂oₜ = {m} ⊙ {g}(Cₜ)", f"∂L/∂Cₜ = ∂L/∂Cₜ(from t+1) + {m} ⊙ oₜ ⊙ {g}′(Cₜ)"
                         + (" + p_o ⊙ δ_o" if peephole else "")]  # fmt: skip
    hidden_equations.append(f"δ_o = ∂L/∂oₜ ⊙ {s}′(…){clip}")
    hidden_columns += [_g("output.d_act", "∂L/∂oₜ"), _g("output.d_preact", "δ_o"), _g("d_c_carried", "∂L/∂Cₜ from t+1"),
                       _g("d_c", "∂L/∂Cₜ")]  # fmt: skip
    stages.append(VariantGradStage(
        "hidden", "Back through the hidden state and the output gate", tuple(hidden_equations),
        "hₜ sends the gradient to the output gate and, through the cell activation, to Cₜ"
        + (", which also gets the output peephole's share." if peephole else "."),
        tuple(hidden_columns),
    ))  # fmt: skip
    cell_equations, cell_columns = [], [_g("d_c", "∂L/∂Cₜ")]
    u = "∂L/∂Cₜ"
    if cell.cell_clip is not None:
        cell_equations.append("∂L/∂(keep + write) = ∂L/∂Cₜ ⊙ [−V ≤ keep + write ≤ V]   (nothing passes where the clip held Cₜ)")
        cell_columns.append(_g("d_c_unclipped", "∂L/∂(keep+write)"))
        u = "∂L/∂(keep+write)"
    cell_equations += [f"∂L/∂fₜ = {u} ⊙ Cₜ₋₁", f"∂L/∂iₜ = {u} ⊙ C̃ₜ", f"∂L/∂C̃ₜ = {u} ⊙ iₜ"]
    if cifg:
        cell_equations.append("iₜ = 1 − fₜ, so ∂L/∂fₜ −= ∂L/∂iₜ")
    cell_columns += [_g("forget.d_act", "∂L/∂fₜ"), _g("input.d_act", "∂L/∂iₜ"), _g("candidate.d_act", "∂L/∂C̃ₜ")]
    stages.append(VariantGradStage(
        "cell", "Back through the cell state", tuple(cell_equations),
        "Each factor of a product gets the gradient times the other factor"
        + ("; cifg's coupled gates hand fₜ minus the input gate's share." if cifg else "."),
        tuple(cell_columns),
    ))  # fmt: skip
    gate_columns = [_g("forget.local", f"{s}′ f"), _g("forget.d_preact", "δ_f")]
    if not cifg:
        gate_columns += [_g("input.local", f"{s}′ i"), _g("input.d_preact", "δ_i")]
    gate_columns += [_g("candidate.local", f"{g}′ C̃"), _g("candidate.d_preact", "δ_c")]
    forget_bias = "  (the forget bias only shifts a_f: same slope formula)" if cell.forget_bias else ""
    stages.append(VariantGradStage(
        "gates", "Back through the gates' activations",
        (f"δ_g = ∂L/∂g ⊙ act′(a_g){clip}" + forget_bias,),
        "The chain rule through each squashing function; a clipped pre-activation passes no gradient.",
        tuple(gate_columns),
    ))  # fmt: skip
    if peephole:
        stages.append(VariantGradStage(
            "peephole", "The peepholes",
            ("∂L/∂p_f = δ_f ⊙ Cₜ₋₁,  ∂L/∂p_i = δ_i ⊙ Cₜ₋₁,  ∂L/∂p_o = δ_o ⊙ Cₜ",
             "∂L/∂Cₜ₋₁ += p_f ⊙ δ_f + p_i ⊙ δ_i"),
            "A peephole is one weight per unit, so its gradient is δ times the cell state it looked at.",
            (_g("peephole.forget", "∂L/∂p_f"), _g("peephole.input", "∂L/∂p_i"), _g("peephole.output", "∂L/∂p_o")),
        ))  # fmt: skip
    carousel = "∂L/∂Cₜ₋₁ = " + ("∂L/∂(keep+write)" if cell.cell_clip is not None else "∂L/∂Cₜ") + " ⊙ fₜ"
    stages.append(VariantGradStage(
        "carousel", "The constant error carousel",
        (carousel + (" + p_f ⊙ δ_f + p_i ⊙ δ_i" if peephole else ""),),
        "The gradient reaches the previous cell state through fₜ, element by element.",
        (_s("forget.act", "fₜ"), _g("d_c_prev", "∂L/∂Cₜ₋₁")),
    ))  # fmt: skip
    stages.append(_weights_stage(("forget", "input", "candidate", "output") if not cifg else ("forget", "candidate", "output")))
    return tuple(stages)


def _gru_stages(cell: CellOptions) -> tuple[VariantGradStage, ...]:
    s = "σ" if cell.gate_activation == "sigmoid" else "hardσ"
    g = cell.cell_activation
    clip = _clip(cell)
    if cell.gru_reset_before:
        reset = ("∂L/∂(rₜ ⊙ hₜ₋₁) = W_hnᵀ δ_n,  ∂L/∂rₜ = that ⊙ hₜ₋₁", "∂L/∂b_hn = δ_n")
    else:
        reset = ("∂L/∂rₜ = δ_n ⊙ (W_hn·hₜ₋₁ + b_hn)", "∂L/∂(W_hn·hₜ₋₁ + b_hn) = δ_n ⊙ rₜ = ∂L/∂b_hn")
    return (
        VariantGradStage(
            "hidden", "Back through hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁",
            ("∂L/∂nₜ = ∂L/∂hₜ ⊙ (1 − zₜ)", "∂L/∂zₜ = ∂L/∂hₜ ⊙ (hₜ₋₁ − nₜ)", "∂L/∂hₜ₋₁ gets zₜ ⊙ ∂L/∂hₜ directly"),
            "The update gate splits the gradient: 1 − zₜ of it goes to the new state, zₜ straight back to hₜ₋₁.",
            (_g("d_h", "∂L/∂hₜ"), _s("update.act", "zₜ"), _g("new.d_act", "∂L/∂nₜ"), _g("update.d_act", "∂L/∂zₜ"),
             _g("d_h_direct", "zₜ ⊙ ∂L/∂hₜ")),
        ),
        VariantGradStage(
            "new", "Back through the new state",
            (f"δ_n = ∂L/∂nₜ ⊙ {g}′(a_n){clip}", *reset),
            "The reset gate met the hidden side inside nₜ's pre-activation, so its gradient comes from δ_n.",
            (_g("new.local", f"{g}′ n"), _g("new.d_preact", "δ_n"), _g("reset.d_act", "∂L/∂rₜ"), _g("d_b_hn", "∂L/∂b_hn")),
        ),
        VariantGradStage(
            "gates", "Back through the reset and update gates",
            (f"δ_r = ∂L/∂rₜ ⊙ {s}′(a_r){clip}", f"δ_z = ∂L/∂zₜ ⊙ {s}′(a_z){clip}"),
            "The chain rule through each sigmoid.",
            (_g("reset.local", f"{s}′ r"), _g("reset.d_preact", "δ_r"), _g("update.local", f"{s}′ z"),
             _g("update.d_preact", "δ_z")),
        ),
        _weights_stage(("reset", "update", "new")),
    )  # fmt: skip


BIAS_LETTERS = {"forget": "f", "input": "i", "candidate": "c", "output": "o", "reset": "r", "update": "z", "new": "in"}


def _weights_stage(gates: tuple[str, ...]) -> VariantGradStage:
    return VariantGradStage(
        "weights", "Gradients of the biases (and, in the JSON, of the weights)",
        ("∂L/∂W_g = δ_g zᵀ", "∂L/∂b_g = δ_g"),
        "Each bias was added once, so its gradient is δ_g; ∂L/∂W_g is δ_g times the input the block saw.",
        tuple(_g(f"{gate}.d_b", f"∂L/∂b_{BIAS_LETTERS[gate]}") for gate in gates),
    )
