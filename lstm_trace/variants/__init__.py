"""LSTM variants and the GRU, traced stage by stage like the plain cell.

`CellOptions` says which cell to run (variant lstm, peephole, cifg or gru, plus the
run-time options forget_bias, cell_clip, preact_clip, proj_size, gate_activation,
cell_activation, gru_reset_before). `cell_step` runs one step of that cell and
returns its trace; commands that run sequences or gradients call it per step:

    from lstm_trace.variants import CellOptions, cell_step
    step = cell_step(weights, x, h_prev, c_prev, CellOptions(variant="peephole"))
    h, c = step.h, getattr(step, "c", None)   # a GRU step has no cell state

The plain `lstm_trace.cell.lstm_step` stays as it is; `cell_step` calls it when
no option is set.
"""

from __future__ import annotations

from ..cells.options import CellOptions

__all__ = ["CellOptions", "cell_step"]


def __getattr__(name: str):
    # The steps import NumPy-heavy code that a plain `step` never needs.
    if name == "cell_step":
        from ..cells.step import cell_step

        return cell_step
    raise AttributeError(f"module 'lstm_trace.variants' has no attribute {name!r}")
