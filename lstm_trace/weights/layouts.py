"""How frameworks stack the four gates, and the one way back to the canonical layout.

Every framework stores the four gates' weights stacked into one matrix of 4H
rows (or columns), in its own order. lstm-trace splits that matrix into blocks
of H and names each block with a canonical gate, and says which block went
where in a sentence the user sees (the provenance "mapping"). A GRU stacks three
blocks (reset, update, new) the same way.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..stages import GATES
from .gru import BIAS_KEYS as GRU_BIAS_KEYS
from .gru import GRU_GATES, HIDDEN_BIAS_KEY, GRUWeights
from .gru import WEIGHT_KEYS as GRU_WEIGHT_KEYS
from .model import PEEPHOLE_KEYS, PROJECTION_KEY, LSTMWeights

BLOCKS = ("0:H", "H:2H", "2H:3H", "3H:4H")

PYTORCH_ORDER = ("input", "forget", "candidate", "output")  # PyTorch stacks rows as i, f, g, o
KERAS_ORDER = ("input", "forget", "candidate", "output")  # Keras stacks columns as i, f, c, o
ONNX_ORDER = ("input", "output", "forget", "candidate")  # ONNX stacks rows as i, o, f, c

# A GRU stacks three blocks: lstm-trace's reset, update, new.
PYTORCH_GRU_ORDER = ("reset", "update", "new")  # PyTorch stacks rows as r, z, n
KERAS_GRU_ORDER = ("update", "reset", "new")  # Keras stacks columns as z, r, h
ONNX_GRU_ORDER = ("update", "reset", "new")  # ONNX stacks rows as z, r, h


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


def canonical_weights(
    recurrent: Mapping[str, np.ndarray],
    inputs: Mapping[str, np.ndarray],
    bias: Mapping[str, np.ndarray],
    provenance: Mapping[str, Any],
    origin: str,
    peepholes: Mapping[str, np.ndarray] | None = None,
    projection: np.ndarray | None = None,
) -> LSTMWeights:
    """Per gate, W_g = [recurrent block (H, H) | input block (H, I)] and b_g: the columns
    for h_{t-1} come first (with a projection the recurrent block is (H, P)). Peepholes
    (gate -> (H,)) and the projection W_hr (P, H) are kept when given. Shapes and values
    are checked by `LSTMWeights.from_arrays`."""
    arrays: dict[str, np.ndarray] = {}
    for gate in GATES:
        arrays[gate.weight_key] = np.hstack([recurrent[gate.name], inputs[gate.name]])  # (H, H+I)
        arrays[gate.bias_key] = bias[gate.name]
    if peepholes is not None:
        arrays.update({PEEPHOLE_KEYS[gate]: peepholes[gate] for gate in PEEPHOLE_KEYS})
    if projection is not None:
        arrays[PROJECTION_KEY] = projection
    return LSTMWeights.from_arrays(arrays, provenance, origin)


def canonical_gru(
    recurrent: Mapping[str, np.ndarray],
    inputs: Mapping[str, np.ndarray],
    bias: Mapping[str, np.ndarray],
    hidden_bias_new: np.ndarray,
    provenance: Mapping[str, Any],
    origin: str,
) -> GRUWeights:
    """The GRU twin of `canonical_weights`: W_g = [recurrent block | input block] for reset,
    update and new; `bias` holds b_r, b_z and b_in, `hidden_bias_new` is b_hn."""
    arrays: dict[str, np.ndarray] = {}
    for gate in GRU_GATES:
        arrays[GRU_WEIGHT_KEYS[gate]] = np.hstack([recurrent[gate], inputs[gate]])  # (H, H+I)
        arrays[GRU_BIAS_KEYS[gate]] = bias[gate]
    arrays[HIDDEN_BIAS_KEY] = hidden_bias_new
    return GRUWeights.from_arrays(arrays, provenance, origin)


def recurrent_part(weights: LSTMWeights | GRUWeights) -> dict[str, np.ndarray]:
    """Per gate, the block of W_g that multiplies h_{t-1}: (H, H), or (H, P) with a projection."""
    return {name: W[:, : weights.h_size] for name, W in weights.W.items()}


def input_part(weights: LSTMWeights | GRUWeights) -> dict[str, np.ndarray]:
    """Per gate, the (H, I) block of W_g that multiplies x_t."""
    return {name: W[:, weights.h_size :] for name, W in weights.W.items()}
