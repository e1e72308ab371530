"""The cell diagram: the familiar layout, live values on the right wires, a highlighted stage, ≤ 100 columns."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import pytest
from rich.cells import cell_len
from rich.console import Console

from lstm_trace.errors import UsageError
from lstm_trace.render import diagram as diagram_module
from lstm_trace.render.diagram import DIAGRAMS, DiagramOptions, LSTMDiagram, diagram_view, register_diagram
from lstm_trace.stages import STAGE_NAMES
from lstm_trace.engine.step import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions

# The seed question worked by hand: identity weights and H = I make W·z = h + x for every
# gate, biases are zero and C_(t-1) = 0, so i = f = o = σ(h + x), C̃ = tanh(h + x),
# C = i·C̃ and h_t = o·tanh(C). The forget gate is the value given in the issue.
H_PREV = np.array([0, 0.5, 0.1, 0.2, 0.6])
X = np.array([-0.1, 0.3, 0.1, -0.25, 0.1])
F = np.array([0.47502081, 0.68997448, 0.549834, 0.4875026, 0.66818777])
C_TILDE = np.tanh(H_PREV + X)
C = F * C_TILDE
H = F * np.tanh(C)


def seed_trace():
    return trace_step(resolve_inputs(preset="seed-question"))


def render(renderable, width=120, color=False) -> str:
    console = Console(file=io.StringIO(), width=width, color_system="truecolor" if color else None, highlight=False)
    console.print(renderable)
    return console.file.getvalue()


def drawing_lines(trace, width=120, **options) -> list[str]:
    """The figure without its caption: from the top line (Cₜ₋₁ ──) down."""
    lines = render(diagram_view(trace, DiagramOptions(**options)), width).splitlines()
    return lines[next(k for k, line in enumerate(lines) if line.startswith("Cₜ₋₁ "))  :]


def column_under(lines: list[str], label: str, count: int, offset: int = 0) -> list[str]:
    """The `count` values printed under the first `label`, read from the label's screen column + `offset`.
    (Columns, not string indices: the tilde of C̃ is a combining character that takes no column.)"""
    row, column = next((row, cell_len(line[: line.index(label)]) + offset) for row, line in enumerate(lines) if label in line)
    return [from_column(lines[row + 1 + k], column).split()[0] for k in range(count)]


def from_column(line: str, column: int) -> str:
    index = 0
    while cell_len(line[:index]) < column:
        index += 1
    return line[index:]


def fmt(values) -> list[str]:
    return [f"{v:.4f}" for v in values]


def test_fits_in_100_columns_for_small_and_large_cells():
    for hidden, inputs in ((1, 1), (5, 5), (8, 3), (3, 8), (9, 9), (64, 300), (2048, 16)):
        trace = trace_step(resolve_inputs(x=np.linspace(-3, 3, inputs), hidden_size=hidden, weights="random", seed=1))
        for highlight in (None, *STAGE_NAMES):
            lines = drawing_lines(trace, width=200, precision=6, highlight=highlight)
            assert max(cell_len(line) for line in lines) <= 100, (hidden, inputs, highlight)


def test_the_familiar_layout_cell_state_on_top_blocks_below_and_a_concatenation_node():
    lines = drawing_lines(seed_trace())
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
    lines = drawing_lines(seed_trace())
    assert column_under(lines, "fₜ", 5) == fmt(F)
    assert column_under(lines, "iₜ", 5) == fmt(F)  # identity preset: every σ gate sees h + x
    assert column_under(lines, "oₜ", 5) == fmt(F)
    assert column_under(lines, "C̃ₜ", 5) == fmt(C_TILDE)
    assert column_under(lines, "write", 5) == fmt(C)
    assert column_under(lines, "keep", 5) == fmt(np.zeros(5))  # C_(t-1) = 0: nothing kept
    assert column_under(lines, "tanh(Cₜ)", 5) == fmt(np.tanh(C))
    assert column_under(lines, "xₜ", 5) == fmt(X)
    assert column_under(lines, "► Cₜ", 5, offset=2) == fmt(C)  # under the end of the top line
    assert column_under(lines, "► hₜ", 5, offset=2) == fmt(H)
    assert column_under(lines, "hₜ₋₁", 5) == fmt(H_PREV)
    assert column_under(lines, "Cₜ₋₁", 5) == fmt(np.zeros(5))


def test_large_cells_show_min_mean_max_and_norm_per_wire():
    x = np.linspace(-2, 2, 40)
    trace = trace_step(resolve_inputs(x=x, hidden_size=40, weights="random", seed=3))
    lines = drawing_lines(trace, precision=3)
    row, column = next((row, line.index("xₜ")) for row, line in enumerate(lines) if "xₜ" in line)
    summary = [from_column(lines[row + 1 + k], column).split() for k in range(4)]
    assert [word for word, _ in summary] == ["min", "avg", "max", "‖·‖"]
    # precision=3 prints 3 decimals, so half a unit in the last place is what the screen can hold
    assert [float(number) for _, number in summary] == pytest.approx([-2.0, 0.0, 2.0, np.linalg.norm(x)], abs=5e-4)
    assert "fₜ (40)" not in "\n".join(lines) and "avg" in column_under(lines, "fₜ", 4)[1]


def test_the_highlighted_stage_is_drawn_heavy_and_only_that_stage():
    trace = seed_trace()
    plain = "\n".join(drawing_lines(trace))
    assert not any(heavy in plain for heavy in "━┃┏┓┗┛")
    forget = drawing_lines(trace, highlight="forget")
    boxes = next(line for line in forget if "┏━┻━┓" in line)
    assert boxes.count("┏━┻━┓") == 1 and boxes.index("┏━┻━┓") < boxes.index("┌─┴─┐")  # the first σ block
    cell = drawing_lines(trace, highlight="cell")
    assert cell[0].startswith("Cₜ₋₁ ━━") and "┏" not in "\n".join(cell)  # the top line, no block
    concat = drawing_lines(trace, highlight="concat")
    assert next(line for line in concat if line.startswith("hₜ₋₁")).startswith("hₜ₋₁ ━━━[;]")


def test_the_highlight_is_coloured_and_the_caption_names_the_stage():
    trace = seed_trace()
    diagram = LSTMDiagram(trace.steps[0], DiagramOptions(highlight="output"))
    text = diagram.drawing(100)
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans if text.plain[span.start : span.end].strip()}
    assert styles.get("┏") == "bold yellow"
    output = render(diagram_view(trace, DiagramOptions(highlight="output")), color=True)
    assert "Output gate: oₜ = σ(W_o·z + b_o)" in output


def test_walk_reveals_values_stage_by_stage_without_moving_the_figure():
    trace = seed_trace()
    early = drawing_lines(trace, highlight="input", revealed=diagram_module.stages_up_to("input"))
    full = drawing_lines(trace)
    assert column_under(early, "iₜ", 5) == fmt(F)
    assert column_under(early, "C̃ₜ", 5) == ["·"] * 5  # not computed yet
    assert column_under(early, "xₜ", 5) == fmt(X)  # inputs are always known
    assert [line.index("⊕") for line in early if "⊕" in line] == [line.index("⊕") for line in full if "⊕" in line]
    assert len(early) == len(full)


def test_precision_drops_to_fit_a_narrow_terminal_and_nothing_wraps():
    out = render(diagram_view(seed_trace()), width=60).splitlines()
    assert max(cell_len(line) for line in out) <= 60
    assert column_under(out, "fₜ", 5) == [f"{v:.2f}" for v in F]
    tiny = render(diagram_view(seed_trace()), width=30).splitlines()
    assert max(cell_len(line) for line in tiny) <= 30  # cropped, not wrapped into a mess
    assert sum(line.startswith("Cₜ₋₁ ") for line in tiny) == 1


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


def test_diagram_command_errors(cli):
    bad = cli("diagram", "--preset", "seed-question", "--stage", "nope")
    assert bad.exit_code == 2 and "There is no stage 'nope'" in bad.output
    assert cli("diagram", "--x", "1,2", "--h", "1,2,3", "--weights", "identity", "--c", "1").exit_code == 2
