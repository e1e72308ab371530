"""From what the user gave `grad` to a variant cell's gradients: upstream gradients sized for
the cell, then one step's backward pass or backpropagation through time.

The plain cell's counterpart is `lstm_trace/grad_tracer.py`; like it, this is where defaults
are filled in and sizes checked, so the command stays thin and the renderers only draw.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import UsageError
from ..grad_tracer import GradThroughTime, Upstream
from ..rnn import random_rnn, rnn_through_time
from ..stages import layout_for
from ..traces import Trace
from ..tracer import StepInputs, trace_step
from .backward import variant_step_backward
from .backward_trace import VariantBackward
from .bptt import variant_through_time


def resolve_variant_upstream(
    d_h: np.ndarray | None, d_c: np.ndarray | None, inputs: StepInputs, last: str = "ₜ"
) -> Upstream:
    """--dh has one entry per entry of h (P with a projection), --dc one per cell unit; a GRU takes no --dc."""
    weights, cell = inputs.weights, inputs.cell
    h_size, H, dtype = weights.h_size, weights.hidden_size, weights.dtype
    if d_h is not None and d_h.shape != (h_size,):
        raise UsageError(
            f"--dh has {d_h.size} entries, but h{last} of this {layout_for(cell).title} has {h_size}, so --dh must "
            f"have shape ({h_size},): one gradient per entry of h."
        )
    if not cell.has_cell_state and d_c is not None:
        raise UsageError("A GRU has no cell state C, so there is no ∂L/∂C to give: drop --dc.")
    if d_c is not None and d_c.shape != (H,):
        raise UsageError(
            f"--dc has {d_c.size} entries, but the cell state has H = {H} units, so --dc must have shape ({H},)."
        )
    notes = []
    if d_h is None:
        d_h = np.ones(h_size)
        notes.append(f"∂L/∂h{last} was not given (--dh), so it is ones: the loss is L = Σ h{last}.")
    if d_c is None and cell.has_cell_state:
        d_c = np.zeros(H)
        notes.append(f"∂L/∂C{last} from a next step was not given (--dc), so it is zeros: no step follows.")
    plain_sum = bool(np.all(d_h == 1) and (d_c is None or not np.any(d_c)))
    loss = f"L = Σ h{last}" if plain_sum else f"L = Σ dh ⊙ h{last}" + ("" if d_c is None else f" + Σ dc ⊙ C{last}")
    return Upstream(
        d_h=d_h.astype(dtype), d_c=None if d_c is None else d_c.astype(dtype), loss=loss, notes=tuple(notes)
    )


def check_forget_bias(inputs: StepInputs, forget_bias: float) -> None:
    if forget_bias != 0 and not inputs.cell.has_cell_state:
        raise UsageError("--forget-bias shifts the forget gate, and a GRU has none (its gates are r, z and n).")


def trace_variant_backward_step(inputs: StepInputs, upstream: Upstream) -> tuple[Trace, VariantBackward]:
    """One step forward with `trace_step`, then its backward pass."""
    trace = trace_step(inputs)
    backward = variant_step_backward(trace.steps[0], inputs.weights, inputs.cell, upstream.d_h, upstream.d_c)
    return replace(trace, notes=(*trace.notes, *upstream.notes)), backward


def trace_variant_through_time(
    inputs: StepInputs, xs: np.ndarray, upstream: Upstream, compare_rnn: bool = False, seed: int = 0,
    weight_grads: bool = True,
) -> tuple[GradThroughTime, tuple[VariantBackward, ...]]:
    """Run the cell over xs (T, I) and backpropagate to t = 0; the norms as for the plain cell."""
    weights, cell = inputs.weights, inputs.cell
    xs = xs.astype(weights.dtype)
    c0 = inputs.c_prev if cell.has_cell_state else None
    run = variant_through_time(weights, cell, xs, inputs.h_prev, c0, upstream.d_h, upstream.d_c, weight_grads)
    trace = Trace(
        hidden_size=weights.hidden_size, input_size=weights.input_size, dtype=str(weights.dtype),
        weights=dict(weights.provenance), steps=run.steps, title=inputs.title,
        notes=(*inputs.notes, *upstream.notes), cell=cell,
    )  # fmt: skip
    keep = [step.forget.act if cell.has_cell_state else step.update.act for step in run.steps]  # fₜ, or a GRU's zₜ
    rnn_norm = rnn_weights = None
    if compare_rnn:
        H, h0 = weights.h_size, inputs.h_prev
        rnn = random_rnn(H, weights.input_size, seed, str(weights.dtype))
        rnn_run = rnn_through_time(rnn, xs, h0, upstream.d_h)
        rnn_norm, rnn_weights = np.linalg.norm(rnn_run.d_h, axis=1), dict(rnn.provenance)
    result = GradThroughTime(
        trace=trace, loss=upstream.loss, d_h_norm=run.d_h_norm, d_c_norm=run.d_c_norm,
        mean_forget=float(np.mean(keep)), forget_product=np.prod(keep, axis=0),
        rnn_d_h_norm=rnn_norm, rnn_weights=rnn_weights, label="GRU" if cell.variant == "gru" else "LSTM",
    )  # fmt: skip
    return result, run.backward
