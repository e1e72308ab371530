"""The GRU's registry: its gates, quantities and stages (PyTorch's r, z, n convention).

A GRU step is written in PyTorch's split form, W_i·xₜ + W_h·hₜ₋₁, because the
new state n needs the two sides apart; W_r = [W_hr | W_ir] is still stored like
an LSTM gate's W_g. The JSON step of a trace with `"variant": "gru"` has the
fields named here: x, h_prev, reset, update, new, keep, write, h (and reset_h).
"""

from __future__ import annotations

from ..cell_options import CellOptions
from .lstm import QUANTITIES, SOFT_GATE
from .lstm_options import ACTIVATION_NUMPY, ACTIVATION_SYMBOLS, number, options_suffix
from .types import Layout, Quantity, Stage

GATE_NAMES = ("reset", "update", "new")
_LETTER = {"reset": "r", "update": "z", "new": "n"}
_TITLE = {"reset": "reset gate", "update": "update gate", "new": "new state"}


def gru_layout(cell: CellOptions) -> Layout:
    sigma, tanh = ACTIVATION_SYMBOLS[cell.gate_activation], ACTIVATION_SYMBOLS[cell.cell_activation]
    quantities = {name: QUANTITIES[name] for name in ("x", "h_prev")}
    stages = [_sigmoid_gate(name, sigma, cell, quantities) for name in ("reset", "update")]
    stages.append(_new_stage(tanh, cell, quantities))
    stages.append(_hidden_stage(quantities))
    return Layout("gru", "GRU" + options_suffix(cell), tuple(stages), quantities, GATE_NAMES)


def _clip(inner: str, numpy: str, name: str, cell: CellOptions, quantities: dict, columns: list) -> tuple[str, str]:
    """Wrap a pre-activation in clip(…) when --preact-clip is set, and add its column."""
    if cell.preact_clip is None:
        return inner, numpy
    V = number(cell.preact_clip)
    quantities[f"{name}.clipped"] = Quantity(
        f"{name}.clipped", f"clip(…, ±{V})", "", f"the pre-activation clipped to [-{V}, {V}] (ONNX's clip)", "(H,)"
    )
    columns.append(f"{name}.clipped")
    return f"clip({inner}, ±{V})", f"np.clip({numpy}, -{V}, {V})"


def _sigmoid_gate(name: str, sigma: str, cell: CellOptions, quantities: dict) -> Stage:
    L = _LETTER[name]
    preact = f"W_i{L}·xₜ + W_h{L}·hₜ₋₁ + b_{L}"
    for part, symbol, meaning in (
        ("wx", f"W_i{L}·xₜ", f"the input side: W_i{L} (H × I) times xₜ"),
        ("wh", f"W_h{L}·hₜ₋₁", f"the hidden side: W_h{L} (H × H) times hₜ₋₁"),
        ("bias", f"b_{L}", f"the bias of the {_TITLE[name]} (PyTorch's b_i{L} + b_h{L})"),
        ("preact", preact, "the pre-activation: what goes into the activation"),
    ):
        quantities[f"{name}.{part}"] = Quantity(f"{name}.{part}", symbol, "", meaning, "(H,)")
    columns = [f"{name}.{part}" for part in ("wx", "wh", "bias", "preact")]
    inner, numpy = _clip(preact, f"W_i{L} @ x + W_h{L} @ h_prev + b_{L}", name, cell, quantities, columns)
    quantities[f"{name}.act"] = Quantity(f"{name}.act", f"{L}ₜ", f"{sigma}(…)", f"the {_TITLE[name]}", "(H,)", "gate")
    columns.append(f"{name}.act")
    function = ACTIVATION_NUMPY[cell.gate_activation]
    if name == "reset":
        return Stage(
            name="reset", title="Reset gate", equation=f"rₜ = {sigma}({inner})", numpy=f"r = {function}({numpy})",
            summary="How much of the old state each unit of the new state nₜ may use, as a fraction in (0, 1).",
            why=(
                "With rₜ ≈ 0 a unit proposes its new state from xₜ alone, as if starting afresh: the GRU can "
                "drop history that no longer matters when it proposes nₜ."
            ),
            misconception=(
                "W_ir·xₜ + W_hr·hₜ₋₁ is W_r·[hₜ₋₁ ; xₜ] with W_r = [W_hr | W_ir]: the sum is written split only "
                "because the new state needs the two sides apart. " + SOFT_GATE
            ),
            columns=tuple(columns),
        )  # fmt: skip
    return Stage(
        name="update", title="Update gate", equation=f"zₜ = {sigma}({inner})", numpy=f"z = {function}({numpy})",
        summary="How much of each unit of the old state to keep; the rest is replaced by the new state nₜ.",
        why=(
            "One gate does the work of the LSTM's forget and input gates: zₜ keeps, 1 − zₜ writes, as in the "
            "coupled (cifg) LSTM."
        ),
        misconception=(
            "In PyTorch's convention (and Cho et al.'s) zₜ ≈ 1 keeps the old state: hₜ = (1 − zₜ) ⊙ nₜ + "
            "zₜ ⊙ hₜ₋₁. Some texts swap the roles, hₜ = zₜ ⊙ nₜ + (1 − zₜ) ⊙ hₜ₋₁, and then the same "
            "number means the opposite. " + SOFT_GATE
        ),
        columns=tuple(columns),
    )  # fmt: skip


