"""`explain` for a variant: its page (what changes, why it was proposed, where you meet it, its
equations and the worked example beside the plain LSTM), and each of its stages.

Words come from `variants/pages.py` and the cell's layout; numbers from the trace and
from `variants/worked.py`. Nothing here computes.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..stages import Layout, Stage
from ..traces import Trace
from .numbers import format_vector
from .step import weights_summary
from .tables import TableOptions, stage_view
from .variant_worked import unit_line


def variant_page(
    trace: Trace, layout: Layout, pages, comparison, projection, options: TableOptions, unit: int = 0
) -> list[RenderableType]:
    body = Text()
    for page in pages:
        body.append(f"{page.title}", style="bold underline")
        body.append(f"   {page.selects}\n", style="bold cyan")
        for heading, paragraph in (("What changes", page.changes), ("Why it was proposed", page.why),
                                   ("Where you meet it", page.where)):  # fmt: skip
            body.append(heading + "\n", style="bold")
            body.append(paragraph + "\n")
        body.append("\n")
    body.rstrip()
    equations = Table.grid(padding=(0, 3))
    for stage in layout.stages:
        equations.add_row(Text(stage.equation, style="bold"), Text(stage.numpy, style="green"))
    return [
        Panel(body, title=f"{layout.title}: what is different", title_align="left"),
        Text("Equations", style="bold"),
        equations,
        Text(""),
        worked_example(trace, layout, comparison, projection, options.precision, unit),
    ]


def worked_example(trace: Trace, layout: Layout, comparison, projection, precision: int, unit: int = 0) -> Text:
    step = trace.steps[0]
    text = Text()
    text.append(
        f"Worked example: {trace.title or 'your inputs'}; weights {weights_summary(trace.weights)}.\n", style="italic"
    )
    for stage in layout.stages:
        line = unit_line(stage, step, layout, precision, projection, unit)
        if line is not None:
            text.append_text(line)
    if comparison is not None:
        text.append(f"\nBeside {comparison.label}:\n", style="bold")
        rows = [("hₜ", "h")]  # a GRU shares only h with the LSTM
        if layout.variant != "gru":
            rows = [("fₜ", "forget.act"), ("iₜ", "input.act"), ("oₜ", "output.act"), ("Cₜ", "c"), *rows]
        for symbol, name in rows:
            text.append(f"  plain LSTM  {symbol} = {format_vector(comparison.step[name], precision)}\n")
            text.append(f"  this cell   {symbol} = {format_vector(step[name], precision)}\n", style="bold")
    return text


def variant_stage_view(
    stage: Stage, trace: Trace, layout: Layout, projection, options: TableOptions, unit: int = 0
) -> list[RenderableType]:
    """A stage of the variant explained like a plain stage: words, equation, shapes, one unit, table."""
    step = trace.steps[0]
    body = Text()
    for heading, paragraph in (("What it does", stage.summary), ("Why it exists", stage.why)):
        body.append(heading + "\n", style="bold")
        body.append(paragraph + "\n\n")
    for label, value, style in (("Equation  ", stage.equation, None), ("NumPy     ", stage.numpy, "green"),
                                ("Shapes    ", _shapes(stage, trace, layout), None)):  # fmt: skip
        body.append(label, style="bold")
        body.append(value + "\n", style=style)
    body.append("\nWatch out\n", style="bold")
    body.append(stage.misconception)
    example = Text(
        f"Worked example: {trace.title or 'your inputs'}; weights {weights_summary(trace.weights)}.\n", style="italic"
    )
    line = unit_line(stage, step, layout, options.precision, projection, unit)
    if line is not None:
        example.append_text(line)
    return [
        Panel(body, title=f"{stage.title}   {stage.equation}", title_align="left"),
        example,
        stage_view(stage, step, options, layout.quantities),
    ]


def _shapes(stage: Stage, trace: Trace, layout: Layout) -> str:
    H, I = trace.hidden_size, trace.input_size
    P = trace.cell.proj_size or H
    sizes = {"(H,)": H, "(I,)": I, "(H+I,)": H + I, "(P,)": P, "(P+I,)": P + I}
    parts = [f"W_hr (P, H) = ({P}, {H}) times mₜ (H,) = ({H},)"] if stage.name == "projection" else []
    for name in stage.columns:
        quantity = layout.quantities[name]
        parts.append(f"{quantity.symbol} {quantity.shape} = ({sizes[quantity.shape]},)")
    return "; ".join(dict.fromkeys(parts))
