"""From what the user gave `grad` to traces with gradients: upstream gradients resolved, then
the backward pass of one step, or backpropagation through time with an RNN beside it.

Like `tracer.py` for the forward pass, this is where defaults are filled in and
sizes checked, so the command stays thin and the renderers only draw.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..cells.rnn import random_rnn, rnn_through_time
from ..cells.step import cell_backward
from ..errors import UsageError
from ..traces.step import Trace
from .bptt import through_time
from .step import StepInputs, trace_step


@dataclass(frozen=True)
class Upstream:
    """The gradients arriving at the last step: ∂L/∂h and ∂L/∂C (from a next step; None for a GRU)."""

    d_h: np.ndarray  # (H,), (P,) with a projection
    d_c: np.ndarray | None  # (H,)
    loss: str  # the loss these gradients stand for: "L = Σ hₜ"
    notes: tuple[str, ...] = ()


def resolve_upstream(d_h: np.ndarray | None, d_c: np.ndarray | None, inputs: StepInputs, last: str = "ₜ") -> Upstream:
    """--dh defaults to ones (L = Σ h), --dc to zeros (no step after this one); a GRU takes no --dc.

    --dh has one entry per entry of h (P with a projection), --dc one per cell unit.
    `last` is the subscript of the step the gradients arrive at: "ₜ" for one step, "_T" for a sequence.
    """
    weights, cell = inputs.weights, inputs.cell
    h_size, H = weights.h_size, weights.hidden_size
    if d_h is not None and d_h.shape != (h_size,):
        letter = "P" if h_size != H else "H"
        raise UsageError(
            f"--dh has {d_h.size} entries, but the hidden state has {letter} = {h_size} units, "
            f"so --dh must have shape ({h_size},): one gradient per unit."
        )
    if not cell.has_cell_state and d_c is not None:
        raise UsageError("A GRU has no cell state C, so there is no ∂L/∂C to give: drop --dc.")
    if d_c is not None and d_c.shape != (H,):
        raise UsageError(
            f"--dc has {d_c.size} entries, but the hidden state has H = {H} units, "
            f"so --dc must have shape ({H},): one gradient per unit."
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
    dtype = weights.dtype
    return Upstream(d_h=d_h.astype(dtype), d_c=None if d_c is None else d_c.astype(dtype), loss=loss, notes=tuple(notes))


def with_forget_bias(inputs: StepInputs, forget_bias: float) -> StepInputs:
    """Add `forget_bias` to every b_f, as Keras does at initialisation (by 1) to open the carousel."""
    if forget_bias == 0:
        return inputs
    if not inputs.cell.has_cell_state:
        raise UsageError("--forget-bias shifts the forget gate, and a GRU has none (its gates are r, z and n).")
    weights = inputs.weights
    b = {**weights.b, "forget": weights.b["forget"] + np.asarray(forget_bias, weights.dtype)}
    provenance = {**weights.provenance, "forget_bias": float(forget_bias)}
    note = f"--forget-bias {forget_bias:g} was added to every b_f (Keras starts b_f at 1)."
    return replace(inputs, weights=replace(weights, b=b, provenance=provenance), notes=(*inputs.notes, note))


def trace_backward_step(inputs: StepInputs, upstream: Upstream) -> Trace:
    """One step forward with `trace_step`, then backward; the step carries its gradients."""
    trace = trace_step(inputs)
    step = trace.steps[0]
    backward = cell_backward(step, inputs.weights, upstream.d_h, upstream.d_c)
    return replace(trace, steps=(step.with_backward(backward),), notes=(*trace.notes, *upstream.notes))


@dataclass(frozen=True)
class GradThroughTime:
    """Backpropagation through time: the LSTM trace, its gradient norms, and the RNN's beside it."""

    trace: Trace  # T steps, each with its backward
    loss: str
    d_h_norm: np.ndarray  # (T+1,)  ‖∂L/∂hₜ‖, t = 0 … T
    d_c_norm: np.ndarray | None  # (T+1,)  ‖∂L/∂Cₜ‖; None for a GRU, which has no cell state
    mean_forget: float  # fₜ averaged over steps and units (a GRU's zₜ, its direct path's factor)
    forget_product: np.ndarray  # (H,)  Π_t fₜ per unit: what the carousel alone keeps of ∂L/∂C_T at t = 0
    rnn_d_h_norm: np.ndarray | None = None  # (T+1,)  the plain tanh RNN's ‖∂L/∂hₜ‖
    rnn_weights: dict | None = None  # the RNN's provenance
    label: str = "LSTM"  # the cell's short name in the table's headings

    @property
    def steps(self) -> int:
        return len(self.trace.steps)

    @property
    def d_h_ratio(self) -> float:
        """‖∂L/∂h₀‖ / ‖∂L/∂h_T‖: how much of the gradient reaches the start."""
        return _ratio(self.d_h_norm)

    @property
    def d_c_ratio(self) -> float | None:
        return None if self.d_c_norm is None else _ratio(self.d_c_norm)

    @property
    def rnn_d_h_ratio(self) -> float | None:
        return None if self.rnn_d_h_norm is None else _ratio(self.rnn_d_h_norm)


