"""The LSTM's backward stages and gradients for any configuration, in the reverse order of the forward stages.

`lstm_backward_layout(LSTM())` is the plain cell's: one stage per gate, each with its equations and the
NumPy lines that compute it. Each option writes its line into the stage it belongs to, as the forward
registry does (`lstm_options.py`): the projection (∂L/∂mₜ = W_hrᵀ ∂L/∂hₜ), the output peephole, the cell
clip, cifg's coupled input gate, the clips of the pre-activations, the peepholes, other activations.
"""

from __future__ import annotations

from ..cell_options import CellOptions
from .lstm import GATES
from .lstm_options import ACTIVATION_SYMBOLS, number
from .types import BackwardLayout, BackwardStage, Gate, Quantity

_D_ACT_FORMULA = {
    "forget": "∂L/∂Cₜ ⊙ Cₜ₋₁",
    "input": "∂L/∂Cₜ ⊙ C̃ₜ",
    "candidate": "∂L/∂Cₜ ⊙ iₜ",
    "output": "∂L/∂hₜ ⊙ tanh(Cₜ)",
}
# slope of each activation: (its formula from the value y named `s`, its meaning, its NumPy line from `v`)
SLOPES = {
    "sigmoid": ("{s}(1 − {s})", "σ′ = s(1 − s): the sigmoid's slope at this pre-activation", "{v} * (1 - {v})"),
    "tanh": ("1 − {s}²", "tanh′ = 1 − t²: the tanh's slope at this pre-activation", "1 - {v}**2"),
    "hard_sigmoid": ("0.2 or 0", "hardσ′: 0.2 on its straight part (|a| ≤ 2.5), 0 where it is flat",
                     "hard_sigmoid_slope(a_{L})"),
    "relu": ("1 or 0", "relu′: 1 where the pre-activation is positive, else 0", "relu_slope(a_{L})"),
    "softsign": ("1/(1 + |a|)²", "softsign′ = 1/(1 + |a|)²", "softsign_slope(a_{L})"),
}  # fmt: skip


def lstm_backward_layout(cell: CellOptions) -> BackwardLayout:
    gates = tuple(_gate(gate, cell) for gate in GATES)
    by_name = {gate.name: gate for gate in gates}
    weighted = tuple(gate for gate in gates if not (cell.variant == "cifg" and gate.name == "input"))
    stages = (
        _hidden_stage(cell),
        _gate_stage(by_name["output"], cell),
        _cell_stage(cell),
        _gate_stage(by_name["candidate"], cell),
        _coupled_input_stage() if cell.variant == "cifg" else _gate_stage(by_name["input"], cell),
        _gate_stage(by_name["forget"], cell),
        *((_peephole_stage(),) if cell.variant == "peephole" else ()),
        _weights_stage(weighted, cell),
        _concat_stage(weighted, cell),
        _carousel_stage(cell),
    )
    return BackwardLayout(stages, _quantities(gates, weighted, cell))


def _gate(gate: Gate, cell: CellOptions) -> Gate:
    """The gate with the activation this configuration gives it (σ's place: gate_activation; tanh's: cell_activation)."""
    activation = cell.gate_activation if gate.activation == "sigmoid" else cell.cell_activation
    return Gate(gate.name, gate.letter, gate.symbol, activation, gate.title, gate.variable, gate.role)


def _act(gate: Gate) -> str:
    return ACTIVATION_SYMBOLS[gate.activation]


def clip_mask(cell: CellOptions, of: str) -> tuple[str, str]:
    """The clip's mask in an equation and in NumPy: nothing passes where clip(…, ±V) held the pre-activation."""
    if cell.preact_clip is None:
        return "", ""
    V = number(cell.preact_clip)
    return f" ⊙ [−{V} ≤ a_{of} ≤ {V}]", f" * (np.abs(a_{of}) <= {V})"


