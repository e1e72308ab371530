"""The GRU's backward stages and gradients (PyTorch's convention, or Cho et al.'s with reset_before).

In the reverse order of its forward stages: hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁, the new state nₜ (where the
reset gate met the hidden side), the reset and update gates, the weights, and [hₜ₋₁ ; xₜ].
"""

from __future__ import annotations

from ..cell_options import CellOptions
from .lstm_backward import SLOPES, clip_mask
from .lstm_options import ACTIVATION_SYMBOLS
from .types import BackwardLayout, BackwardStage, Quantity

_GATES = (("reset", "r", "rₜ"), ("update", "z", "zₜ"), ("new", "n", "nₜ"))
_D_ACT = {"reset": "from δ_n", "update": "∂L/∂hₜ ⊙ (hₜ₋₁ − nₜ)", "new": "∂L/∂hₜ ⊙ (1 − zₜ)"}
_BIAS = {"reset": "b_r", "update": "b_z", "new": "b_in"}


def gru_backward_layout(cell: CellOptions) -> BackwardLayout:
    stages = (
        _hidden_stage(),
        _new_stage(cell),
        _gate_stage("reset", "r", "rₜ", cell),
        _gate_stage("update", "z", "zₜ", cell),
        BackwardStage(
            "weights", "Gradients of the weights and biases",
            ("∂L/∂W_g = δ_g [hₜ₋₁ ; xₜ]ᵀ", "∂L/∂b_g = δ_g"),
            ("d_W_g = np.outer(delta_g, np.concatenate([h_prev, x]))", "d_b_g = delta_g"),
            "Each weight multiplied one input into one unit, so its gradient is δ times that input (W_hn's: "
            "the gradient of W_hn·hₜ₋₁ + b_hn times hₜ₋₁); each bias was added once, so its gradient is δ.",
            ("reset.d_b", "update.d_b", "new.d_b", "d_b_hn"),
        ),
        BackwardStage(
            "concat", "Back to hₜ₋₁ and xₜ",
            ("∂L/∂[hₜ₋₁ ; xₜ] = W_rᵀδ_r + W_zᵀδ_z + (the new state's share)", "∂L/∂hₜ₋₁ = zₜ ⊙ ∂L/∂hₜ + (that)[:H]",
             "∂L/∂xₜ = (that)[H:]"),
            ("d_z_all = d_z_r + d_z_z + d_z_n", "d_h_prev, d_x = d_h_direct + d_z_all[:H], d_z_all[H:]"),
            "hₜ₋₁ and xₜ fed every block, so their gradient is the sum of what each sends back, plus the "
            "direct path zₜ ⊙ ∂L/∂hₜ that skips every weight.",
            ("reset.d_z", "update.d_z", "new.d_z", "d_z"),
        ),
    )  # fmt: skip
    return BackwardLayout(stages, _quantities(cell))


def _quantities(cell: CellOptions) -> dict[str, Quantity]:
    quantities = [
        Quantity("d_h", "∂L/∂hₜ", "upstream", "the gradient arriving at hₜ: --dh (default ones, L = Σ hₜ), or from step t+1", "(H,)"),
        Quantity("d_h_direct", "zₜ ⊙ ∂L/∂hₜ", "", "the part of ∂L/∂hₜ₋₁ that skips every weight", "(H,)"),
    ]  # fmt: skip
    for name, L, symbol in _GATES:
        activation = cell.cell_activation if name == "new" else cell.gate_activation
        act = ACTIVATION_SYMBOLS[activation]
        formula, meaning, _ = SLOPES[activation]
        quantities += [
            Quantity(f"{name}.d_act", f"∂L/∂{symbol}", _D_ACT[name], f"the gradient reaching {symbol}", "(H,)"),
            Quantity(f"{name}.local", f"{act}′(…)", formula.format(s=symbol), meaning, "(H,)"),
            Quantity(f"{name}.d_preact", f"δ_{L}", f"∂L/∂{symbol} ⊙ {act}′", f"the gradient through {act}", "(H,)"),
            Quantity(f"{name}.d_W", f"∂L/∂W_{L}", f"δ_{L} [hₜ₋₁ ; xₜ]ᵀ", f"the gradient of W_{L}", "(H, H+I)"),
            Quantity(f"{name}.d_b", f"∂L/∂{_BIAS[name]}", f"δ_{L}", f"the gradient of {_BIAS[name]}", "(H,)"),
            Quantity(f"{name}.d_z", f"W_{L}ᵀδ_{L}" if name != "new" else "from nₜ", "",
                     f"the part of ∂L/∂[hₜ₋₁ ; xₜ] sent back through {symbol}", "(H+I,)"),
        ]  # fmt: skip
    quantities += [
        Quantity("d_b_hn", "∂L/∂b_hn", "", "the gradient of the new state's hidden-side bias", "(H,)"),
        Quantity("d_z", "∂L/∂[hₜ₋₁ ; xₜ]", "Σ W_gᵀδ_g", "what the blocks send back through their weights", "(H+I,)"),
        Quantity("d_h_prev", "∂L/∂hₜ₋₁", "", "the gradient passed to the previous step's hidden state", "(H,)"),
        Quantity("d_x", "∂L/∂xₜ", "", "the gradient of this step's input", "(I,)"),
    ]  # fmt: skip
    return {q.name: q for q in quantities}


