"""How frameworks stack the gates' blocks, and the sentence that says which block went where.

Every framework stores the four gates' weights of an LSTM stacked into one
matrix of 4H rows (or columns), in its own order; a GRU stacks three blocks
(reset, update, new). A reader splits the matrix into blocks of H, names each
with a canonical gate (each format module says its order), and tells the user
which block went where (the provenance "mapping"); a writer stacks them back.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

BLOCKS = ("0:H", "H:2H", "2H:3H", "3H:4H")


def split_blocks(stacked: np.ndarray, order: tuple[str, ...], axis: int = 0) -> dict[str, np.ndarray]:
    """Cut a (4H, ...) array (or (..., 4H) with axis=-1; 3H for a GRU) into one block of H per gate."""
    return dict(zip(order, np.split(stacked, len(order), axis=axis), strict=True))


def stack_blocks(per_gate: Mapping[str, np.ndarray], order: tuple[str, ...], axis: int = 0) -> np.ndarray:
    """The inverse of `split_blocks`: the gates' blocks stacked in a framework's order."""
    return np.concatenate([per_gate[gate] for gate in order], axis=axis)


def mapping_text(what: str, order: tuple[str, ...]) -> str:
    """'PyTorch rows 0:H -> input gate, H:2H -> forget, 2H:3H -> candidate, 3H:4H -> output'."""
    blocks = [f"{block} -> {gate}" for block, gate in zip(BLOCKS[: len(order)], order, strict=True)]
    blocks[0] += " gate"
    return f"{what} {', '.join(blocks)}"
