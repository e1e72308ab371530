"""`layout_for(cell)`: the registry as one configuration of the cell family sees it.

An LSTM of any options gets the plain LSTM's stages with each option's term written in
(`lstm_options.py`; `LSTM()` gets exactly the plain ones), a GRU its own (`gru.py`).
"""

from __future__ import annotations

from functools import lru_cache

from ..cell_options import PLAIN, CellOptions
from .gru import gru_layout
from .lstm_options import lstm_layout
from .types import Layout

LAYOUTS = {"lstm": lstm_layout, "peephole": lstm_layout, "cifg": lstm_layout, "gru": gru_layout}


@lru_cache(maxsize=64)
def layout_for(cell: CellOptions | None = None) -> Layout:
    """The stages, quantities and gates of `cell` (the plain LSTM's for None)."""
    cell = PLAIN if cell is None else cell
    return LAYOUTS[cell.variant](cell)
