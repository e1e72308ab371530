"""Traces: every intermediate of a step, kept by its stable dotted name.

One step trace serves every cell. It is a mapping from the registry's names
(`forget.preact`, `keep`, `c`, `update.act`, ... see `stages`) to NumPy arrays,
plus the cell that made it, in the spirit of an activation cache: the same names
store, look up and print. `step["forget.act"]` looks a value up by name, and
`step.forget.act` reads the same array as the equations name it. A quantity the
cell does not have (a GRU's `c`, a plain LSTM's `forget.peephole`) is None.

A trace is plain data: the cell makes it, the JSON reader rebuilds it, and
renderers only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from .cells.options import PLAIN, CellOptions

if TYPE_CHECKING:
    from .backward_trace import BackwardTrace

# The parts a block (gate) of any cell may have, and the step values some cells lack: asking for
# one that this step does not hold gives None, anything else is a typo and an AttributeError.
GATE_PARTS = frozenset(
    ("wz", "bias", "preact", "act", "peephole", "forget_bias", "clipped", "wx", "wh", "bias_h", "h_part", "gated")
)
OPTIONAL_VALUES = frozenset(("c_prev", "concat", "c", "c_tanh", "c_unclipped", "h_unprojected", "reset_h"))


class GateTrace:
    """One block of a step, read by part: `step.forget.act` is `step["forget.act"]`."""

    __slots__ = ("_values", "name")

    def __init__(self, values: Mapping[str, np.ndarray], name: str):
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "name", name)

    def __getattr__(self, part: str) -> np.ndarray | None:
        if part in GATE_PARTS:
            return self._values.get(f"{self.name}.{part}")
        raise AttributeError(f"a gate has no part {part!r}; its parts are {sorted(GATE_PARTS)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a trace is read-only")


class StepTrace:
    """Every value of one step of one cell, by dotted name.

    values    name -> array: "x", "h_prev", "forget.act", "keep", "c", "h", ...
    cell      the CellOptions that made the step (which names it holds follows from it)
    t         the step's position in its sequence, from 1
    backward  the step's gradients, when `grad` computed them
    """

    __slots__ = ("values", "cell", "t", "backward", "gates")

    def __init__(
        self,
        values: Mapping[str, np.ndarray],
        cell: CellOptions = PLAIN,
        t: int = 1,
        backward: BackwardTrace | None = None,
    ):
        values = MappingProxyType(dict(values))
        gates = tuple(dict.fromkeys(name.partition(".")[0] for name in values if "." in name))
        for name, value in (("values", values), ("cell", cell), ("t", t), ("backward", backward), ("gates", gates)):
            object.__setattr__(self, name, value)

    def __getitem__(self, name: str) -> np.ndarray | None:
        """Look a value up by its dotted name: `step["forget.act"]`, `step["c"]`."""
        return self.values.get(name)

    def __getattr__(self, name: str):
        if name in StepTrace.__slots__:  # not set yet (a copy under construction)
            raise AttributeError(name)
        if name in self.values:
            return self.values[name]
        if name in self.gates:
            return GateTrace(self.values, name)
        if name in OPTIONAL_VALUES:
            return None
        raise AttributeError(f"a step trace has no value {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a trace is read-only")

    def gate(self, name: str) -> GateTrace:
        return GateTrace(self.values, name)

    def with_backward(self, backward: BackwardTrace | None) -> "StepTrace":
        """The same step, carrying its gradients."""
        return StepTrace(self.values, self.cell, self.t, backward)

    @property
    def hidden_size(self) -> int:
        """H, the cell's units: C's length where there is a C (h has P < H entries with a projection)."""
        return int(self.values["c" if "c" in self.values else "h"].shape[0])

    @property
    def input_size(self) -> int:
        return int(self.values["x"].shape[0])


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
    cell: CellOptions = PLAIN  # which cell made the steps: the plain LSTM unless a variant was asked for
    # A variant's gradients from `grad`, read back from the JSON "variant_backward" block: ((t, VariantBackward), ...)
    variant_backward: tuple | None = None

    @property
    def variant(self) -> str:
        """"lstm", "peephole", "cifg" or "gru": says which step class and which stages the trace has."""
        return self.cell.variant
