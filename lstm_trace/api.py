"""`step`, `run` and `grad`: what the commands compute, called from Python.

Each function is thin: it turns what it is given into arrays, hands them to the
resolver the commands use (`tracer.resolve_inputs`, `grad_tracer.resolve_upstream`,
`sequence_inputs.resolve_sequence_inputs`: presets, weights files and the cell they
hold, defaults, sizes, notes and the errors for what does not fit), then to the
engine, and returns the trace. Keyword names follow the command-line options
(`--hidden-size` is `hidden_size`), and error messages name those options.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence, Union

import numpy as np

from .cell_options import PLAIN, CellOptions
from .engine.grad import resolve_upstream, trace_backward_step, trace_through_time
from .engine.sequence_inputs import SequenceRequest, resolve_sequence_inputs
from .engine.stack import CellKey, SequenceStream
from .engine.step import resolve_inputs, trace_step
from .errors import UsageError, shape_text
from .traces.sequence import SequenceInfo, SequenceTrace, pytorch_layout
from .traces.step import Trace
from .weights import LayerSelection, LSTMWeights, WeightsFile
from .weights.gru_weights import GRUWeights

__all__ = ["SequenceRun", "grad", "run", "step"]

Weights = Union[str, Path, LSTMWeights, GRUWeights, None]  # a preset name, a file, or weights already read
ArrayLike = Union[Sequence[float], np.ndarray, None]


def step(
    weights: Weights = None,
    x: ArrayLike = None,
    h: ArrayLike = None,
    c: ArrayLike = None,
    *,
    preset: str | None = None,
    cell: CellOptions | None = None,
    hidden_size: int | None = None,
    seed: int = 0,
    dtype: str = "float64",
    layer: int | str | None = None,
    direction: str | None = None,
) -> Trace:
    """One step of the cell, every intermediate kept (as `lstm-trace step`).

    weights      "identity", "random" or "zeros" (sized by x and h, or by hidden_size),
                 a weights file (.pt, .safetensors, .keras, .h5, .onnx, .npz, .json),
                 or LSTMWeights / GRUWeights already read. Default: the preset's own
                 weights, else "identity".
    x            xₜ, shape (I,)
    h, c         hₜ₋₁ (H,), or (P,) with a projection, and Cₜ₋₁ (H,); a GRU takes no c.
                 Zeros when omitted (a note says so).
    preset       a scenario ("seed-question", "long-memory", ...) that gives x, h, c and
                 weights; what is passed explicitly wins.
    cell         LSTM(...) or GRU(...); default the plain LSTM, joined with the options a
                 weights file states (a GRU file runs a GRU).
    hidden_size  H, for a weights preset when h is not given ("identity" given neither: H = I).
    seed         of the "random" weights preset.
    dtype        "float64" or "float32".
    layer, direction  which cell of a weights file that holds several.

    Returns a Trace of one StepTrace: `trace.steps[0].forget.act` (or
    `trace.steps[0]["forget.act"]`) is fₜ, and `trace.notes` says what was assumed.
    Sizes that do not fit raise UsageError; a file that cannot be read, DataError.
    """
    given = _step_inputs(weights, x, h, c, preset, cell, hidden_size, seed, dtype, layer, direction)
    return trace_step(resolve_inputs(**given))


def grad(
    weights: Weights = None,
    x: ArrayLike = None,
    h: ArrayLike = None,
    c: ArrayLike = None,
    *,
    d_h: ArrayLike = None,
    d_c: ArrayLike = None,
    preset: str | None = None,
    cell: CellOptions | None = None,
    hidden_size: int | None = None,
    seed: int = 0,
    dtype: str = "float64",
    layer: int | str | None = None,
    direction: str | None = None,
) -> Trace:
    """The backward pass (as `lstm-trace grad`): one step for x of shape (I,), backpropagation
    through time for a sequence x of shape (T, I), starting from h₀ = h and C₀ = c.

    The loss is L = Σ d_h ⊙ h + Σ d_c ⊙ C at the last step: d_h (H,), or (P,) with a
    projection, defaults to ones and d_c (H,) to zeros, so L = Σ hₜ (a GRU takes no d_c).
    Every other argument is as in `step`.

    Returns a Trace whose every step carries its gradients in `.backward` (a BackwardTrace):
    `backward.d_h_prev`, `backward.d_x`, `backward.forget.d_W`, `backward["forget.d_preact"]`,
    ... Through time, `trace.steps[0].backward.d_h_prev` is ∂L/∂h₀, and ∂L/∂W_g of the whole
    sequence is the sum of the steps' `d_W`.
    """
    xs = _array(x, "x", "(I,) for one step or (T, I) for a sequence", (1, 2))
    sequence = xs is not None and xs.ndim == 2
    x = xs[0] if sequence else xs  # sizes and weights resolve as for one step; every row has the same I
    given = _step_inputs(weights, x, h, c, preset, cell, hidden_size, seed, dtype, layer, direction)
    inputs = resolve_inputs(**given, x_option="each step of --xs" if sequence else "--x")
    d_h, d_c = _array(d_h, "d_h", "(H,)", (1,)), _array(d_c, "d_c", "(H,)", (1,))
    if not sequence:
        return trace_backward_step(inputs, resolve_upstream(d_h, d_c, inputs))
    return trace_through_time(inputs, xs, resolve_upstream(d_h, d_c, inputs, last="_T")).trace


@dataclass(frozen=True)
class SequenceRun:
    """What `run` computed: the run described, every cell's trace, and the outputs as PyTorch returns them.

    info     SequenceInfo: sizes, the cell, the weights' provenance, notes (the JSON trace's header)
    traces   {(layer, "forward" | "reverse"): SequenceTrace}, every quantity of every step as
             (T, B, size) arrays in the order computed (a reverse cell's from t = T down)
    output   (T, B, D·H), (B, T, D·H) with batch_first, or (T, D·H) for one sequence (P for H with a projection)
    h_n      (L·D, B, H), or (L·D, H) for one sequence
    c_n      like h_n; None for a GRU, as torch.nn.GRU returns none
    """

    info: SequenceInfo
    traces: Mapping[CellKey, SequenceTrace]
    output: np.ndarray
    h_n: np.ndarray
    c_n: np.ndarray | None

    @property
    def trace(self) -> SequenceTrace:
        """The trace of the one cell that ran: `run.trace["forget.act"]` is (T, B, H)."""
        if len(self.traces) != 1:
            raise UsageError(
                f"This run has {len(self.traces)} cells, {sorted(self.traces)}: "
                f"pick one with run.traces[(layer, direction)]."
            )
        return next(iter(self.traces.values()))


def run(
    weights: Weights | WeightsFile | Mapping[CellKey, LSTMWeights | GRUWeights] = None,
    xs: ArrayLike = None,
    h0: ArrayLike = None,
    c0: ArrayLike = None,
    *,
    batch_first: bool = False,
    preset: str | None = None,
    cell: CellOptions | None = None,
    hidden_size: int | None = None,
    seed: int = 0,
    dtype: str = "float64",
    layer: int | str | None = None,
    direction: str | None = None,
) -> SequenceRun:
    """The cell over a whole sequence, every step traced (as `lstm-trace run`); a weights file
    of several layers and directions runs as a stack, the way torch.nn.LSTM / nn.GRU runs it.

    weights      as in `step`; also a WeightsFile or {(layer, "forward" | "reverse"): weights},
                 which run as a stack unless layer/direction pick one cell.
    xs           (T, I) for one sequence, (T, B, I) for a batch, or (B, T, I) with batch_first.
    h0, c0       the initial states: (H,) for every cell and sequence, or (L·D, H) / (L·D, B, H)
                 as torch.nn.LSTM takes them; zeros when omitted. A GRU takes no c0.
    Every other argument is as in `step`.

    Returns a SequenceRun: `.output`, `.h_n`, `.c_n` as PyTorch returns them, `.trace` (the
    one cell's SequenceTrace) or `.traces` (every cell's), `.info` (sizes, cell, notes).
    """
    if xs is None:
        raise UsageError("No input sequence: give xs, of shape (T, I) or (T, B, I).")
    if isinstance(weights, (LSTMWeights, GRUWeights)):
        weights = {(0, "forward"): weights}
    if isinstance(weights, Mapping):  # cells already read: a file, as far as the resolver is concerned
        source = next(iter(weights.values())).provenance.get("source", "weights given in Python")
        weights = WeightsFile(path=str(source), framework="python", cells=dict(weights))
    inputs = resolve_sequence_inputs(SequenceRequest(
        xs=_array(xs, "xs", "(T, I), or (T, B, I) ((B, T, I) with batch_first)", (2, 3)),
        h=_array(h0, "h0", "(H,), (cells, H) or (cells, B, H)", (1, 2, 3)),
        c=_array(c0, "c0", "(H,), (cells, H) or (cells, B, H)", (1, 2, 3)),
        preset=preset, weights=weights, seed=seed, hidden_size=hidden_size, dtype=dtype,
        layer=None if layer is None else str(layer), direction=direction, batch_first=batch_first,
        cell=PLAIN if cell is None else cell,
    ))  # fmt: skip
    info = inputs.info
    stream = SequenceStream(inputs.cells, inputs.xs, inputs.h0, inputs.c0, cell=info.cell, chunk_steps=None,
                            label_layers=info.stacked)  # fmt: skip
    chunks = list(stream)  # chunk_steps=None: one chunk of all T steps per cell, in the order of inputs.cells
    traces = dict(zip(inputs.cells, chunks, strict=True))
    batched = info.batch_size is not None
    return SequenceRun(
        info=info,
        traces=traces,
        output=pytorch_layout(stream.output, batched, batch_first),
        h_n=stream.h_n if batched else stream.h_n[:, 0],
        c_n=None if stream.c_n is None else stream.c_n if batched else stream.c_n[:, 0],
    )


def _step_inputs(weights, x, h, c, preset, cell, hidden_size, seed, dtype, layer, direction) -> dict[str, Any]:
    """The keywords of `resolve_inputs` for one step, the vectors checked and as float64 arrays."""
    return dict(
        preset=preset, weights=weights, seed=seed, hidden_size=hidden_size, dtype=dtype, cell=cell,
        x=_array(x, "x", "(I,)", (1,)), h=_array(h, "h", "(H,)", (1,)), c=_array(c, "c", "(H,)", (1,)),
        selection=LayerSelection(None if layer is None else str(layer), direction),
    )  # fmt: skip


def _array(value: ArrayLike, name: str, shapes: str, ndims: tuple[int, ...]) -> np.ndarray | None:
    """`value` (a list, an array) as a float64 array of `ndims` dimensions, finite, or None."""
    if value is None:
        return None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        found = f"{value!r:.60}"
        raise UsageError(f"{name} must be numbers (a list or an array) of shape {shapes}; found {found}.") from None
    if array.ndim not in ndims or array.size == 0:
        raise UsageError(f"{name} has shape {shape_text(array.shape)}; expected {shapes}.")
    if not np.all(np.isfinite(array)):
        raise UsageError(f"{name} contains NaN or infinity; every value must be a finite number.")
    return array

