"""Backpropagation through time on screen: the gradient norm reaching each step, as a table
and as bars, the LSTM beside a plain tanh RNN. The numbers come in computed."""

from __future__ import annotations

import math

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from ..engine.grad import GradThroughTime
from .columns import ColumnTable
from .numbers import format_number
from .step import weights_summary
from .tables import TableOptions, row_plan

BAR_WIDTH = 10


def through_time_header(result: GradThroughTime) -> Panel:
    trace = result.trace
    lines = Text()
    lines.append(
        f"T = {result.steps} steps, H = {trace.hidden_size} hidden units, I = {trace.input_size} inputs; {trace.dtype}\n",
        style="bold",
    )
    lines.append(f"{result.label} weights: ", style="bold")
    lines.append(weights_summary(trace.weights) + "\n")
    if result.rnn_weights is not None:
        lines.append("RNN weights: ", style="bold")
        lines.append(f"hₜ = tanh(W·[hₜ₋₁ ; xₜ] + b), W is {trace.hidden_size} × {trace.hidden_size + trace.input_size}, ")
        lines.append(weights_summary(result.rnn_weights) + "\n")
    lines.append("loss: ", style="bold")
    lines.append(result.loss + ", backpropagated from t = T to t = 0\n")
    for note in trace.notes:
        lines.append("note: ", style="bold yellow")
        lines.append(note + "\n")
    lines.rstrip()
    return Panel(lines, title=trace.title or "Backpropagation through time", title_align="left", expand=False)


def norms_table(result: GradThroughTime, options: TableOptions) -> ColumnTable:
    """One row per step, from T back to 0; bars on one log scale shared by every column:
    each block is a factor of ten."""
    series = [(f"{result.label}\n‖∂L/∂hₜ‖", result.d_h_norm)]
    if result.d_c_norm is not None:
        series.append((f"{result.label}\n‖∂L/∂Cₜ‖", result.d_c_norm))
    if result.rnn_d_h_norm is not None:
        series.append(("RNN\n‖∂L/∂hₜ‖", result.rnn_d_h_norm))
    scale = LogScale.over([value for _, norms in series for value in norms])
    table = ColumnTable()
    table.add_column("t", justify="right", style="dim")
    for title, _ in series:
        table.add_column(title, justify="right")
        table.add_column("█ = 10×", justify="left")
    T = result.steps
    for position in row_plan(T + 1, options.max_rows):
        if position is None:
            table.add_row(*(Text("⋮", style="dim") for _ in range(2 * len(series) + 1)))
            continue
        t = T - position  # rows run backwards in time, the way the gradient travels
        cells = [Text(str(t))]
        for _, norms in series:
            cells.append(Text(format_number(float(norms[t]), options.precision)))
            cells.append(Text(scale.bar(float(norms[t])), style="magenta"))
        table.add_row(*cells)
    return table


def summary(result: GradThroughTime, precision: int) -> Text:
    text = Text()
    T = result.steps
    text.append(f"From t = {T} back to t = 0 the gradient keeps:\n", style="bold")
    text.append(f"  {result.label:<5} ‖∂L/∂h₀‖ / ‖∂L/∂h_T‖ = {_ratio(result.d_h_ratio)}")
    text.append("\n" if result.d_c_ratio is None else f", ‖∂L/∂C₀‖ / ‖∂L/∂C_T‖ = {_ratio(result.d_c_ratio)}\n")
    if result.rnn_d_h_ratio is not None:
        text.append(f"  RNN   ‖∂L/∂h₀‖ / ‖∂L/∂h_T‖ = {_ratio(result.rnn_d_h_ratio)}\n")
    low, high = float(result.forget_product.min()), float(result.forget_product.max())
    if result.d_c_norm is None:  # a GRU: no cell state; the direct path hₜ₋₁ → hₜ is scaled by zₜ
        text.append(
            f"Along the direct path hₜ₋₁ → hₜ each step multiplies the gradient by zₜ (no weights, no slope). "
            f"The update gate averaged {format_number(result.mean_forget, precision)} here; over the {T} steps "
            f"Π zₜ per unit lies between {low:.3g} and {high:.3g}.\n"
        )
        return text
    text.append(
        f"Along the cell state each step multiplies the gradient by fₜ (the carousel). The forget gate "
        f"averaged {format_number(result.mean_forget, precision)} here; over the {T} steps Π fₜ per unit "
        f"lies between {low:.3g} and {high:.3g}.\n"
    )
    if result.mean_forget < 0.9:
        text.append(
            "Along the cell state alone the gradient keeps only Π fₜ: raise b_f with --forget-bias (Keras "
            "starts it at 1) to bring fₜ nearer 1, and see `lstm-trace explain carousel`.\n",
            style="italic",
        )
    return text


def through_time_views(result: GradThroughTime, options: TableOptions) -> list[RenderableType]:
    return [through_time_header(result), Group(norms_table(result, options), Text("")), summary(result, options.precision)]


def _ratio(value: float) -> str:
    # Three significant digits: a ratio of 1.2e-4 printed as 0.0001 would hide its size.
    return "— (the gradient at T is zero)" if math.isnan(value) else f"{value:.3g}"


class LogScale:
    """One block per power of ten below the largest value, so a geometric decay is a straight slope.

    Values more than `width` decades below the largest get a dot: not zero, but off the scale.
    """

    def __init__(self, high: float) -> None:
        self.high = high

    @classmethod
    def over(cls, values: list[float]) -> "LogScale":
        return cls(max((v for v in values if math.isfinite(v)), default=0.0))

    def bar(self, value: float, width: int = BAR_WIDTH) -> str:
        if not value > 0 or not self.high > 0:
            return ""
        blocks = round(width + math.log10(value / self.high))
        return "█" * min(width, blocks) if blocks >= 1 else "·"
