"""How frameworks stack the four gates, and the one way back to the canonical layout.

Every framework stores the four gates' weights stacked into one matrix of 4H
rows (or columns), in its own order. lstm-trace splits that matrix into blocks
of H and names each block with a canonical gate, and says which block went
where in a sentence the user sees (the provenance "mapping").
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..stages import GATES
from .model import LSTMWeights

BLOCKS = ("0:H", "H:2H", "2H:3H", "3H:4H")

PYTORCH_ORDER = ("input", "forget", "candidate", "output")  # PyTorch stacks rows as i, f, g, o
KERAS_ORDER = ("input", "forget", "candidate", "output")  # Keras stacks columns as i, f, c, o
ONNX_ORDER = ("input", "output", "forget", "candidate")  # ONNX stacks rows as i, o, f, c


def split_blocks(stacked: np.ndarray, order: tuple[str, ...], axis: int = 0) -> dict[str, np.ndarray]:
    """Cut a (4H, ...) array (or (..., 4H) with axis=-1) into one block of H per gate."""
    return dict(zip(order, np.split(stacked, 4, axis=axis), strict=True))


def stack_blocks(per_gate: Mapping[str, np.ndarray], order: tuple[str, ...], axis: int = 0) -> np.ndarray:
    """The inverse of `split_blocks`: the gates' blocks stacked in a framework's order."""
    return np.concatenate([per_gate[gate] for gate in order], axis=axis)


def mapping_text(what: str, order: tuple[str, ...]) -> str:
    """'PyTorch rows 0:H -> input gate, H:2H -> forget, 2H:3H -> candidate, 3H:4H -> output'."""
    blocks = [f"{block} -> {gate}" for block, gate in zip(BLOCKS, order, strict=True)]
    blocks[0] += " gate"
    return f"{what} {', '.join(blocks)}"


def canonical_weights(
    recurrent: Mapping[str, np.ndarray],
    inputs: Mapping[str, np.ndarray],
    bias: Mapping[str, np.ndarray],
    provenance: Mapping[str, Any],
    origin: str,
) -> LSTMWeights:
    """Per gate, W_g = [recurrent block (H, H) | input block (H, I)] and b_g: the columns
    for h_{t-1} come first. Shapes and values are checked by `LSTMWeights.from_arrays`."""
    arrays: dict[str, np.ndarray] = {}
    for gate in GATES:
        arrays[gate.weight_key] = np.hstack([recurrent[gate.name], inputs[gate.name]])  # (H, H+I)
        arrays[gate.bias_key] = bias[gate.name]
    return LSTMWeights.from_arrays(arrays, provenance, origin)


def recurrent_part(weights: LSTMWeights) -> dict[str, np.ndarray]:
    """Per gate, the (H, H) block of W_g that multiplies h_{t-1}."""
    return {name: W[:, : weights.hidden_size] for name, W in weights.W.items()}


def input_part(weights: LSTMWeights) -> dict[str, np.ndarray]:
    """Per gate, the (H, I) block of W_g that multiplies x_t."""
    return {name: W[:, weights.hidden_size :] for name, W in weights.W.items()}
