"""lstm-trace: how an LSTM cell computes, one stage at a time, with real numbers.

    >>> import numpy as np
    >>> from lstm_trace import lstm_step, presets
    >>> weights = presets.identity(hidden_size=5, input_size=5)
    >>> step = lstm_step(weights, x=[-0.1, 0.3, 0.1, -0.25, 0.1], h_prev=[0, 0.5, 0.1, 0.2, 0.6])
    >>> np.round(step.forget.act, 8)
    array([0.47502081, 0.68997448, 0.549834  , 0.4875026 , 0.66818777])
"""

from .cell import lstm_step, sigmoid
from .errors import DataError, LSTMTraceError, UsageError
from .stages import GATES, QUANTITIES, STAGES
from .trace import GateTrace, StepTrace, Trace
from .trace_json import dumps as trace_to_json
from .trace_json import loads as trace_from_json
from .trace_json import read_trace
from .tracer import StepInputs, resolve_inputs, trace_step
from .weights import LSTMWeights, load_weights, presets

__all__ = [
    "DataError", "GATES", "GateTrace", "LSTMTraceError", "LSTMWeights", "QUANTITIES", "STAGES",
    "StepInputs", "StepTrace", "Trace", "UsageError", "load_weights", "lstm_step", "presets",
    "read_trace", "resolve_inputs", "sigmoid", "trace_from_json", "trace_step", "trace_to_json",
]  # fmt: skip
