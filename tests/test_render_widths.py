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
