"""The cell family: one configuration type, and each cell's forward and backward step side by side.

    options.py   `CellOptions`, and `LSTM(...)` / `GRU(...)` to make one: `LSTM()` is the plain cell
    lstm.py      the LSTM step (peephole, cifg and the run-time options each one visible line)
    gru.py       the GRU step (PyTorch's convention, or Cho et al.'s with reset_before)
    step.py      `cell_step`: the step of whichever cell a `CellOptions` names
    activations  the squashing functions, each beside its slope
"""

from .options import GRU, LSTM, PLAIN, CellOptions

__all__ = ["GRU", "LSTM", "PLAIN", "CellOptions"]
