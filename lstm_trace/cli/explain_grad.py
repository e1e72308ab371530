"""`lstm-trace explain grad` and `explain carousel`: the backward pass, with the user's numbers.

Reached through `explain`, which resolves the inputs as for every other stage.
"""

from __future__ import annotations

from rich.console import Console

from ..grad_tracer import resolve_upstream, trace_backward_step
from ..render.grad_explain import grad_explain_view
from ..render.tables import TableOptions
from ..tracer import StepInputs
from ..worked_grad import carousel_outlook


def explain_backward(topic: str, inputs: StepInputs, options: TableOptions, console: Console) -> None:
    """One step backward with L = Σ hₜ (∂L/∂hₜ = ones, nothing carried in), then the explanation."""
    upstream = resolve_upstream(None, None, inputs.weights.hidden_size, str(inputs.weights.dtype))
    trace = trace_backward_step(inputs, upstream)
    for view in grad_explain_view(topic, trace, upstream.loss, carousel_outlook(trace.steps[0]), options):
        console.print(view)
