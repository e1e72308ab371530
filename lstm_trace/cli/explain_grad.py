"""`lstm-trace explain grad` and `explain carousel`: the backward pass, with the user's numbers.

Reached through `explain`, which resolves the inputs as for every other stage.
"""

from __future__ import annotations

from dataclasses import replace

from rich.console import RenderableType

from ..cell_options import PLAIN
from ..engine.carousel import carousel_outlook
from ..engine.grad import resolve_upstream, trace_backward_step, with_forget_bias
from ..engine.step import StepInputs
from ..errors import UsageError
from ..render.grad_explain import grad_explain_view
from ..render.tables import TableOptions


def explain_backward(topic: str, inputs: StepInputs, options: TableOptions) -> list[RenderableType]:
    """One step backward with L = Σ hₜ (∂L/∂hₜ = ones, nothing carried in), then the explanation."""
    inputs = plain_lstm_inputs(inputs, f"`explain {topic}`")
    upstream = resolve_upstream(None, None, inputs)
    trace = trace_backward_step(inputs, upstream)
    return grad_explain_view(topic, trace, upstream.loss, carousel_outlook(trace.steps[0]), options)


def plain_lstm_inputs(inputs: StepInputs, what: str) -> StepInputs:
    """The backward pass is traced for the plain LSTM; a forget bias is folded into b_f."""
    cell = inputs.cell
    if replace(cell, forget_bias=0.0) != PLAIN:
        raise UsageError(
            f"{what} follows the backward pass of the plain LSTM; of the cell options it takes --forget-bias "
            f"only (got {', '.join(f'{k}={v}' for k, v in cell.to_dict().items() if v != getattr(PLAIN, k))})."
        )
    return with_forget_bias(replace(inputs, cell=PLAIN), cell.forget_bias)
