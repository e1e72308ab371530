"""The stage tables: alignment, elision of large H, narrow terminals, plain text without colour."""

from __future__ import annotations

import io

import numpy as np
from rich.console import Console
from rich.text import Text

from lstm_trace.engine.step import resolve_inputs, trace_step
from lstm_trace.render.columns import ColumnTable
from lstm_trace.render.numbers import format_number, gate_bar
from lstm_trace.render.step import step_view
from lstm_trace.render.tables import TableOptions, row_plan


def render(renderable, width=100, color=False) -> str:
    console = Console(file=io.StringIO(), width=width, no_color=not color, color_system="truecolor" if color else None)
    console.print(renderable)
    return console.file.getvalue()


def test_columns_align_right_and_headers_sit_on_the_rule():
    table = ColumnTable()
    table.add_column("j")
    table.add_column(Text("a\nlong"))
    table.add_row("0", "1.5")
    table.add_row("10", "-22.25")
    lines = render(table).splitlines()
    # widths: "j" column 2 ("10"), second column 6 ("-22.25"), 3 spaces between
    assert lines == ["          a", " j     long", "─" * 11, " 0      1.5", "10   -22.25"]


def test_narrow_terminal_continues_columns_below_without_cutting():
    trace = trace_step(resolve_inputs(preset="seed-question"))
    out = render(step_view(trace, TableOptions(), stage="cell")[0], width=40)
    assert all(len(line) <= 40 for line in out.splitlines())
    for value in ("0.4750", "-0.0997", "0.4582"):  # f, C~ and C of unit 0/1 all still there
        assert value in out
    blocks = [line for line in out.splitlines() if line.startswith("unit")]
    assert len(blocks) >= 2  # later blocks repeat the unit column


def test_row_plan_keeps_head_tail_and_anchors():
    plan = row_plan(1000, 20, anchors=(499, 500))
    shown = [row for row in plan if row is not None]
    assert len(plan) <= 24 and 0 in shown and 999 in shown and {498, 499, 500, 501} <= set(shown)
    assert plan.count(None) == 2
    assert row_plan(5, 20) == [0, 1, 2, 3, 4]


def test_large_hidden_size_summary_rows_cover_every_unit():
    trace = trace_step(resolve_inputs(x=np.array([1.0, 2.0]), hidden_size=300, weights="random"))
    out = render(step_view(trace, TableOptions(max_rows=10), stage="forget")[0], width=120)
    mean_line = next(line for line in out.splitlines() if line.strip().startswith("mean"))
    expected = format_number(float(trace.steps[0].forget.act.mean()), 4)
    assert expected in mean_line


def test_no_color_output_is_plain_and_color_output_is_styled():
    trace = trace_step(resolve_inputs(preset="long-memory"))
    plain = render(step_view(trace, TableOptions(), stage="forget")[0])
    colored = render(step_view(trace, TableOptions(), stage="forget")[0], color=True)
    assert "\x1b[" not in plain and "\x1b[" in colored
    assert "0.9988" in plain


def test_number_format():
    assert format_number(0.47502081, 4) == "0.4750"
    assert format_number(-0.0, 4) == "0.0000"
    assert format_number(3e-9, 4) == "3.000e-09"  # a tiny gate is not shown as a hard zero
    assert format_number(2.5e7, 2) == "2.5e+07"
    assert gate_bar(0.0) == "░" * 10 and gate_bar(1.0) == "█" * 10 and gate_bar(0.47).count("█") == 5

