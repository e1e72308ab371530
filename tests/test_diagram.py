"""The diagram of every cell: the familiar layout, live values on the right wires, a highlighted stage, a
walk's reveal, ≤ 100 columns, the commands.

Every value read off a figure is checked against a hand calculation (the seed question, and scalar `math`
loops over the weights, written apart from the cell's NumPy code) or, for the GRU, against torch.nn.GRUCell.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re

import numpy as np
import pytest
from frameworks import LazyImport
from rich.cells import cell_len
from rich.console import Console

from lstm_trace import GRU, LSTM
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.engine.step import resolve_inputs, trace_step
from lstm_trace.errors import UsageError
from lstm_trace.render.diagram import (
    DIAGRAMS,
    DiagramOptions,
    LSTMDiagram,
    diagram_view,
    register_diagram,
    stages_up_to,
)
from lstm_trace.stages import layout_for
from lstm_trace.traces.step import Trace
from lstm_trace.weights.gru_weights import GRUWeights
from lstm_trace.weights.lstm_weights import LSTMWeights

torch = LazyImport("torch")

HEAVY = set("━┃┏┓┗┛┣┫┳┻╋┿╂┝┥┰┸┯┷┠┨")

# The seed question worked by hand: identity weights and H = I make W·z = h + x for every
# gate, biases are zero and C_(t-1) = 0, so i = f = o = σ(h + x), C̃ = tanh(h + x),
# C = i·C̃ and h_t = o·tanh(C). The forget gate is the value given in the issue.
SEED_H_PREV = np.array([0, 0.5, 0.1, 0.2, 0.6])
SEED_X = np.array([-0.1, 0.3, 0.1, -0.25, 0.1])
SEED_F = np.array([0.47502081, 0.68997448, 0.549834, 0.4875026, 0.66818777])
SEED_C_TILDE = np.tanh(SEED_H_PREV + SEED_X)
SEED_C = SEED_F * SEED_C_TILDE
SEED_H = SEED_F * np.tanh(SEED_C)

# A small LSTM with random weights (H = 2, I = 1) for the figures of its options, worked by hand.
RNG = np.random.default_rng(7)
H, I = 2, 1
W = {g: RNG.uniform(-1, 1, (H, H + I)) for g in ("forget", "input", "candidate", "output")}
B = {g: RNG.uniform(-0.5, 0.5, H) for g in W}
PEEP = {g: RNG.uniform(-1, 1, H) for g in ("forget", "input", "output")}
H_PREV, X, C_PREV = [0.4, -0.7], [0.9], [0.8, -1.2]


# --- reading a figure ---------------------------------------------------------------------------


def render(renderable, width=120, color=False) -> str:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor" if color else None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()


def drawing(trace, width=120, **options) -> list[str]:
    """The figure without its caption: from the top line (Cₜ₋₁ ── or hₜ₋₁ ──) down."""
    lines = render(diagram_view(trace, DiagramOptions(**options)), width).splitlines()
    return lines[next(k for k, line in enumerate(lines) if line.startswith(("Cₜ₋₁ ", "hₜ₋₁ "))) :]


def caption(trace, **options) -> str:
    text = render(diagram_view(trace, DiagramOptions(**options)), width=400)  # no wrapping
    return text[: text.index("\nCₜ₋₁ ") if "\nCₜ₋₁ " in text else text.index("\nhₜ₋₁ ")]


def column_under(lines: list[str], label: str, count: int, offset: int = 0) -> list[str]:
    """The `count` values printed under the first `label`, read from the label's screen column + `offset`.
    (Columns, not string indices: the tilde of C̃ is a combining character that takes no column.)"""
    row, column = next((row, cell_len(line[: line.index(label)]) + offset) for row, line in enumerate(lines) if label in line)
    return [from_column(lines[row + 1 + k], column).split()[0] for k in range(count)]


def under(lines: list[str], label: str, count: int, offset: int = 0) -> list[float]:
    """The `count` numbers printed under the first `label`, read from its screen column + `offset`."""
    return [float(value) for value in column_under(lines, label, count, offset)]


def from_column(line: str, column: int) -> str:
    index = 0
    while cell_len(line[:index]) < column:
        index += 1
    return line[index:]


def fmt(values) -> list[str]:
    return [f"{v:.4f}" for v in values]


def close(shown: list[float], expected: list[float]) -> bool:
    return shown == pytest.approx(expected, abs=6e-5)  # four decimals on screen


# --- hand calculations ----------------------------------------------------------------------------


def sigmoid(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def row_dot(matrix, j: int, vector) -> float:
    return sum(float(w) * v for w, v in zip(matrix[j], vector))


def lstm_by_hand(peephole=False, coupled=False, forget_bias=0.0, cell_clip=None, projection=None, W=W, h_prev=H_PREV):
    z = h_prev + X
    out = {name: [] for name in ("f", "i", "g", "o", "keep", "write", "c", "c_unclipped", "m", "pf", "pi", "po")}
    for j in range(H):
        pf = float(PEEP["forget"][j]) * C_PREV[j] if peephole else 0.0
        pi = float(PEEP["input"][j]) * C_PREV[j] if peephole else 0.0
        f = sigmoid(row_dot(W["forget"], j, z) + pf + B["forget"][j] + forget_bias)
        i = 1 - f if coupled else sigmoid(row_dot(W["input"], j, z) + pi + B["input"][j])
        g = math.tanh(row_dot(W["candidate"], j, z) + B["candidate"][j])
        unclipped = f * C_PREV[j] + i * g
        c = unclipped if cell_clip is None else max(-cell_clip, min(cell_clip, unclipped))
        po = float(PEEP["output"][j]) * c if peephole else 0.0
        o = sigmoid(row_dot(W["output"], j, z) + po + B["output"][j])
        for name, value in (("f", f), ("i", i), ("g", g), ("o", o), ("keep", f * C_PREV[j]), ("write", i * g),
                            ("c", c), ("c_unclipped", unclipped), ("m", o * math.tanh(c)), ("pf", pf), ("pi", pi),
                            ("po", po)):  # fmt: skip
            out[name].append(value)
    out["h"] = out["m"] if projection is None else [row_dot(projection, p, out["m"]) for p in range(len(projection))]
    return out


def seed_trace():
    return trace_step(resolve_inputs(preset="seed-question"))


def lstm_trace_of(cell: CellOptions, projection=None, W=W) -> Trace:
    weights = LSTMWeights(W=W, b=B, provenance={"source": "test"}, peepholes=PEEP if cell.variant == "peephole" else None,
                          projection=projection)  # fmt: skip
    h_prev = H_PREV[: len(projection)] if projection is not None else H_PREV  # hₜ₋₁ has P entries
    step = cell_step(weights, np.array(X), np.array(h_prev), np.array(C_PREV), cell)
    return Trace(hidden_size=H, input_size=I, dtype="float64", weights={"source": "test"}, steps=(step,), cell=cell)


# --- the plain LSTM: the seed question ------------------------------------------------------------


def test_the_familiar_layout_cell_state_on_top_blocks_below_and_a_concatenation_node():
    lines = drawing(seed_trace())
    top = lines[0]
    assert top.startswith("Cₜ₋₁ ─") and top.rstrip().endswith("► Cₜ")
    assert top.index("⊗") < top.index("⊕")  # forget first, then add the write
    blocks = next(line for line in lines if "tanh│" in line)
    assert blocks.split() == ["│", "σ", "│", "│", "σ", "│", "│tanh│", "│", "σ", "│"]  # σ σ tanh σ, in that order
    bus = next(line for line in lines if line.startswith("hₜ₋₁"))
    assert "[;]" in bus  # the join of h and x is a concatenation, not a +
    assert any("(tanh)" in line for line in lines) and any("► hₜ" in line for line in lines)
    assert sum(line.count("⊗") for line in lines) == 3 and sum(line.count("⊕") for line in lines) == 1


def test_every_wire_carries_its_values_worked_by_hand():
    lines = drawing(seed_trace())
    assert column_under(lines, "fₜ", 5) == fmt(SEED_F)
    assert column_under(lines, "iₜ", 5) == fmt(SEED_F)  # identity preset: every σ gate sees h + x
    assert column_under(lines, "oₜ", 5) == fmt(SEED_F)
    assert column_under(lines, "C̃ₜ", 5) == fmt(SEED_C_TILDE)
    assert column_under(lines, "write", 5) == fmt(SEED_C)
    assert column_under(lines, "keep", 5) == fmt(np.zeros(5))  # C_(t-1) = 0: nothing kept
    assert column_under(lines, "tanh(Cₜ)", 5) == fmt(np.tanh(SEED_C))
    assert column_under(lines, "xₜ", 5) == fmt(SEED_X)
    assert column_under(lines, "► Cₜ", 5, offset=2) == fmt(SEED_C)  # under the end of the top line
    assert column_under(lines, "► hₜ", 5, offset=2) == fmt(SEED_H)
    assert column_under(lines, "hₜ₋₁", 5) == fmt(SEED_H_PREV)
    assert column_under(lines, "Cₜ₋₁", 5) == fmt(np.zeros(5))


def test_large_cells_show_min_mean_max_and_norm_per_wire():
    x = np.linspace(-2, 2, 40)
    trace = trace_step(resolve_inputs(x=x, hidden_size=40, weights="random", seed=3))
    lines = drawing(trace, precision=3)
    row, column = next((row, line.index("xₜ")) for row, line in enumerate(lines) if "xₜ" in line)
    summary = [from_column(lines[row + 1 + k], column).split() for k in range(4)]
    assert [word for word, _ in summary] == ["min", "avg", "max", "‖·‖"]
    # precision=3 prints 3 decimals, so half a unit in the last place is what the screen can hold
    assert [float(number) for _, number in summary] == pytest.approx([-2.0, 0.0, 2.0, np.linalg.norm(x)], abs=5e-4)
    assert "fₜ (40)" not in "\n".join(lines) and "avg" in column_under(lines, "fₜ", 4)[1]


def test_the_highlighted_stage_is_drawn_heavy_and_only_that_stage():
    trace = seed_trace()
    plain = "\n".join(drawing(trace))
    assert not any(heavy in plain for heavy in "━┃┏┓┗┛")
    forget = drawing(trace, highlight="forget")
    boxes = next(line for line in forget if "┏━┻━┓" in line)
    assert boxes.count("┏━┻━┓") == 1 and boxes.index("┏━┻━┓") < boxes.index("┌─┴─┐")  # the first σ block
    cell = drawing(trace, highlight="cell")
    assert cell[0].startswith("Cₜ₋₁ ━━") and "┏" not in "\n".join(cell)  # the top line, no block
    concat = drawing(trace, highlight="concat")
    assert next(line for line in concat if line.startswith("hₜ₋₁")).startswith("hₜ₋₁ ━━━[;]")


def test_the_highlight_is_coloured_and_the_caption_names_the_stage():
    trace = seed_trace()
    diagram = LSTMDiagram(trace.steps[0], DiagramOptions(highlight="output"))
    text = diagram.fit(100).to_text(diagram.style)  # the drawing as a 100-column screen shows it
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans if text.plain[span.start : span.end].strip()}
    assert styles.get("┏") == "bold yellow"
    output = render(diagram_view(trace, DiagramOptions(highlight="output")), color=True)
    assert "Output gate: oₜ = σ(W_o·z + b_o)" in output


def test_a_walk_reveals_values_stage_by_stage_without_moving_the_figure():
    trace = seed_trace()
    early = drawing(trace, highlight="input", revealed=stages_up_to("input"))
    full = drawing(trace)
    assert column_under(early, "iₜ", 5) == fmt(SEED_F)
    assert column_under(early, "C̃ₜ", 5) == ["·"] * 5  # not computed yet
    assert column_under(early, "xₜ", 5) == fmt(SEED_X)  # inputs are always known
    assert [line.index("⊕") for line in early if "⊕" in line] == [line.index("⊕") for line in full if "⊕" in line]
    assert len(early) == len(full)


def test_precision_drops_to_fit_a_narrow_terminal_and_nothing_wraps():
    out = render(diagram_view(seed_trace()), width=60).splitlines()
    assert max(cell_len(line) for line in out) <= 60
    assert column_under(out, "fₜ", 5) == [f"{v:.2f}" for v in SEED_F]
    tiny = render(diagram_view(seed_trace()), width=30).splitlines()
    assert max(cell_len(line) for line in tiny) <= 30  # cropped, not wrapped into a mess
    assert sum(line.startswith("Cₜ₋₁ ") for line in tiny) == 1


# --- the LSTM's variants and options ------------------------------------------------------------


def test_peephole_figure_has_three_peephole_wires_with_their_values_worked_by_hand():
    lines = drawing(lstm_trace_of(LSTM(peephole=True)))
    hand = lstm_by_hand(peephole=True)
    top = lines[0]
    assert top.count("┬") == 3  # Cₜ₋₁ drops to σ_f and σ_i; the new Cₜ to σ_o; the third is the tanh branch
    assert top.index("┬") < top.index("⊗") < top.index("⊕") < top.rindex("┬")
    assert close(under(lines, "p_f⊙Cₜ₋₁", H), hand["pf"]) and close(under(lines, "p_i⊙Cₜ₋₁", H), hand["pi"])
    assert close(under(lines, "p_o⊙Cₜ", H), hand["po"])
    for label, name in (("fₜ", "f"), ("iₜ", "i"), ("C̃ₜ", "g"), ("oₜ", "o"), ("keep", "keep"), ("write", "write")):
        assert close(under(lines, label, H), hand[name]), label
    assert close(under(lines, "► Cₜ", H, offset=2), hand["c"]) and close(under(lines, "► hₜ", H, offset=2), hand["h"])
    joins = [line for line in lines if "┤ σ │" in line]  # the peepholes join σ_f, σ_i and σ_o from the left
    assert len(joins) == 1 and joins[0].count("┤ σ │") == 3 and "┼" in "\n".join(lines)  # p_i crosses the fₜ wire


def test_cifg_figure_has_no_input_block_and_a_one_minus_node_fed_by_the_forget_gate():
    lines = drawing(lstm_trace_of(LSTM(cifg=True)))
    hand = lstm_by_hand(coupled=True)
    boxes = next(line for line in lines if "tanh│" in line)
    assert boxes.split() == ["│", "σ", "│", "│tanh│", "│", "σ", "│"]  # σ_f, C̃, σ_o: no σ_i, no W_i
    lane = next(line for line in lines if "[1−]" in line)
    assert re.search(r"├─+\[1−\]", lane)  # branched off the fₜ wire
    assert close(under(lines, "iₜ", H), hand["i"]) and close(under(lines, "fₜ", H), hand["f"])
    assert close(under(lines, "iₜ", H), [1 - f for f in under(lines, "fₜ", H)])
    assert close(under(lines, "► hₜ", H, offset=2), hand["h"])


def test_options_are_marked_where_they_act_and_the_values_follow_them():
    cell = LSTM(forget_bias=1.0, cell_clip=0.3, preact_clip=50.0)  # a clip of 50 leaves these numbers alone
    trace = lstm_trace_of(cell)
    lines = drawing(trace)
    hand = lstm_by_hand(forget_bias=1.0, cell_clip=0.3)
    assert "[clip ±0.3]" in lines[0] and lines[0].index("⊕") < lines[0].index("[clip ±0.3]")  # on Cₜ, after the sum
    inner = [line for line in lines if "clip±50" in line]
    assert len(inner) == 1 and inner[0].count("clip±50") == 4  # in each of the four blocks
    bias = [line for line in lines if "+1" in line]  # inside σ_f only, below σ and the clip: it acts first
    assert len(bias) == 1 and bias[0].split()[:3] == ["│", "+1", "│"] and lines.index(bias[0]) == lines.index(inner[0]) + 1
    assert close(under(lines, "fₜ", H), hand["f"])
    assert close(under(lines, "keep+write", H), hand["c_unclipped"])
    assert close(under(lines, "► Cₜ", H, offset=2), hand["c"]) and max(map(abs, hand["c"])) == pytest.approx(0.3)
    assert close(under(lines, "► hₜ", H, offset=2), hand["h"])
    assert "+1 in σ_f: the forget bias" in caption(trace) and "[clip ±0.3] clips Cₜ" in caption(trace)


def test_projection_node_after_the_output_product():
    W_hr = np.array([[0.6, -1.1]])  # P = 1, so hₜ₋₁ has one entry and each W_g is H × (P+I)
    projected = {gate: weights[:, 1:] for gate, weights in W.items()}
    trace = lstm_trace_of(LSTM(proj_size=1), projection=W_hr, W=projected)
    lines = drawing(trace, highlight="projection")
    hand = lstm_by_hand(projection=W_hr, W=projected, h_prev=H_PREV[:1])
    out = next(line for line in lines if "► hₜ" in line)
    assert out.index("⊗") < out.index("[W_hr·]") < out.index("► hₜ") and "━► hₜ" in out  # the projection is heavy
    assert close(under(lines, "mₜ", H), hand["m"]) and close(under(lines, "► hₜ", 1, offset=2), hand["h"])
    assert "Projection: hₜ = W_hr·mₜ" in caption(trace, highlight="projection")


def test_other_activations_are_named_in_the_blocks_and_on_the_branch():
    trace = trace_step(resolve_inputs(preset="seed-question", cell=LSTM(gate_activation="hard_sigmoid", cell_activation="softsign")))
    lines = drawing(trace)
    assert next(line for line in lines if "softsign│" in line).split() == [
        "│hardσ│", "│hardσ│", "│softsign│", "│hardσ│"
    ]  # fmt: skip
    assert any("(softsign)" in line for line in lines) and any("softsign(Cₜ)" in line for line in lines)


# --- the GRU --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gru_reference():
    """torch.nn.GRUCell with H = 2, I = 3, and its r, z, n worked out from its own parameters."""
    torch.manual_seed(3)
    cell = torch.nn.GRUCell(3, 2).double()
    x, h = torch.tensor([[0.5, -1.0, 2.0]], dtype=torch.float64), torch.tensor([[0.3, -0.6]], dtype=torch.float64)
    with torch.no_grad():
        W_ir, W_iz, W_in = cell.weight_ih.detach().chunk(3)  # PyTorch stacks rows as r, z, n
        W_hr, W_hz, W_hn = cell.weight_hh.detach().chunk(3)
        b_ir, b_iz, b_in = cell.bias_ih.detach().chunk(3)
        b_hr, b_hz, b_hn = cell.bias_hh.detach().chunk(3)
        r = torch.sigmoid(x @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
        gated = r * (h @ W_hn.T + b_hn)
        n = torch.tanh(x @ W_in.T + b_in + gated)
        h_new = cell(x, h)
    weights = GRUWeights(
        W={"reset": torch.cat([W_hr, W_ir], 1).numpy(), "update": torch.cat([W_hz, W_iz], 1).numpy(),
           "new": torch.cat([W_hn, W_in], 1).numpy()},
        b={"reset": (b_ir + b_hr).numpy(), "update": (b_iz + b_hz).numpy(), "new": b_in.numpy()},
        b_hn=b_hn.numpy(), provenance={"source": "torch.nn.GRUCell"},
    )  # fmt: skip
    values = {name: value[0].tolist() for name, value in
              dict(r=r, z=z, n=n, gated=gated, h=h_new, keep=z * h, write=(1 - z) * n).items()}  # fmt: skip
    return weights, x[0].numpy(), h[0].numpy(), values


def gru_trace(weights, x, h, cell=GRU()) -> Trace:
    step = cell_step(weights, x, h, None, cell)
    return Trace(hidden_size=2, input_size=3, dtype="float64", weights={"source": "torch"}, steps=(step,), cell=cell)


@pytest.mark.framework
def test_gru_figure_against_torch_grucell(gru_reference):
    weights, x, h, torch_values = gru_reference
    lines = drawing(gru_trace(weights, x, h))
    top = lines[0]
    assert re.match("hₜ₋₁ ─+┬", top) and top.rstrip().endswith("► hₜ") and top.index("⊗") < top.index("⊕")
    assert "Cₜ" not in "\n".join(lines)  # no cell state anywhere
    boxes = next(line for line in lines if "tanh" in line and "│ σ │" in line)
    # hₜ₋₁ going down to [;], σ_z, σ_r, rₜ going over to n, the n block
    assert boxes.split()[:11] == ["│", "│", "σ", "│", "│", "σ", "│", "│", "│", "tanh", "│"]  # then rₜ ⊙ (…)'s values
    assert any("[1−]" in line and line.rstrip().endswith("⊗") for line in lines)  # 1 − zₜ meets nₜ at the write ⊗
    entry = next(line for line in lines if "+ rₜ ⊙ (…)" in line)
    assert re.search(r"└─⊗ *\+ rₜ ⊙ \(…\)", entry)  # rₜ comes over and enters the n block at ⊗
    for label, name in (("rₜ", "r"), ("zₜ", "z"), ("nₜ", "n"), ("keep", "keep"), ("write", "write"),
                        ("rₜ ⊙ (W_hn·hₜ₋₁ + b_hn)", "gated")):  # fmt: skip
        assert close(under(lines, label, 2), torch_values[name]), label
    assert close(under(lines, "► hₜ", 2, offset=2), torch_values["h"])
    assert close(under(lines, "hₜ₋₁", 2), h.tolist()) and close(under(lines, "│ xₜ", 3, offset=2), x.tolist())  # not the n block's W_in·xₜ


def test_gru_reset_before_draws_the_reset_before_w_hn():
    rng = np.random.default_rng(5)
    weights = GRUWeights(W={g: rng.uniform(-1, 1, (2, 3)) for g in ("reset", "update", "new")},
                         b={g: rng.uniform(-1, 1, 2) for g in ("reset", "update", "new")}, b_hn=rng.uniform(-1, 1, 2),
                         provenance={"source": "test"})  # fmt: skip
    x, h = np.array([0.7]), np.array([0.5, -0.9])
    trace = gru_trace(weights, x, h, GRU(reset_before=True))
    lines = drawing(trace)
    r = [sigmoid(row_dot(weights.W["reset"], j, [*h, *x]) + weights.b["reset"][j]) for j in range(2)]
    reset_h = [r[j] * h[j] for j in range(2)]
    n = [math.tanh(row_dot(weights.W["new"][:, 2:], j, x) + weights.b["new"][j]
                   + row_dot(weights.W["new"][:, :2], j, reset_h) + weights.b_hn[j]) for j in range(2)]  # fmt: skip
    assert any("+ W_hn·(…) + b_hn" in line for line in lines)
    assert close(under(lines, "rₜ ⊙ hₜ₋₁", 2), reset_h) and close(under(lines, "nₜ", 2), n)
    assert "before W_hn: rₜ ⊙ hₜ₋₁" in caption(trace)


# --- every cell: width, highlight, reveal, registry, command line, export ---------------------------

CELLS = {
    "lstm": LSTM(),
    "peephole": LSTM(peephole=True),
    "cifg": LSTM(cifg=True),
    "gru": GRU(),
    "gru-before": GRU(reset_before=True, preact_clip=3.0, cell_activation="softsign"),
    "lstm-options": LSTM(forget_bias=1.0, cell_clip=0.5, preact_clip=2.0, gate_activation="hard_sigmoid",
                         cell_activation="softsign"),  # fmt: skip
    "tf-lstmcell": LSTM(peephole=True, forget_bias=1.0, cell_clip=3.0, proj_size=1),  # TensorFlow's all-on
}


def random_trace(cell: CellOptions, hidden: int, inputs: int) -> Trace:
    c = None if cell.variant == "gru" else np.linspace(-1, 1, hidden)
    return trace_step(resolve_inputs(x=np.linspace(-3, 3, inputs), hidden_size=hidden, weights="random", seed=1, cell=cell, c=c))


FIT_SIZES = [(1, 1), (3, 2), (5, 5), (8, 3), (3, 8), (9, 9), (64, 300), (2048, 16)]  # (H, I)
# Found when every cell met every size: the figure of H = 2048 with P = 1 prints its one projected value
# beside mₜ's summary, one column past the edge.
TOO_WIDE = {("tf-lstmcell", 2048): "101 columns: hₜ's single value (P = 1) beside mₜ's min/avg/max at H = 2048"}


def fit_cases():
    for name, cell in CELLS.items():
        for hidden, inputs in FIT_SIZES:
            if cell.proj_size is not None and hidden <= cell.proj_size:
                continue  # P must be smaller than H
            reason = TOO_WIDE.get((name, hidden))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(name, hidden, inputs, id=f"{name}-{hidden}x{inputs}", marks=marks)


@pytest.mark.parametrize("name, hidden, inputs", list(fit_cases()))
def test_fits_in_100_columns_for_small_and_large_cells_and_every_highlight(name, hidden, inputs):
    cell = CELLS[name]
    trace = random_trace(cell, hidden, inputs)
    for highlight in (None, *layout_for(cell).stage_names):
        lines = drawing(trace, width=200, precision=6, highlight=highlight)
        assert max(cell_len(line) for line in lines) <= 100, (name, hidden, highlight)


@pytest.mark.parametrize("name", CELLS)
def test_each_stage_is_highlighted_heavy_and_named_in_the_caption(name):
    cell = CELLS[name]
    trace = random_trace(cell, 3, 2)
    assert not HEAVY & set("".join(drawing(trace)))
    for stage in layout_for(cell).stages:
        lines = drawing(trace, highlight=stage.name)
        assert HEAVY & set("".join(lines)), stage.name
        assert f"▶ {stage.title}: {stage.equation}" in caption(trace, highlight=stage.name).replace("\n", " ")


def test_the_highlight_lands_on_the_right_block():
    gru = random_trace(CELLS["gru"], 3, 2)
    boxes = lambda lines: next(line for line in lines if "σ" in line and ("┃" in line or "│ σ │" in line))  # noqa: E731
    assert boxes(drawing(gru, highlight="update")).index("┃ σ ┃") < boxes(drawing(gru, highlight="update")).index("│ σ │")
    reset = boxes(drawing(gru, highlight="reset"))
    assert reset.index("│ σ │") < reset.index("┃ σ ┃")  # σ_r is the second block
    peephole = drawing(random_trace(CELLS["peephole"], 3, 2), highlight="input")
    assert any("┗┫ σ ┃" in line for line in peephole)  # the p_i wire joins the highlighted σ_i
    cifg = drawing(random_trace(CELLS["cifg"], 3, 2), highlight="input")
    assert any("┝━" in line and "[1−]" in line for line in cifg)


def test_a_walk_reveals_a_grus_values_stage_by_stage():
    trace = random_trace(CELLS["gru"], 3, 2)
    names = layout_for(CELLS["gru"]).stage_names
    early = drawing(trace, highlight="reset", revealed=stages_up_to("reset", names))
    assert under(early, "rₜ", 3) == pytest.approx(trace.steps[0].reset.act, abs=6e-5)
    row = next(k for k, line in enumerate(early) if "nₜ" in line)
    assert early[row + 1].split()[-1] == "·" and "► hₜ" in early[0]  # n not yet computed; hₜ₋₁ is an input


def test_diagrams_are_registered_per_variant():
    assert set(DIAGRAMS) == {"lstm", "peephole", "cifg", "gru"}
    trace = seed_trace()
    other = dataclasses.replace(trace, cell=CellOptions(variant="mlstm"))  # traces say their variant
    with pytest.raises(UsageError, match="no diagram for the 'mlstm' cell"):
        diagram_view(other)
    try:
        register_diagram("mlstm")(lambda step, options: "an mLSTM figure")
        assert diagram_view(other) == "an mLSTM figure"
    finally:
        DIAGRAMS.pop("mlstm")


def test_diagram_command_and_step_header(cli):
    result = cli("diagram", "--preset", "seed-question", "--stage", "hidden")
    assert result.exit_code == 0
    assert "New hidden state: hₜ = oₜ ⊙ tanh(Cₜ)" in result.output and "┏" not in result.output
    assert "(tanh)" in result.output and "[;]" in result.output
    step = cli("step", "--preset", "seed-question", "--diagram")
    assert step.exit_code == 0
    header_end, figure, first_table = (step.output.index(s) for s in ("╰", "LSTM cell, t = 1", "Concatenation   z"))
    assert header_end < figure < first_table  # in the header, before the stage tables
    one = cli("step", "--preset", "seed-question", "--diagram", "--stage", "forget")
    assert one.output.index("LSTM cell") < one.output.index("Forget gate   fₜ") and "┏━┻━┓" in one.output


@pytest.mark.parametrize(
    "options, stage, fragment",
    [((), "nope", "There is no stage 'nope'"), (("--variant", "gru"), "forget", "Stages: reset, update, new, hidden")],
    ids=["lstm", "gru"],
)
def test_a_stage_the_cell_does_not_have_is_a_usage_error(cli, options, stage, fragment):
    bad = cli("diagram", "--preset", "seed-question", *options, "--stage", stage)
    assert bad.exit_code == 2 and fragment in bad.output


def test_states_that_do_not_fit_are_usage_errors(cli):
    assert cli("diagram", "--x", "1,2", "--h", "1,2,3", "--weights", "identity", "--c", "1").exit_code == 2


def test_diagram_and_step_diagram_commands_take_every_variant(cli):
    gru = cli("diagram", "--preset", "seed-question", "--variant", "gru", "--stage", "new")
    assert gru.exit_code == 0 and "GRU cell, t = 1   ▶ New state" in gru.output and "[1−]" in gru.output
    cifg = cli("step", "--preset", "seed-question", "--variant", "cifg", "--diagram")
    assert cifg.exit_code == 0 and "CIFG LSTM cell, t = 1" in cifg.output and "Concatenation" in cifg.output
    options = cli("diagram", "--preset", "seed-question", "--forget-bias", "1", "--cell-clip", "0.4")
    assert options.exit_code == 0 and "LSTM cell (forget bias 1, cell clip ±0.4), t = 1" in options.output


def export_gru_diagram(cli, tmp_path, suffix):
    path = tmp_path / f"gru{suffix}"
    result = cli("diagram", "--preset", "seed-question", "--variant", "gru", "--stage", "reset", "--export", str(path))
    assert result.exit_code == 0, result.output
    return result, path, path.read_text(encoding="utf-8")


def test_text_export_of_a_variant_diagram(cli, tmp_path):
    result, _, text = export_gru_diagram(cli, tmp_path, ".txt")
    assert text == result.output


@pytest.mark.parametrize("suffix", [".svg", ".html"])
def test_export_of_a_variant_diagram(cli, tmp_path, chromium, suffix):
    _, path, _ = export_gru_diagram(cli, tmp_path, suffix)  # opened in Chromium as the plain figure's is
    dom = chromium(path, "--dump-dom")
    assert dom.returncode == 0 and "parsererror" not in dom.stdout
    assert "GRU" in dom.stdout and "[1−]" in dom.stdout and "━" in dom.stdout  # the highlight made it into the page
