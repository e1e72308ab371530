"""`explain`: what a stage does, why, its equation and shapes, the mistake it clears up,
and a worked example with real numbers; for a cell with options, first its page.

Words come from the registry (`stages`: the cell's layout and `stages.pages`);
numbers from the trace and from `examples.py`. Nothing here computes."""

from __future__ import annotations

from rich.console import RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..engine.examples import Contrast, UnitSum, WorkedExample
from ..stages import GATE_BY_NAME, Layout, Stage
from ..stages.pages import Page
from ..traces.step import StepTrace, Trace
from .numbers import format_number, format_vector
from .step import weights_summary
from .tables import TableOptions, stage_view
from .unit_lines import gate_line, unit_line


def explain_view(
    stage: Stage, trace: Trace, layout: Layout, worked: WorkedExample, options: TableOptions
) -> list[RenderableType]:
    step = trace.steps[0]
    p = options.precision
    body = Text()
    _section(body, "What it does", stage.summary)
    _section(body, "Why it exists", stage.why)
    body.append("Equation  ", style="bold")
    body.append(stage.equation + "\n")
    body.append("NumPy     ", style="bold")
    body.append(stage.numpy + "\n", style="green")
    body.append("Shapes    ", style="bold")
    body.append(_shapes(stage, trace, layout) + "\n\n")
    body.append("Watch out\n", style="bold")
    body.append(stage.misconception)
    example = Text()
    example.append(f"Worked example: {trace.title or 'your inputs'}; weights {weights_summary(trace.weights)}.\n", style="italic")
    if stage.name in worked.sums:
        _unit_sum(example, worked.sums[stage.name], step, layout, p)
    else:
        line = unit_line(stage, step, layout, p, worked.projection, worked.unit)
        if line is not None:
            example.append_text(line)
    if stage.name in worked.sums and worked.contrast is not None:  # a gate with weights of its own
        _gate_contrast(example, stage.name, step, trace, worked.contrast, p)
    return [
        Panel(body, title=Text(f"{stage.title}   {stage.equation}"), title_align="left"),
        example,
        stage_view(stage, step, options, layout.quantities),
    ]


def cell_page(trace: Trace, layout: Layout, pages: list[Page], worked: WorkedExample, options: TableOptions) -> list:
    """What a cell with options changes, why it was proposed, where you meet it; its equations; a worked example."""
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
        _page_example(trace, layout, worked, options.precision),
    ]


def _page_example(trace: Trace, layout: Layout, worked: WorkedExample, precision: int) -> Text:
    step = trace.steps[0]
    text = Text()
    text.append(
        f"Worked example: {trace.title or 'your inputs'}; weights {weights_summary(trace.weights)}.\n", style="italic"
    )
    for stage in layout.stages:
        line = unit_line(stage, step, layout, precision, worked.projection, worked.unit)
        if line is not None:
            text.append_text(line)
    comparison = worked.comparison
    if comparison is not None:
        text.append(f"\nBeside {comparison.label}:\n", style="bold")
        rows = [("hₜ", "h")]  # a GRU shares only h with the LSTM
        if layout.variant != "gru":
            rows = [("fₜ", "forget.act"), ("iₜ", "input.act"), ("oₜ", "output.act"), ("Cₜ", "c"), *rows]
        for symbol, name in rows:
            text.append(f"  plain LSTM  {symbol} = {format_vector(comparison.step[name], precision)}\n")
            text.append(f"  this cell   {symbol} = {format_vector(step[name], precision)}\n", style="bold")
    return text


def _section(text: Text, heading: str, paragraph: str) -> None:
    text.append(heading + "\n", style="bold")
    text.append(paragraph + "\n\n")


