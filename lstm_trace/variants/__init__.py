"""LSTM variants and the GRU: their stage registries, pages and sequence engine.

The cells themselves are configurations of one family (`lstm_trace.cells`):
`CellOptions` says which cell to run, and `cell_step` runs one step of it:

    from lstm_trace.variants import CellOptions, cell_step
    step = cell_step(weights, x, h_prev, c_prev, CellOptions(variant="peephole"))
    h, c = step.h, step.c   # c is None for a GRU, which has no cell state
"""

from __future__ import annotations

from ..cells.options import CellOptions
from ..cells.step import cell_step

__all__ = ["CellOptions", "cell_step"]
