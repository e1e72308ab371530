"""lstm-trace: how an LSTM cell computes, one stage at a time, with real numbers.

    >>> import numpy as np
    >>> from lstm_trace import lstm_step, presets
    >>> weights = presets.identity(hidden_size=5, input_size=5)
    >>> step = lstm_step(weights, x=[-0.1, 0.3, 0.1, -0.25, 0.1], h_prev=[0, 0.5, 0.1, 0.2, 0.6])
    >>> np.round(step.forget.act, 8)
    array([0.47502081, 0.68997448, 0.549834  , 0.4875026 , 0.66818777])
"""

from .cells.activations import sigmoid
from .cells.lstm import lstm_step
from .errors import DataError, LSTMTraceError, UsageError
from .stages import GATES, QUANTITIES, STAGES
from .traces import GateTrace, StepTrace, Trace
from .tracer import StepInputs, resolve_inputs, trace_step
from .weights import LSTMWeights, load_weights, presets

# The JSON functions load `json` and `tempfile`; `step` without --json never needs them.
_FROM_TRACE_JSON = {"trace_to_json": "dumps", "trace_from_json": "loads", "read_trace": "read_trace"}


def __getattr__(name: str):
    if name in _FROM_TRACE_JSON:
        from . import trace_json

        return getattr(trace_json, _FROM_TRACE_JSON[name])
    raise AttributeError(f"module 'lstm_trace' has no attribute {name!r}")

__all__ = [
    "DataError", "GATES", "GateTrace", "LSTMTraceError", "LSTMWeights", "QUANTITIES", "STAGES",
    "StepInputs", "StepTrace", "Trace", "UsageError", "load_weights", "lstm_step", "presets",
    "read_trace", "resolve_inputs", "sigmoid", "trace_from_json", "trace_step", "trace_to_json",
]  # fmt: skip
