"""lstm-trace: how an LSTM (or GRU) cell computes, one stage at a time, with real numbers.

`step` traces one step, `run` a whole sequence, `grad` the backward pass; each
returns a trace of named NumPy arrays. Weights are a preset ("identity", "random",
"zeros"), a file (PyTorch, safetensors, Keras, ONNX, .npz, .json) or weights
already read; the cell is `LSTM(...)` or `GRU(...)`.

One step: the seed question, identity weights, so fₜ = σ(hₜ₋₁ + xₜ).

    >>> import numpy as np
    >>> import lstm_trace
    >>> trace = lstm_trace.step("identity", x=[-0.1, 0.3, 0.1, -0.25, 0.1], h=[0, 0.5, 0.1, 0.2, 0.6])
    >>> step = trace.steps[0]  # a StepTrace: every intermediate by its dotted name
    >>> step.forget.act.round(8)
    array([0.47502081, 0.68997448, 0.549834  , 0.4875026 , 0.66818777])
    >>> step["c"].round(4)  # Cₜ = fₜ ⊙ Cₜ₋₁ + iₜ ⊙ C̃ₜ
    array([-0.0473,  0.4582,  0.1085, -0.0244,  0.4038])
    >>> trace.notes[-1]
    'C_(t-1) was not given, so it is assumed to be zeros.'

A sequence, as torch.nn.LSTM runs it (or nn.GRU, with cell=lstm_trace.GRU()):

    >>> xs = np.random.default_rng(0).uniform(-1, 1, size=(10, 3))  # (T, I)
    >>> result = lstm_trace.run("random", xs, hidden_size=4)
    >>> result.output.shape, result.h_n.shape, result.c_n.shape
    ((10, 4), (1, 4), (1, 4))
    >>> result.trace["forget.act"].shape  # every quantity of every step: (T, B, H)
    (10, 1, 4)

Gradients of L = Σ h_T, one step back or through time to t = 0:

    >>> trace = lstm_trace.grad("random", xs, hidden_size=4)
    >>> trace.steps[0].backward.d_h_prev.round(4)  # ∂L/∂h₀
    array([-0.0001,  0.0004, -0.0002, -0.001 ])

Functions   step, run, grad; lstm_step (the plain cell alone)
Cells       LSTM(peephole=, cifg=, forget_bias=, cell_clip=, ...), GRU(reset_before=, ...): a CellOptions
Traces      Trace (what step and grad return), StepTrace, BackwardTrace, SequenceRun, SequenceTrace
Weights     presets, load_weights, read_weights_file, read_weight_cells, LSTMWeights, GRUWeights
JSON        trace_to_json, trace_from_json, read_trace (the lstm-trace/2 contract)
Errors      LSTMTraceError: UsageError (what was asked does not fit), DataError (what was read)
"""

import importlib

from .cell_options import GRU, LSTM, CellOptions
from .cells.activations import sigmoid
from .cells.lstm import lstm_step
from .engine.step import resolve_inputs, trace_step
from .errors import DataError, LSTMTraceError, UsageError
from .traces.step import BackwardTrace, StepTrace, Trace
from .weights import LSTMWeights, load_weights, presets, read_weight_cells, read_weights_file

# Loaded on first use: `lstm-trace step` starts without the sequence engine, the backward pass or JSON.
_LAZY = {
    "step": ("api", "step"),
    "run": ("api", "run"),
    "grad": ("api", "grad"),
    "SequenceRun": ("api", "SequenceRun"),
    "SequenceTrace": ("traces.sequence", "SequenceTrace"),
    "GRUWeights": ("weights.gru_weights", "GRUWeights"),
    "trace_to_json": ("io.trace_json", "dumps"),
    "trace_from_json": ("io.trace_json", "loads"),
    "read_trace": ("io.trace_json", "read_trace"),
}


def __getattr__(name: str):
    """The names of `_LAZY`, imported when first asked for."""
    if name not in _LAZY:
        raise AttributeError(f"module 'lstm_trace' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Every name, the lazy ones included, so that `help(lstm_trace)` shows them."""
    return sorted({*globals(), *_LAZY})


__all__ = [
    "BackwardTrace", "CellOptions", "DataError", "GRU", "GRUWeights", "LSTM", "LSTMTraceError", "LSTMWeights",
    "SequenceRun", "SequenceTrace", "StepTrace", "Trace", "UsageError", "grad", "load_weights", "lstm_step",
    "presets", "read_trace", "read_weight_cells", "read_weights_file", "resolve_inputs", "run", "sigmoid", "step",
    "trace_from_json", "trace_step", "trace_to_json",
]  # fmt: skip