def _ratio(norms: np.ndarray) -> float:
    return float(norms[0] / norms[-1]) if norms[-1] else float("nan")


def trace_through_time(
    inputs: StepInputs,
    xs: np.ndarray,
    upstream: Upstream,
    compare_rnn: bool = False,
    seed: int = 0,
    weight_grads: bool = True,
) -> GradThroughTime:
    """Run the cell over xs (T, I) from inputs.h_prev (and inputs.c_prev) and backpropagate to t = 0.

    `weight_grads=False` skips the per-step ∂L/∂W_g (the norms do not need them).
    """
    weights, cell = inputs.weights, inputs.cell
    xs = xs.astype(weights.dtype)
    c0 = inputs.c_prev if cell.has_cell_state else None
    run = through_time(weights, xs, inputs.h_prev, c0, upstream.d_h, upstream.d_c, weight_grads, cell)
    trace = Trace(
        hidden_size=weights.hidden_size, input_size=weights.input_size, dtype=str(weights.dtype),
        weights=dict(weights.provenance), steps=run.steps, title=inputs.title,
        notes=(*inputs.notes, *upstream.notes), cell=cell,
    )  # fmt: skip
    keep = [step.forget.act if cell.has_cell_state else step.update.act for step in run.steps]  # fₜ, or a GRU's zₜ
    rnn_norm = rnn_weights = None
    if compare_rnn:
        rnn = random_rnn(weights.h_size, weights.input_size, seed, str(weights.dtype))
        # The RNN has no cell state, so only ∂L/∂h_T reaches it: its loss is the h part of the LSTM's.
        rnn_run = rnn_through_time(rnn, xs, inputs.h_prev, upstream.d_h)
        rnn_norm, rnn_weights = np.linalg.norm(rnn_run.d_h, axis=1), dict(rnn.provenance)
    return GradThroughTime(
        trace=trace, loss=upstream.loss, d_h_norm=run.d_h_norm, d_c_norm=run.d_c_norm,
        mean_forget=float(np.mean(keep)), forget_product=np.prod(keep, axis=0),
        rnn_d_h_norm=rnn_norm, rnn_weights=rnn_weights, label="GRU" if cell.variant == "gru" else "LSTM",
    )  # fmt: skip


def through_time_to_dict(result: GradThroughTime) -> dict:
    """The `"through_time"` block of the JSON trace: the norms shown on screen."""
    content = {
        "loss": result.loss,
        "t": list(range(result.steps + 1)),
        "d_h_norm": result.d_h_norm.tolist(),
        **({} if result.d_c_norm is None else {"d_c_norm": result.d_c_norm.tolist()}),
        "mean_forget": result.mean_forget,
        "forget_product": result.forget_product.tolist(),
    }
    if result.rnn_d_h_norm is not None:
        content["rnn"] = {"weights": result.rnn_weights, "d_h_norm": result.rnn_d_h_norm.tolist()}
    return content
