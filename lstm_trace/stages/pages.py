"""The words of `explain`'s variant pages: what changes, why it was proposed, where you meet it.

One `Page` per variant and per option. Equations are not repeated here: the page
shows the stage equations of the cell's layout (`stages.layout_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..cell_options import CellOptions


@dataclass(frozen=True)
class Page:
    key: str
    title: str
    selects: str  # the option that selects it
    changes: str
    why: str
    where: str  # the frameworks and papers that use it


PAGES = {
    page.key: page
    for page in (
        Page(
            "lstm",
            "The plain LSTM",
            "--variant lstm (the default)",
            "Nothing: four gates (f, i, C̃, o), each with its own W_g (H × (H+I)) and b_g, and the cell state "
            "Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ. Variants: --variant peephole, cifg, gru; options: --forget-bias, "
            "--cell-clip, --preact-clip, --proj-size, --gate-activation, --cell-activation. "
            "`lstm-trace explain peephole` (or cifg, gru) shows one.",
            "Hochreiter & Schmidhuber (1997) introduced the cell state and its gates; Gers, Schmidhuber & "
            "Cummins (2000) added the forget gate. This is the cell PyTorch, Keras and ONNX compute by default.",
            "torch.nn.LSTM / LSTMCell, keras.layers.LSTM, ONNX LSTM.",
        ),
        Page(
            "peephole",
            "Peephole LSTM",
            "--variant peephole",
            "The forget and input gates also see the old cell state Cₜ₋₁, and the output gate sees the new "
            "Cₜ, each through a vector of weights p_f, p_i, p_o applied element-wise (p ⊙ C, one weight per "
            "unit, not a matrix). Everything else is the plain cell; the output gate now has to wait for Cₜ.",
            "Gers & Schmidhuber (2000), 'Recurrent nets that time and count': in the plain cell the gates see "
            "the memory only through hₜ₋₁ = oₜ₋₁ ⊙ tanh(Cₜ₋₁), so when the output gate is closed they are "
            "blind to it. Peepholes let them read Cₜ directly, which helps tasks that need precise timing. "
            "Greff et al. (2017, 'LSTM: A Search Space Odyssey') found they rarely help on other tasks. "
            "With Cₜ₋₁ = 0 (the default) only the output gate's peephole adds anything: try --c.",
            "ONNX LSTM's P input ([p_i, p_o, p_f]); TensorFlow's LSTMCell(use_peepholes=True); not in PyTorch.",
        ),
        Page(
            "cifg",
            "Coupled input and forget gate (CIFG)",
            "--variant cifg",
            "The input gate is no longer computed: iₜ = 1 − fₜ. So Cₜ = fₜ ⊙ Cₜ₋₁ + (1 − fₜ) ⊙ C̃ₜ, a "
            "weighted average of old memory and candidate, and W_i, b_i go unused (a quarter fewer gate weights).",
            "Whatever a unit forgets it refills, and it can only write by forgetting: one decision instead of "
            "two. Greff et al. (2017) found coupling costs little accuracy while saving parameters; the GRU's "
            "update gate couples keep and write the same way.",
            "TensorFlow's CoupledInputForgetGateLSTMCell and TFLite's use_cifg (i = 1 − f, as here); ONNX's "
            "input_forget=1, which ONNX Runtime computes the other way round (f = 1 − i from W_i): the same "
            "cell with W_f = −W_i, b_f = −b_i, since 1 − σ(a) = σ(−a).",
        ),
        Page(
            "gru",
            "Gated recurrent unit (GRU)",
            "--variant gru",
            "Three blocks instead of four, and no cell state: a reset gate rₜ, an update gate zₜ and a new "
            "state nₜ = tanh(W_in·xₜ + b_in + rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)); then hₜ = (1 − zₜ) ⊙ nₜ + zₜ ⊙ hₜ₋₁. "
            "hₜ is the whole memory; there is no output gate.",
            "Cho et al. (2014) proposed it as a simpler gated unit: fewer weights (3 blocks against 4), the "
            "forget/input pair replaced by one update gate (like cifg), and the reset gate letting a unit "
            "ignore the past when it proposes nₜ. Chung et al. (2014) found it on a par with the LSTM on "
            "several tasks.",
            "PyTorch's nn.GRU / GRUCell (this convention: rₜ applied after W_hn, two biases for n); Keras' "
            "GRU(reset_after=True); ONNX GRU with linear_before_reset=1. PyTorch stacks rows as r, z, n; "
            "ONNX as z, r, h.",
        ),
        Page(
            "gru_reset_before",
            "GRU with the reset before the product",
            "--variant gru --gru-reset-before",
            "nₜ = tanh(W_in·xₜ + b_in + W_hn·(rₜ ⊙ hₜ₋₁) + b_hn): the reset gate scales hₜ₋₁ before the "
            "matrix product instead of scaling W_hn·hₜ₋₁ + b_hn after it.",
            "This is Cho et al.'s original formulation. Applying rₜ after the product (PyTorch) lets W_hn·hₜ₋₁ "
            "be computed for all three blocks in one matrix product, which is faster on GPUs (cuDNN's "
            "choice); the two give different numbers for the same weights.",
            "Keras' GRU(reset_after=False) (TensorFlow 1's default); ONNX GRU with linear_before_reset=0 (its "
            "default).",
        ),
        Page(
            "forget_bias",
            "Forget bias",
            "--forget-bias B",
            "B is added inside the forget gate's sigmoid at run time: fₜ = σ(W_f·z + b_f + B). It is not "
            "stored in b_f.",
            "A forget gate near 1 at the start of training keeps memory and gradients flowing (Gers et al. "
            "2000; Jozefowicz et al. 2015 recommend a bias of 1). TensorFlow 1 added it at run time instead "
            "of initialising b_f, so the saved weights lack it: a model ported from TF v1 needs B = 1 again.",
            "TensorFlow's LSTMCell / BasicLSTMCell / LSTMBlockCell (forget_bias=1.0 by default). Keras' "
            "unit_forget_bias=True instead initialises b_f to 1, so it is in the weights.",
        ),
        Page(
            "cell_clip",
            "Cell clip",
            "--cell-clip V",
            "The new cell state itself is clipped: Cₜ = clip(fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ, −V, V). The clipped value "
            "is what tanh, the output peephole and the next step see.",
            "Over long sequences the cell state can grow without bound (it is a running sum); clipping it "
            "keeps activations and gradients in range.",
            "TensorFlow's LSTMCell(cell_clip=V); TFLite's cell_clip. Not --preact-clip: that one clips the "
            "gates' inputs and leaves Cₜ alone.",
        ),
        Page(
            "preact_clip",
            "Pre-activation clip",
            "--preact-clip V",
            "Every pre-activation is clipped before its activation: fₜ = σ(clip(W_f·z + b_f, −V, V)), and "
            "the same for iₜ, C̃ₜ and oₜ (for a GRU: rₜ, zₜ, nₜ). Cₜ itself is not clipped.",
            "It bounds what each gate can see, so no gate saturates harder than σ(±V): a cheap guard against "
            "overflow in fixed-point or low-precision inference.",
            "ONNX LSTM and GRU's clip attribute. Not --cell-clip: that one clips Cₜ after the gates.",
        ),
        Page(
            "proj_size",
            "LSTM with a projection (LSTMP)",
            "--proj-size P",
            "After mₜ = oₜ ⊙ tanh(Cₜ) (H entries), hₜ = W_hr·mₜ with P < H entries. hₜ₋₁ therefore has P "
            "entries, z = [hₜ₋₁ ; xₜ] has P+I, and each W_g is H × (P+I); Cₜ keeps its H entries.",
            "Sak, Senior & Beaufays (2014) added it to train large speech LSTMs: a large memory (H) with "
            "small recurrent weights (4·H·P instead of 4·H·H) and a small output.",
            "PyTorch's nn.LSTM(proj_size=P) (weight_hr_l0, P × H); TensorFlow's LSTMCell(num_proj=P).",
        ),
        Page(
            "gate_activation",
            "Another gate activation",
            "--gate-activation hard_sigmoid",
            "The gates use hardσ(x) = clip(0.2·x + 0.5, 0, 1) instead of σ: a straight line through "
            "(0, 0.5) that reaches exactly 0 below −2.5 and exactly 1 above 2.5.",
            "It needs no exponential, so it is cheaper; and unlike σ it can fully close or open a gate.",
            "Old tf.keras models (recurrent_activation='hard_sigmoid', the default before Keras 2.3); ONNX's "
            "HardSigmoid (alpha 0.2, beta 0.5). Keras 3 redefined hard_sigmoid as relu6(x + 3) / 6 (slope 1/6).",
        ),
        Page(
            "cell_activation",
            "Another cell activation",
            "--cell-activation relu|softsign",
            "The candidate C̃ₜ and the squashing of Cₜ in hₜ = oₜ ⊙ g(Cₜ) use g instead of tanh (for a GRU, "
            "the new state nₜ).",
            "Some models trade tanh's (−1, 1) range for relu's unbounded one or softsign's gentler tails; the "
            "framework's `activation` argument sets it.",
            "Keras' activation=...; ONNX's activations list (g and h).",
        ),
    )
}


def pages_for(cell: CellOptions) -> list[Page]:
    """The pages a cell needs: its variant's, then one per option that is set."""
    keys = [cell.variant] if cell.variant != "lstm" else []
    if cell.gru_reset_before:
        keys.append("gru_reset_before")
    for key, is_set in (
        ("forget_bias", cell.forget_bias != 0),
        ("cell_clip", cell.cell_clip is not None),
        ("preact_clip", cell.preact_clip is not None),
        ("proj_size", cell.proj_size is not None),
        ("gate_activation", cell.gate_activation != "sigmoid"),
        ("cell_activation", cell.cell_activation != "tanh"),
    ):
        if is_set:
            keys.append(key)
    return [PAGES[key] for key in keys or ["lstm"]]
