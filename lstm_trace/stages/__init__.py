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
    lstm_backward.py    the LSTM's backward stages and gradients, with each option's line
    gru_backward.py     the GRU's

Symbols use Unicode: ⊙ is the element-wise (Hadamard) product, NumPy's `*`;
· is the matrix-vector product, NumPy's `@`.
"""

from .backward import (
    BACKWARD_STAGE_BY_NAME, BACKWARD_STAGE_NAMES, BACKWARD_STAGES, GRAD_QUANTITIES, GRAD_TOPICS, backward_layout,
)  # fmt: skip
from .layout import layout_for
from .lstm import (
    BIAS_KEYS, GATE_BY_NAME, GATES, INPUT_QUANTITIES, QUANTITIES, STAGE_BY_NAME, STAGE_NAMES, STAGES, WEIGHT_KEYS,
)  # fmt: skip
from .types import BackwardLayout, BackwardStage, Gate, GradTopic, Layout, Quantity, Stage

__all__ = [
    "BACKWARD_STAGES", "BACKWARD_STAGE_BY_NAME", "BACKWARD_STAGE_NAMES", "BIAS_KEYS", "BackwardLayout",
    "BackwardStage", "GATES",
    "GATE_BY_NAME", "GRAD_QUANTITIES", "GRAD_TOPICS", "Gate", "GradTopic", "INPUT_QUANTITIES", "Layout", "QUANTITIES",
    "Quantity", "STAGES", "STAGE_BY_NAME", "STAGE_NAMES", "Stage", "WEIGHT_KEYS", "backward_layout", "layout_for",
]  # fmt: skip