def _shapes(stage: Stage, trace: Trace, layout: Layout) -> str:
    H, I = trace.hidden_size, trace.input_size
    P = trace.cell.proj_size or H
    h = "P" if trace.cell.proj_size is not None else "H"  # the length of h, and of z's first part
    sizes = {"(H,)": f"({H},)", "(I,)": f"({I},)", "(H+I,)": f"({H + I},)", "(P,)": f"({P},)", "(P+I,)": f"({P + I},)"}
    parts = []
    if stage.name == "concat":
        parts = [f"hₜ₋₁ {sizes[f'({h},)']} and xₜ {sizes['(I,)']} give z {sizes[f'({h}+I,)']}"]
    if stage.name == "projection":
        parts = [f"W_hr (P, H) = ({P}, {H}) times mₜ (H,) = ({H},)"]
    if stage.name in GATE_BY_NAME and f"{stage.name}.wz" in layout.quantities:
        parts.append(f"W_{GATE_BY_NAME[stage.name].letter} (H, {h}+I) = ({H}, {P + I})")
    for name in stage.columns:
        quantity = layout.quantities[name]
        if stage.name != "concat":
            parts.append(f"{quantity.symbol} {quantity.shape} = {sizes[quantity.shape]}")
    return "; ".join(dict.fromkeys(parts))


MAX_TERMS = 8


def _unit_sum(text: Text, unit: UnitSum, step: StepTrace, layout: Layout, p: int) -> None:
    gate = GATE_BY_NAME[unit.gate]
    L, j, H = gate.letter, unit.unit, len(step.h_prev)
    text.append(f"Unit {j}: W_{L}[{j}, :]·z sums weight × entry over z (terms with weight 0 left out):\n")
    terms = [
        f"{format_number(w, p)}×{format_number(z, p)} ({'hₜ₋₁' if k < H else 'xₜ'}[{k if k < H else k - H}])"
        for k, w, z in zip(unit.columns, unit.weights, unit.inputs)
    ]
    if len(terms) > MAX_TERMS:
        terms = terms[:MAX_TERMS] + [f"… {len(terms) - MAX_TERMS} more terms"]
    text.append(f"  W_{L}[{j}, :]·z = {' + '.join(terms) or '0 (every weight is zero)'} = {format_number(unit.wz, p)}\n")
    text.append(f"  {gate_line(unit.gate, step, layout.quantities, j, p)}\n", style="bold")
    if gate.role and layout.quantities[f"{unit.gate}.act"].kind == "gate":
        act = float(step.gate(unit.gate).act[j])
        share = f"{100 * act:.1f}%"
        text.append(
            f"  {format_number(act, p)} is a fraction, not a switch: unit {j} "
            f"{gate.role.format(share=share, unit=j)}.\n"
        )


def _gate_contrast(text: Text, gate_name: str, step: StepTrace, trace: Trace, contrast: Contrast, p: int) -> None:
    gate = GATE_BY_NAME[gate_name]
    ours = step.gate(gate_name).act
    theirs = contrast.step.gate(gate_name).act
    text.append("\nConcatenation vs addition\n", style="bold")
    if contrast.activation_of_sum is not None:
        identity = trace.weights.get("source") == "identity"
        shortcut = contrast.activation_of_sum[gate_name]
        text.append(f"  {gate.activation_symbol}(hₜ₋₁ + xₜ) = {format_vector(shortcut, p)}\n")
        if identity:
            text.append(
                f"  With the identity preset W_{gate.letter}·z = hₜ₋₁ + xₜ (H = I), so that is exactly "
                f"{gate.symbol} here. It holds for this preset only.\n"
            )
    else:
        text.append(f"  hₜ₋₁ has {trace.hidden_size} entries and xₜ has {trace.input_size}: z = [hₜ₋₁ ; xₜ] joins them; adding them is not even defined.\n")
    text.append(f"  With {contrast.weights_source} the same inputs give {gate.symbol} = {format_vector(theirs, p)}\n")
    text.append(f"  (these weights: {gate.symbol} = {format_vector(ours, p)}).\n")
    if gate_name in contrast.bias_outside:
        text.append("Bias inside the activation\n", style="bold")
        text.append(
            f"  With {contrast.weights_source}, σ(W_{gate.letter}·z + b_{gate.letter}) = {format_vector(theirs, p)}, "
            f"but the misplaced σ(W_{gate.letter}·z) + b_{gate.letter} = "
            f"{format_vector(contrast.bias_outside[gate_name], p)}, which need not even lie in (0, 1).\n"
        )
