"""The registry's record types: a gate, a quantity, a forward stage, a cell's layout, a backward stage.

Records, not behaviour: `lstm.py`, `lstm_options.py`, `gru.py` and `backward.py` fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, NamedTuple


@dataclass(frozen=True)
class Gate:
    """One of the four blocks that hide a weight matrix and a bias inside an activation."""

    name: str  # "forget": the key in traces and JSON
    letter: str  # "f": W_f, b_f
    symbol: str  # "fₜ"
    activation: str  # "sigmoid" or "tanh"
    title: str
    variable: str  # the name in the cell's code: "f", "c_tilde"
    role: str = ""  # what a value in (0, 1) does, filled with {share} and {unit}

    @property
    def weight_key(self) -> str:
        return f"W_{self.letter}"

    @property
    def bias_key(self) -> str:
        return f"b_{self.letter}"

    @property
    def activation_symbol(self) -> str:
        return "σ" if self.activation == "sigmoid" else "tanh"

    @property
    def equation(self) -> str:
        return f"{self.symbol} = {self.activation_symbol}(W_{self.letter}·z + b_{self.letter})"

    @property
    def numpy(self) -> str:
        function = "np.tanh" if self.activation == "tanh" else "sigmoid"
        return f"{self.variable} = {function}(W_{self.letter} @ z + b_{self.letter})"


# The order a learner meets the gates in the usual cell figure. Frameworks stack
# them differently (PyTorch i,f,g,o; Keras i,f,c,o; ONNX i,o,f,c); file readers

@dataclass(frozen=True)
class Quantity:
    """One named array in a step's trace."""

    name: str  # dotted name: "forget.act"
    symbol: str  # "fₜ", "keep"
    formula: str  # how it is made, "" for inputs: "σ(W_f·z + b_f)", "fₜ ⊙ Cₜ₋₁"
    meaning: str  # one line
    shape: str  # "(H,)"
    kind: str = "signed"  # "gate" for values in [0, 1]: styled and drawn as a bar


@dataclass(frozen=True)
class Stage:
    """One stage of the step as a learner meets it, in the order of the computation."""

    name: str
    title: str
    equation: str
    numpy: str  # the same equation as NumPy code: `@` is a matrix product, `*` element-wise
    summary: str  # one line
    why: str  # why the stage exists
    misconception: str  # the mistake it clears up
    columns: tuple[str, ...]  # quantity names shown in its table, one row per unit


@dataclass(frozen=True)
class Layout:
    """The stages and quantities of one kind of cell, in the order of the computation.

    `layout_for(cell)` makes it: the plain LSTM's stages for `LSTM()`, with each
    option's term written in for other configurations (`lstm_options.py`), or the
    GRU's (`gru.py`). Tables, the JSON writer and reader, and `explain`
    read a trace through its layout, so no name or equation is typed twice.
    """

    variant: str  # "lstm", "peephole", "cifg", "gru"
    title: str  # the cell's name: "LSTM", "peephole LSTM (forget bias 1)"
    stages: tuple[Stage, ...]
    quantities: Mapping[str, Quantity]
    gates: tuple[str, ...]  # the trace's gate blocks: forget, input, ... or reset, update, new

    @property
    def stage_by_name(self) -> dict[str, Stage]:
        return {stage.name: stage for stage in self.stages}

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)




# The backward records are NamedTuples, not dataclasses: every command imports this
# module, and a dataclass costs ~0.8 ms to define against ~0.1 ms (start-up is measured by
# benchmarks/bench_startup.py).
class BackwardStage(NamedTuple):
    """One stage of the backward pass, in the reverse order of the forward stages.

    `numpy` lines compute the stage in NumPy (a test runs the plain cell's and compares them with the
    backward pass of `cells/lstm.py`).
    """

    name: str
    title: str
    equations: tuple[str, ...]
    numpy: tuple[str, ...]
    summary: str  # one line
    columns: tuple[str, ...]  # forward (QUANTITIES) and gradient (GRAD_QUANTITIES) names, one row per unit


class BackwardLayout(NamedTuple):
    """The backward pass of one configuration: its stages and its gradients' names, symbols and formulas."""

    stages: tuple[BackwardStage, ...]
    quantities: Mapping[str, Quantity]

    @property
    def stage_by_name(self) -> dict[str, BackwardStage]:
        return {stage.name: stage for stage in self.stages}

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(stage.name for stage in self.stages)


class GradTopic(NamedTuple):
    """What `explain grad` and `explain carousel` say; equations come from BACKWARD_STAGES."""

    name: str
    title: str
    summary: str
    why: str
    misconception: str


