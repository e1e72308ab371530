"""The one registry of stage names, symbols, equations and meanings.

Every name a trace uses (`forget.preact`, `keep`, `c`, ...) is defined here once.
The cell's trace, the JSON writer, the tables, `explain`, the walk and the diagram
all read it; nobody retypes a stage name or an equation anywhere else.

    types.py            the records: Gate, Quantity, Stage, Layout, BackwardStage, GradTopic
    lstm.py             the plain LSTM: its gates, quantities and seven stages
    lstm_options.py     what each option writes into those stages (peephole, cifg, clips, ...)
    gru.py              the GRU's gates, quantities and stages
    layout.py           `layout_for(cell)`: the registry of one configuration
    backward.py         gradients, the backward stages and the topics of `explain grad`
    backward_options.py the backward stages of cells with options and of the GRU

Symbols use Unicode: ⊙ is the element-wise (Hadamard) product, NumPy's `*`;
· is the matrix-vector product, NumPy's `@`.
"""

from .backward import (
    BACKWARD_STAGE_BY_NAME, BACKWARD_STAGE_NAMES, BACKWARD_STAGES, GRAD_QUANTITIES, GRAD_TOPICS,
)  # fmt: skip
from .layout import layout_for
from .lstm import (
    BIAS_KEYS, GATE_BY_NAME, GATES, INPUT_QUANTITIES, QUANTITIES, STAGE_BY_NAME, STAGE_NAMES, STAGES, WEIGHT_KEYS,
)  # fmt: skip
from .types import BackwardStage, Gate, GradTopic, Layout, Quantity, Stage

__all__ = [
    "BACKWARD_STAGES", "BACKWARD_STAGE_BY_NAME", "BACKWARD_STAGE_NAMES", "BIAS_KEYS", "BackwardStage", "GATES",
    "GATE_BY_NAME", "GRAD_QUANTITIES", "GRAD_TOPICS", "Gate", "GradTopic", "INPUT_QUANTITIES", "Layout", "QUANTITIES",
    "Quantity", "STAGES", "STAGE_BY_NAME", "STAGE_NAMES", "Stage", "WEIGHT_KEYS", "layout_for",
]  # fmt: skip
