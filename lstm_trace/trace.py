"""The trace: every intermediate of a step, kept by the names in `stages.py`.

A trace is plain data (frozen dataclasses of NumPy arrays). The cell makes it,
the JSON reader rebuilds it, and renderers only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .stages import GATES
from .variants.options import CellOptions

if TYPE_CHECKING:
    from .backward_trace import BackwardTrace


@dataclass(frozen=True)
class GateTrace:
    """One gate's block: the matrix product, the bias, their sum and the activation."""

    preact: np.ndarray  # (H,)  W_g·z + b_g
    act: np.ndarray  # (H,)  activation(preact)
    wz: np.ndarray | None = None  # (H,)  W_g·z; absent in traces from writers that omit it
    bias: np.ndarray | None = None  # (H,)  b_g


def nested_lists(values, names) -> dict[str, Any]:
    """`values[name]` for each dotted name, as JSON-ready nested lists: "forget.act" -> {"forget": {"act": [...]}}.

    Names whose value is None are left out.
    """
    content: dict[str, Any] = {}
    for name in names:
        value = values[name]
        if value is None:
            continue
        head, _, part = name.partition(".")
        if part:
            content.setdefault(head, {})[part] = value.tolist()
        else:
            content[head] = value.tolist()
    return content


class ValuesByName:
    """Dotted-name lookup and sizes, shared by every step trace (LSTM, variants, GRU)."""

    def __getitem__(self, name: str) -> np.ndarray | None:
        """Look a value up by its dotted name: `step["forget.act"]`, `step["c"]`."""
        head, _, part = name.partition(".")
        value = getattr(self, head)
        return getattr(value, part) if part else value

    def gate(self, name: str):
        return getattr(self, name)

    @property
    def hidden_size(self) -> int:
        return int(self.h.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class StepTrace(ValuesByName):
    """Every value of one LSTM step, named as in `stages.QUANTITIES`."""

    x: np.ndarray  # (I,)
    h_prev: np.ndarray  # (H,)
    c_prev: np.ndarray  # (H,)
    concat: np.ndarray  # (H+I,)
    forget: GateTrace
    input: GateTrace
    candidate: GateTrace
    output: GateTrace
    keep: np.ndarray  # (H,)
    write: np.ndarray  # (H,)
    c: np.ndarray  # (H,)
    c_tanh: np.ndarray  # (H,)
    h: np.ndarray  # (H,)
    t: int = 1
    backward: BackwardTrace | None = None  # the gradients of this step, when `grad` computed them



GATE_NAMES = tuple(gate.name for gate in GATES)


@dataclass(frozen=True)
class Trace:
    """A whole trace: what was computed, from what, and every step."""

    hidden_size: int
    input_size: int
    dtype: str  # "float64" or "float32"
    weights: Mapping[str, Any]  # provenance: {"source": ..., ...}; the JSON "weights" block
    steps: tuple[StepTrace, ...]
    title: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)  # assumptions the user should know about
    cell: CellOptions = CellOptions()  # which cell made the steps: the plain LSTM unless a variant was asked for
    # A variant's gradients from `grad`, read back from the JSON "variant_backward" block: ((t, VariantBackward), ...)
    variant_backward: tuple | None = None

    @property
    def variant(self) -> str:
        """"lstm", "peephole", "cifg" or "gru": says which step class and which stages the trace has."""
        return self.cell.variant
