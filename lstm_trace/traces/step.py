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
from typing import Any, Mapping

import numpy as np

from ..cell_options import PLAIN, CellOptions

# The parts a block (gate) of any cell may have, and the values some cells lack: asking for one
# that this trace does not hold gives None, anything else is a typo and an AttributeError.
GATE_PARTS = frozenset(
    ("wz", "bias", "preact", "act", "peephole", "forget_bias", "clipped", "wx", "wh", "bias_h", "h_part", "gated")
)
OPTIONAL_VALUES = frozenset(("c_prev", "concat", "c", "c_tanh", "c_unclipped", "h_unprojected", "reset_h"))
GRAD_PARTS = frozenset(("d_act", "local", "d_preact", "d_W", "d_b", "d_z", "forget", "input", "output"))
OPTIONAL_GRADS = frozenset((
    "d_c_carried", "c_tanh_local", "d_c", "d_c_prev", "d_c_unclipped", "d_h_unprojected", "d_projection",
    "d_b_hn", "d_h_direct",
))  # fmt: skip


class Block:
    """One block of a trace, read by part: `step.forget.act` is `step["forget.act"]`."""

    __slots__ = ("_values", "name", "_parts")

    def __init__(self, values: Mapping[str, np.ndarray], name: str, parts: frozenset[str] = GATE_PARTS):
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_parts", parts)

    def __getattr__(self, part: str) -> np.ndarray | None:
        if part in self._parts:
            return self._values.get(f"{self.name}.{part}")
        raise AttributeError(f"{self.name} has no part {part!r}; its parts are {sorted(self._parts)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a trace is read-only")




class NamedValues:
    """Arrays by dotted name, read as `trace["forget.act"]` or `trace.forget.act`."""

    __slots__ = ("values", "blocks")
    PARTS: frozenset[str] = frozenset()  # what a block may hold
    OPTIONAL: frozenset[str] = frozenset()  # top-level names a cell may lack (None when absent)

    def __init__(self, values: Mapping[str, np.ndarray]):
        values = MappingProxyType(dict(values))
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "blocks", tuple(dict.fromkeys(n.partition(".")[0] for n in values if "." in n)))

    def __getitem__(self, name: str) -> np.ndarray | None:
        """Look a value up by its dotted name: `step["forget.act"]`, `step["c"]`."""
        return self.values.get(name)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("values", "blocks"):  # not set yet (a copy under construction)
            raise AttributeError(name)
        if name in self.values:
            return self.values[name]
        if name in self.blocks:
            return Block(self.values, name, self.PARTS)
        if name in self.OPTIONAL:
            return None
        raise AttributeError(f"a {type(self).__name__} has no value {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a trace is read-only")

    def gate(self, name: str) -> Block:
        return Block(self.values, name, self.PARTS)


class BackwardTrace(NamedValues):
    """Every gradient of one step, by dotted name (see `stages.GRAD_QUANTITIES`).

    d_h, d_c_carried        the upstream gradients: ∂L/∂hₜ, and ∂L/∂Cₜ from step t+1 (LSTM)
    forget.d_preact, ...    per block: d_act, local (the slope), d_preact (δ), d_W, d_b, d_z (Wᵀδ)
    d_h_prev, d_x, d_c_prev what the step passes back
    peephole.forget, ...    ∂L/∂p_g (peephole); d_projection ∂L/∂W_hr (projection); d_b_hn (GRU)
    """

    __slots__ = ()
    PARTS = GRAD_PARTS
    OPTIONAL = OPTIONAL_GRADS

    @property
    def gates(self) -> dict[str, Block]:
        """The blocks with weights or an activation: forget, input, ... or reset, update, new."""
        return {name: self.gate(name) for name in self.blocks if name != "peephole"}

    @property
    def d_peepholes(self) -> dict[str, np.ndarray] | None:
        if "peephole" not in self.blocks:
            return None
        return {name.partition(".")[2]: value for name, value in self.values.items() if name.startswith("peephole.")}


class StepTrace(NamedValues):
    """Every value of one step of one cell, by dotted name.

    values    name -> array: "x", "h_prev", "forget.act", "keep", "c", "h", ...
    cell      the CellOptions that made the step (which names it holds follows from it)
    t         the step's position in its sequence, from 1
    backward  the step's gradients, when `grad` computed them
    """

    __slots__ = ("cell", "t", "backward")
    PARTS = GATE_PARTS
    OPTIONAL = OPTIONAL_VALUES

    def __init__(
        self,
        values: Mapping[str, np.ndarray],
        cell: CellOptions = PLAIN,
        t: int = 1,
        backward: BackwardTrace | None = None,
    ):
        super().__init__(values)
        for name, value in (("cell", cell), ("t", t), ("backward", backward)):
            object.__setattr__(self, name, value)

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

    @property
    def variant(self) -> str:
        """"lstm", "peephole", "cifg" or "gru": says which step class and which stages the trace has."""
        return self.cell.variant