def _quantities(gates: tuple[Gate, ...], weighted: tuple[Gate, ...], cell: CellOptions) -> dict[str, Quantity]:
    g = ACTIVATION_SYMBOLS[cell.cell_activation]
    P = "P" if cell.proj_size is not None else "H"
    slope = SLOPES[cell.cell_activation][0].format(s=f"{g}(Cₜ)").replace(f"{g}(Cₜ)²", f"{g}²(Cₜ)")
    quantities = [
        Quantity("d_h", "∂L/∂hₜ", "upstream", "the gradient arriving at hₜ: --dh (default ones, L = Σ hₜ), or from step t+1", f"({P},)"),
        *((Quantity("d_h_unprojected", "∂L/∂mₜ", "W_hrᵀ ∂L/∂hₜ", "the gradient of mₜ = oₜ ⊙ g(Cₜ), before the projection", "(H,)"),)
          if cell.proj_size is not None else ()),
        Quantity("d_c_carried", "∂L/∂Cₜ", "from t+1", "the gradient arriving at Cₜ from step t+1: --dc (default zeros)", "(H,)"),
        Quantity("c_tanh_local", f"{g}′(Cₜ)", slope, f"{SLOPES[cell.cell_activation][1].split(':')[0]}: the slope of {g} at Cₜ", "(H,)"),
        Quantity("d_c", "∂L/∂Cₜ", "in total", "the whole gradient of Cₜ: carried from t+1 plus the path through hₜ", "(H,)"),
        *((Quantity("d_c_unclipped", "∂L/∂(keep+write)", f"∂L/∂Cₜ ⊙ [−{number(cell.cell_clip)} ≤ ⋯ ≤ {number(cell.cell_clip)}]",
                    "the gradient of keep + write: zero where the cell clip held Cₜ", "(H,)"),)
          if cell.cell_clip is not None else ()),
        *(q for gate in gates for q in _gate_quantities(gate, gate in weighted, P, g)),
        *(Quantity(f"peephole.{name}", f"∂L/∂p_{L}", f"δ_{L} ⊙ {state}", f"the gradient of the peephole p_{L}", "(H,)")
          for name, L, state in (("forget", "f", "Cₜ₋₁"), ("input", "i", "Cₜ₋₁"), ("output", "o", "Cₜ"))
          if cell.variant == "peephole"),
        *((Quantity("d_projection", "∂L/∂W_hr", "∂L/∂hₜ mₜᵀ", "the gradient of the projection W_hr", "(P, H)"),)
          if cell.proj_size is not None else ()),
        Quantity("d_z", "∂L/∂z", "Σ_g W_gᵀδ_g", "the gradient of z = [hₜ₋₁ ; xₜ]: what every gate sends back", f"({P}+I,)"),
        Quantity("d_h_prev", "∂L/∂hₜ₋₁", f"(∂L/∂z)[:{P}]", "the gradient passed to the previous step's hidden state", f"({P},)"),
        Quantity("d_x", "∂L/∂xₜ", f"(∂L/∂z)[{P}:]", "the gradient of this step's input", "(I,)"),
        Quantity("d_c_prev", "∂L/∂Cₜ₋₁", "∂L/∂Cₜ ⊙ fₜ" + (" + ⋯" if cell.variant == "peephole" else ""),
                 "the gradient passed to the previous cell state: the constant error carousel", "(H,)"),
    ]  # fmt: skip
    return {q.name: q for q in quantities}


def _gate_quantities(gate: Gate, weighted: bool, P: str, g: str) -> tuple[Quantity, ...]:
    L, act, s = gate.letter, _act(gate), gate.symbol
    d_act_formula = _D_ACT_FORMULA[gate.name].replace("tanh", g)
    d_act = Quantity(f"{gate.name}.d_act", f"∂L/∂{s}", d_act_formula, f"the gradient reaching the {gate.title.lower()}", "(H,)")
    if not weighted:
        return (d_act,)
    formula, meaning, _ = SLOPES[gate.activation]
    return (
        d_act,
        Quantity(f"{gate.name}.local", f"{act}′(…)", formula.format(s=s), meaning, "(H,)"),
        Quantity(f"{gate.name}.d_preact", f"δ_{L}", f"∂L/∂{s} ⊙ {act}′", f"∂L/∂(W_{L}·z + b_{L}): the gradient through {act}", "(H,)"),
        Quantity(f"{gate.name}.d_W", f"∂L/∂W_{L}", f"δ_{L} zᵀ", f"the gradient of W_{L}: row j is δ_{L}[j] times z", f"(H, {P}+I)"),
        Quantity(f"{gate.name}.d_b", f"∂L/∂b_{L}", f"δ_{L}", f"the gradient of b_{L}: δ_{L} itself", "(H,)"),
        Quantity(f"{gate.name}.d_z", f"W_{L}ᵀδ_{L}", "", f"the part of ∂L/∂z sent back through the {gate.title.lower()}", f"({P}+I,)"),
    )  # fmt: skip