_AFTER = (
    "rₜ multiplies W_hn·hₜ₋₁ + b_hn after the matrix product, b_hn included: PyTorch, ONNX's "
    "linear_before_reset=1, Keras' reset_after=True. The original GRU (Cho et al. 2014) multiplies hₜ₋₁ "
    "before it, W_hn·(rₜ ⊙ hₜ₋₁); the two give different numbers for the same weights, and "
    "--gru-reset-before computes the original. This is why n keeps two biases, b_in and b_hn: only one "
    "of them is gated, so they cannot be summed."
)
_BEFORE = (
    "Here rₜ scales hₜ₋₁ before the matrix product, as in the original GRU (Cho et al. 2014), ONNX's "
    "linear_before_reset=0 and Keras' reset_after=False. PyTorch applies it after the product, "
    "rₜ ⊙ (W_hn·hₜ₋₁ + b_hn), which gives different numbers for the same weights."
)


def _new_stage(tanh: str, cell: CellOptions, quantities: dict) -> Stage:
    parts = {
        "wx": ("W_in·xₜ", "the input side: W_in (H × I) times xₜ"),
        "bias": ("b_in", "the input-side bias of the new state"),
        "bias_h": ("b_hn", "the hidden-side bias of the new state, inside the reach of rₜ"),
    }
    if cell.gru_reset_before:
        quantities["reset_h"] = Quantity("reset_h", "rₜ ⊙ hₜ₋₁", "", "the old state, reset unit by unit", "(H,)")
        preact = "W_in·xₜ + b_in + W_hn·(rₜ ⊙ hₜ₋₁) + b_hn"
        numpy = "W_in @ x + b_in + W_hn @ (r * h_prev) + b_hn"
        parts["wh"] = ("W_hn·(rₜ ⊙ hₜ₋₁)", "the hidden side, after the reset")
        columns = ["reset.act", "h_prev", "reset_h", "new.wh", "new.wx", "new.bias", "new.bias_h"]
    else:
        preact = "W_in·xₜ + b_in + rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)"
        numpy = "W_in @ x + b_in + r * (W_hn @ h_prev + b_hn)"
        parts["wh"] = ("W_hn·hₜ₋₁", "the hidden side: W_hn (H × H) times hₜ₋₁")
        parts["h_part"] = ("W_hn·hₜ₋₁ + b_hn", "the whole hidden side, bias included")
        parts["gated"] = ("rₜ ⊙ (…)", "the hidden side after the reset gate")
        columns = ["new.wx", "new.bias", "new.wh", "new.bias_h", "new.h_part", "reset.act", "new.gated"]
    for part, (symbol, meaning) in parts.items():
        quantities[f"new.{part}"] = Quantity(f"new.{part}", symbol, "", meaning, "(H,)")
    rest = "+ W_hn·(…) + b_hn" if cell.gru_reset_before else "+ rₜ ⊙ (…)"  # a header of two short lines
    quantities["new.preact"] = Quantity("new.preact", "W_in·xₜ + b_in", rest, f"the pre-activation, {preact}", "(H,)")
    columns.append("new.preact")
    inner, numpy = _clip(preact, numpy, "new", cell, quantities, columns)
    quantities["new.act"] = Quantity("new.act", "nₜ", f"{tanh}(…)", "the new state proposed for hₜ", "(H,)")
    columns.append("new.act")
    return Stage(
        name="new", title="New state", equation=f"nₜ = {tanh}({inner})",
        numpy=f"n = {ACTIVATION_NUMPY[cell.cell_activation]}({numpy})",
        summary="The proposed new hidden state, each value in (-1, 1); the reset gate scales what comes from hₜ₋₁.",
        why=(
            "Like the LSTM's candidate C̃ₜ, but the old state's contribution passes through the reset gate "
            "first, so a unit can ignore the past when it proposes."
        ),
        misconception=_BEFORE if cell.gru_reset_before else _AFTER,
        columns=tuple(columns),
    )  # fmt: skip


def _hidden_stage(quantities: dict) -> Stage:
    quantities["keep"] = Quantity("keep", "keep", "zₜ ⊙ hₜ₋₁", "the part of the old state that is kept", "(H,)")
    quantities["write"] = Quantity("write", "write", "(1 − zₜ) ⊙ nₜ", "the new state written in its place", "(H,)")
    quantities["h"] = Quantity("h", "hₜ", "write + keep", "the new hidden state: this step's output and memory", "(H,)")
    return Stage(
        name="hidden",
        title="New hidden state",
        equation="hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁",
        numpy="h = (1 - z) * n + z * h_prev",
        summary="Keep part of the old state, fill the rest with the new one: hₜ is the GRU's only memory.",
        why=(
            "There is no separate cell state Cₜ and no output gate: the GRU's whole memory is hₜ, blended unit "
            "by unit. With zₜ ≈ 1 the state (and its gradient) passes through unchanged, as the LSTM's cell "
            "state does with fₜ ≈ 1."
        ),
        misconception=(
            "⊙ is element-wise: unit j of hₜ depends only on unit j of zₜ, nₜ and hₜ₋₁. And 1 − zₜ is not "
            "another gate: it is whatever zₜ does not keep."
        ),
        columns=("update.act", "h_prev", "keep", "new.act", "write", "h"),
    )