def _hidden_stage() -> BackwardStage:
    return BackwardStage(
        "hidden", "Back through hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁",
        ("∂L/∂nₜ = ∂L/∂hₜ ⊙ (1 − zₜ)", "∂L/∂zₜ = ∂L/∂hₜ ⊙ (hₜ₋₁ − nₜ)", "∂L/∂hₜ₋₁ gets zₜ ⊙ ∂L/∂hₜ directly"),
        ("d_n = d_h * (1 - z)", "d_z = d_h * (h_prev - n)", "d_h_direct = d_h * z"),
        "The update gate splits the gradient: 1 − zₜ of it goes to the new state, zₜ straight back to hₜ₋₁.",
        ("d_h", "update.act", "new.d_act", "update.d_act", "d_h_direct"),
    )  # fmt: skip


def _new_stage(cell: CellOptions) -> BackwardStage:
    g = ACTIVATION_SYMBOLS[cell.cell_activation]
    mask, mask_numpy = clip_mask(cell, "n")
    local = SLOPES[cell.cell_activation][2].format(v="n", L="n")
    local = f"({local})" if mask_numpy and " " in local else local
    if cell.gru_reset_before:
        reset = ("∂L/∂(rₜ ⊙ hₜ₋₁) = W_hnᵀ δ_n,  ∂L/∂rₜ = that ⊙ hₜ₋₁", "∂L/∂b_hn = δ_n")
        numpy = ("d_reset_h = W_hn.T @ delta_n", "d_r = d_reset_h * h_prev", "d_b_hn = delta_n")
    else:
        reset = ("∂L/∂rₜ = δ_n ⊙ (W_hn·hₜ₋₁ + b_hn)", "∂L/∂(W_hn·hₜ₋₁ + b_hn) = δ_n ⊙ rₜ = ∂L/∂b_hn")
        numpy = ("d_r = delta_n * (W_hn @ h_prev + b_hn)", "d_b_hn = delta_n * r")
    return BackwardStage(
        "new", "Back through the new state",
        (f"δ_n = ∂L/∂nₜ ⊙ {g}′(a_n){mask}", *reset),
        (f"n_local = {local}{mask_numpy}", "delta_n = d_n * n_local", *numpy),
        "The reset gate met the hidden side inside nₜ's pre-activation, so its gradient comes from δ_n.",
        ("new.d_act", "new.act", "new.local", "new.d_preact", "reset.d_act", "d_b_hn"),
    )  # fmt: skip


def _gate_stage(name: str, L: str, symbol: str, cell: CellOptions) -> BackwardStage:
    act = ACTIVATION_SYMBOLS[cell.gate_activation]
    formula, _, local = SLOPES[cell.gate_activation]
    mask, mask_numpy = clip_mask(cell, L)
    return BackwardStage(
        name, f"Back through the {name} gate",
        (f"{act}′(…) = {formula.format(s=symbol)}", f"δ_{L} = ∂L/∂{symbol} ⊙ {act}′(…){mask}"),
        (f"{L}_local = " + (f"({local.format(v=L, L=L)})" if mask_numpy else local.format(v=L, L=L)) + mask_numpy,
         f"delta_{L} = d_{L} * {L}_local"),
        f"The chain rule through {act}: the gradient of {symbol} times {act}'s slope gives δ_{L}.",
        tuple(f"{name}.{part}" for part in ("d_act", "act", "local", "d_preact")),
    )  # fmt: skip