def _hidden_stage(cell: CellOptions) -> BackwardStage:
    g = ACTIVATION_SYMBOLS[cell.cell_activation]
    projected = cell.proj_size is not None
    m = "∂L/∂mₜ" if projected else "∂L/∂hₜ"
    d_m = "d_m" if projected else "d_h"
    slope = SLOPES[cell.cell_activation][0].format(s=f"{g}(Cₜ)").replace(f"{g}(Cₜ)²", f"{g}²(Cₜ)")
    slope_numpy = SLOPES[cell.cell_activation][2].format(v="c_tanh", L="c_state").replace("a_c_state", "c")
    equations = [f"∂L/∂oₜ = {m} ⊙ {g}(Cₜ)", f"{g}′(Cₜ) = {slope}", f"∂L/∂Cₜ = ∂L/∂Cₜ(from t+1) + {m} ⊙ oₜ ⊙ {g}′(Cₜ)"]
    numpy = [f"d_o = {d_m} * c_tanh", f"c_tanh_local = {slope_numpy}", f"d_c = d_c_carried + {d_m} * o * c_tanh_local"]
    columns = ["d_h", "c_tanh", "output.d_act", "output.act", "c_tanh_local", "d_c_carried", "d_c"]
    summary = (f"hₜ = oₜ ⊙ {g}(Cₜ) sends the gradient two ways: to the output gate, and through {g} to Cₜ, "
               "where it joins what step t+1 sent back.")  # fmt: skip
    if projected:
        equations.insert(0, "∂L/∂mₜ = W_hrᵀ ∂L/∂hₜ   (hₜ = W_hr·mₜ)")
        numpy.insert(0, "d_m = W_hr.T @ d_h")
        columns.insert(1, "h_unprojected")
        columns.insert(2, "d_h_unprojected")
        summary = "The projection hands ∂L/∂mₜ = W_hrᵀ ∂L/∂hₜ back to mₜ = oₜ ⊙ g(Cₜ); " + summary[0].lower() + summary[1:]
    if cell.variant == "peephole":
        equations[-1] += " + p_o ⊙ δ_o"
    return BackwardStage("hidden", "Back through the hidden state", tuple(equations), tuple(numpy), summary, tuple(columns))


def _gate_stage(gate: Gate, cell: CellOptions) -> BackwardStage:
    L, act, v, s = gate.letter, _act(gate), gate.variable, gate.symbol
    formula, _, local = SLOPES[gate.activation]
    mask, mask_numpy = clip_mask(cell, L)
    equations = [f"{act}′(…) = {formula.format(s=s)}", f"δ_{L} = ∂L/∂{s} ⊙ {act}′(…){mask}"]
    slope = local.format(v=v, L=L)
    slope = f"({slope})" if mask_numpy and " " in slope else slope  # the mask multiplies the whole slope
    numpy = [f"{v}_local = {slope}{mask_numpy}", f"delta_{L} = d_{v} * {v}_local"]
    summary = f"The chain rule through {act}: the gradient of {s} times {act}'s slope gives δ_{L}."
    if mask:
        summary += " Where the pre-activation clip held, nothing passes."
    if gate.name == "forget" and cell.forget_bias:
        summary += f" The forget bias B = {number(cell.forget_bias)} only shifts a_f: the slope is taken where it put it."
    if gate.name == "output" and cell.variant == "peephole":
        equations.append("∂L/∂Cₜ += p_o ⊙ δ_o   (the output peephole saw the new Cₜ)")
        numpy.append("d_c = d_c + p_o * delta_o")
    columns = tuple(f"{gate.name}.{part}" for part in ("d_act", "act", "local", "d_preact"))
    return BackwardStage(gate.name, f"Back through the {gate.title.lower()}", tuple(equations), tuple(numpy), summary, columns)


def _cell_stage(cell: CellOptions) -> BackwardStage:
    u, u_numpy, columns = "∂L/∂Cₜ", "d_c", ["d_c", "c_prev", "forget.d_act", "candidate.act", "input.d_act", "input.act",
                                          "candidate.d_act"]  # fmt: skip
    equations, numpy = [], []
    if cell.cell_clip is not None:
        V = number(cell.cell_clip)
        equations.append(f"∂L/∂(keep + write) = ∂L/∂Cₜ ⊙ [−{V} ≤ keep + write ≤ {V}]")
        numpy.append(f"d_u = d_c * (np.abs(keep + write) <= {V})")
        u, u_numpy = "∂L/∂(keep + write)", "d_u"
        columns.insert(1, "d_c_unclipped")
    f_line = f"∂L/∂fₜ = {u} ⊙ Cₜ₋₁" + (" − ∂L/∂iₜ   (iₜ = 1 − fₜ)" if cell.variant == "cifg" else "")
    equations += [f_line, f"∂L/∂iₜ = {u} ⊙ C̃ₜ", f"∂L/∂C̃ₜ = {u} ⊙ iₜ"]
    numpy += [f"d_f = {u_numpy} * c_prev", f"d_i = {u_numpy} * c_tilde", f"d_c_tilde = {u_numpy} * i"]
    summary = "Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ: each factor of a product gets the gradient times the other factor."
    if cell.cell_clip is not None:
        summary += " Nothing passes where the cell clip held Cₜ."
    return BackwardStage("cell", "Back through the cell state", tuple(equations), tuple(numpy), summary, tuple(columns))


