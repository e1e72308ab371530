"""Traces of the variants: the plain trace classes plus the values a variant adds.

An LSTM-family variant step is still a `StepTrace` (so code that reads h, c and the
four gates keeps working); it only carries more. A GRU step is its own class: it
has no cell state. Every field is named as in the variant's registry
(`lstm_trace.stages.layout_for`), which the JSON writer and the tables read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..trace import GateTrace, StepTrace, ValuesByName


@dataclass(frozen=True)
class VariantGateTrace(GateTrace):
    """A gate with the terms some variants add inside its activation.

    preact = wz + peephole + bias + forget_bias, then clipped (when --preact-clip)
    goes into the activation. For cifg's input gate only `act` (1 - f) is set.
    """

    peephole: np.ndarray | None = None  # (H,)  p_g ⊙ C (C_{t-1} for f and i, C_t for o)
    forget_bias: np.ndarray | None = None  # (H,)  the run-time forget bias, the same in every unit
    clipped: np.ndarray | None = None  # (H,)  clip(preact, -V, V): what the activation sees


@dataclass(frozen=True)
class VariantStepTrace(StepTrace):
    """A step of lstm, peephole or cifg with options.

    With --cell-clip, `c` is the clipped cell state and `c_unclipped` = keep + write.
    With --proj-size, `h` (P,) = W_hr · h_unprojected, and h_prev and concat's h part have P entries.
    """

    c_unclipped: np.ndarray | None = None  # (H,)
    h_unprojected: np.ndarray | None = None  # (H,)  o ⊙ tanh(C_t) before the projection

    @property
    def hidden_size(self) -> int:
        return int(self.c.shape[0])  # H: the cell's units, even when h is projected to P


@dataclass(frozen=True)
class GRUGateTrace:
    """One GRU block in PyTorch's split form: input side + hidden side + bias.

    For r and z: preact = wx + wh + bias. For n: preact = wx + bias + gated, where
    gated = r ⊙ h_part and h_part = wh + bias_h (or, resetting before, preact =
    wx + bias + wh + bias_h with wh = W_hn·(r ⊙ h_{t-1})).
    """

    preact: np.ndarray  # (H,)
    act: np.ndarray  # (H,)
    wx: np.ndarray | None = None  # (H,)  W_i·x_t
    wh: np.ndarray | None = None  # (H,)  W_h·h_{t-1}
    bias: np.ndarray | None = None  # (H,)
    bias_h: np.ndarray | None = None  # (H,)  n only: b_hn
    h_part: np.ndarray | None = None  # (H,)  n only: W_hn·h_{t-1} + b_hn
    gated: np.ndarray | None = None  # (H,)  n only: r ⊙ h_part
    clipped: np.ndarray | None = None  # (H,)


@dataclass(frozen=True)
class GRUStepTrace(ValuesByName):
    """Every value of one GRU step: h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}, no cell state."""

    x: np.ndarray  # (I,)
    h_prev: np.ndarray  # (H,)
    reset: GRUGateTrace
    update: GRUGateTrace
    new: GRUGateTrace
    keep: np.ndarray  # (H,)  z ⊙ h_{t-1}
    write: np.ndarray  # (H,)  (1 - z) ⊙ n
    h: np.ndarray  # (H,)
    t: int = 1
    reset_h: np.ndarray | None = None  # (H,)  r ⊙ h_{t-1}, only when r is applied before W_hn



def trace_classes(variant: str) -> tuple[type, type]:
    """(step class, gate class) for a variant: what the JSON reader rebuilds."""
    return (GRUStepTrace, GRUGateTrace) if variant == "gru" else (VariantStepTrace, VariantGateTrace)
