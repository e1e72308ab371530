"""What the screen shows at terminal widths other than the usual: boxes that fit their content, and figures
that say when they do not fit rather than cut values silently."""

from __future__ import annotations

from rich.cells import cell_len


def test_the_step_header_fits_its_content_on_a_wide_terminal(run_cli):
    """The header box is as wide as its longest line, not the terminal (COLUMNS=200)."""
    lines = run_cli("step", "--preset", "seed-question", env={"COLUMNS": "200"}).stdout.splitlines()
    top = lines[0]
    assert top.startswith("╭─ The seed question") and top.endswith("╮")
    bottom = next(k for k, line in enumerate(lines) if line.startswith("╰"))
    assert {cell_len(line) for line in lines[: bottom + 1]} == {cell_len(top)}  # one box, every line as wide
    assert cell_len(top) < 100  # 79 today: its widest line, not the terminal's 200
    assert "weights: identity — W_g = [I_H | eye(H, I)] for every gate, all biases zero │" in lines[2]


def test_a_diagram_too_wide_for_the_terminal_says_so(run_cli):
    """At 60 columns not even one decimal fits: the figure says what it needs instead of cutting Cₜ to '-0.'."""
    narrow = run_cli("diagram", "--preset", "seed-question", env={"COLUMNS": "60"})
    assert narrow.returncode == 0
    text = " ".join(narrow.stdout.split())
    assert "The figure needs 62 columns and has 60" in text and "set COLUMNS=62" in text
    wide = run_cli("diagram", "--preset", "seed-question", env={"COLUMNS": "100"})
    assert "The figure needs" not in wide.stdout and "► Cₜ" in wide.stdout


def test_compact_is_the_whole_step_in_one_table_that_fits_a_terminal(cli):
    """`step --compact`: a row per unit, every gate and state, in 24 lines for the seed question."""
    result = cli("step", "--preset", "seed-question", "--compact")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) <= 24
    row = next(line for line in lines if line.split()[:1] == ["1"]).split()
    # unit 1 of the seed question, worked by hand: h = 0.5, C = 0, f = i = o = σ(0.5 + 0.3) = σ(0.8) = 0.6900,
    # C̃ = tanh(0.8) = 0.6640, C = 0.69 × 0.6640 = 0.4582, h = 0.69 × tanh(0.4582) = 0.2957
    assert row == ["1", "0.5000", "0.0000", "0.6900", "0.6900", "0.6640", "0.6900", "0.4582", "0.2957"]
    gru = cli("step", "--preset", "seed-question", "--compact", "--variant", "gru")
    assert "rₜ" in gru.output and "zₜ" in gru.output and "Cₜ₋₁" not in gru.output
    refused = cli("step", "--preset", "seed-question", "--compact", "--stage", "forget")
    assert refused.exit_code == 2 and "--compact shows the whole step in one table" in refused.output