def _coupled_input_stage() -> BackwardStage:
    return BackwardStage(
        "input", "Back through the coupled input gate", ("iₜ = 1 − fₜ, so ∂L/∂fₜ −= ∂L/∂iₜ",), ("d_f = d_f - d_i",),
        "cifg's input gate has no weights of its own: its gradient goes to the forget gate, with the sign flipped.",
        ("input.d_act", "input.act"),
    )  # fmt: skip


def _peephole_stage() -> BackwardStage:
    return BackwardStage(
        "peephole", "The peepholes",
        ("∂L/∂p_f = δ_f ⊙ Cₜ₋₁", "∂L/∂p_i = δ_i ⊙ Cₜ₋₁", "∂L/∂p_o = δ_o ⊙ Cₜ"),
        ("d_p_f = delta_f * c_prev", "d_p_i = delta_i * c_prev", "d_p_o = delta_o * c"),
        "A peephole is one weight per unit, so its gradient is δ times the cell state it looked at.",
        ("peephole.forget", "peephole.input", "peephole.output"),
    )  # fmt: skip


def _weights_stage(weighted: tuple[Gate, ...], cell: CellOptions) -> BackwardStage:
    equations, numpy = ["∂L/∂W_g = δ_g zᵀ", "∂L/∂b_g = δ_g"], ["d_W_g = np.outer(delta_g, z)", "d_b_g = delta_g"]
    if cell.proj_size is not None:
        equations.append("∂L/∂W_hr = ∂L/∂hₜ mₜᵀ")
        numpy.append("d_W_hr = np.outer(d_h, m)")
    return BackwardStage(
        "weights", "Gradients of the weights and biases", tuple(equations), tuple(numpy),
        "Every weight W_g[j, k] multiplied z[k] into unit j, so its gradient is δ_g[j]·z[k]; "
        "the bias was added once, so its gradient is δ_g.",
        tuple(f"{gate.name}.d_b" for gate in weighted),
    )  # fmt: skip


def _concat_stage(weighted: tuple[Gate, ...], cell: CellOptions) -> BackwardStage:
    P = "P" if cell.proj_size is not None else "H"
    total = " + ".join(f"W_{gate.letter}ᵀδ_{gate.letter}" for gate in weighted)
    every = "all four gates" if len(weighted) == 4 else "every gate that has weights"
    return BackwardStage(
        "concat", "Back to hₜ₋₁ and xₜ",
        (f"∂L/∂z = {total}", f"∂L/∂hₜ₋₁ = (∂L/∂z)[:{P}]", f"∂L/∂xₜ = (∂L/∂z)[{P}:]"),
        ("d_z = " + " + ".join(f"d_z_{gate.letter}" for gate in weighted), f"d_h_prev, d_x = d_z[:{P}], d_z[{P}:]"),
        f"z fed {every}, so its gradient is the sum of what each gate sends back; "
        "z was a concatenation, so the gradient is split, not shared.",
        (*(f"{gate.name}.d_z" for gate in weighted), "d_z"),
    )  # fmt: skip


def _carousel_stage(cell: CellOptions) -> BackwardStage:
    clipped = cell.cell_clip is not None
    u, u_numpy = ("∂L/∂(keep + write)", "d_u") if clipped else ("∂L/∂Cₜ", "d_c")
    equation, numpy = f"∂L/∂Cₜ₋₁ = {u} ⊙ fₜ", f"d_c_prev = {u_numpy} * f"
    summary = ("The gradient reaches the previous cell state through one element-wise product with fₜ: "
               "no weight matrix, no squashing slope. With fₜ ≈ 1 it passes almost unchanged.")  # fmt: skip
    if cell.variant == "peephole":
        equation += " + p_f ⊙ δ_f + p_i ⊙ δ_i"
        numpy += " + p_f * delta_f + p_i * delta_i"
        summary += " The peepholes of f and i add what they send back to Cₜ₋₁."
    columns = ("d_c_unclipped" if clipped else "d_c", "forget.act", "d_c_prev")
    return BackwardStage("carousel", "The constant error carousel", (equation,), (numpy,), summary, columns)
