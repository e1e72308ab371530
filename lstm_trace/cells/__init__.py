"""The cell family: each cell's forward and backward step side by side, for one configuration type.

The configuration, `CellOptions` with `LSTM(...)` / `GRU(...)` to make one (`LSTM()` is the plain
cell), lives in `lstm_trace/cell_options.py`, below everything, since traces and weights files name
cells too; this package hands it on.

    lstm.py      the LSTM step (peephole, cifg and the run-time options each one visible line)
    gru.py       the GRU step (PyTorch's convention, or Cho et al.'s with reset_before)
    step.py      `cell_step`: the step of whichever cell a `CellOptions` names
    activations  the squashing functions, each beside its slope
"""

from ..cell_options import GRU, LSTM, PLAIN, CellOptions

__all__ = ["GRU", "LSTM", "PLAIN", "CellOptions"]
