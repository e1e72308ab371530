"""A Keras GRU cell in the canonical GRU layout.

kernel (I × 3H) and recurrent_kernel (H × 3H) stack their columns as z, r, h
(update, reset, new). With reset_after=True (Keras' default) the bias is
(2 × 3H) = [input bias; recurrent bias] and the reset gate multiplies
h·U_h + recurrent bias, as in PyTorch: b_z and b_r are the two rows summed,
b_in the input bias and b_hn the recurrent bias of h. With reset_after=False
the bias is (3H,) and r multiplies h before U_h (--gru-reset-before): b_in is
the bias of h and b_hn = 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, shape_text
from .cell_options import CELL_OPTIONS_KEY
from .layouts import KERAS_GRU_ORDER, canonical_gru, mapping_text, split_blocks


def keras_gru(cell: Any, path: Path, index: int, options: dict, mapping: list[str], layer_config: dict | None):
    """(weights, the two stored biases or None, a note or None) for one found GRU cell."""
    kernel, recurrent = cell.arrays["kernel"], cell.arrays["recurrent_kernel"]  # (I, 3H), (H, 3H)
    H = recurrent.shape[0]
    bias = cell.arrays.get("bias")
    reset_after, note = _reset_after(bias, layer_config, path, cell)
    kernel_blocks = {g: block.T for g, block in split_blocks(kernel, KERAS_GRU_ORDER, axis=1).items()}  # (H, I)
    recurrent_blocks = {g: block.T for g, block in split_blocks(recurrent, KERAS_GRU_ORDER, axis=1).items()}  # (H, H)
    zeros = {g: np.zeros(H) for g in KERAS_GRU_ORDER}
    parts = None
    if bias is None:
        input_bias, recurrent_bias, b_text = zeros, zeros, "no bias (use_bias=False), b = 0"
    elif bias.ndim == 2:
        input_bias, recurrent_bias = split_blocks(bias[0], KERAS_GRU_ORDER), split_blocks(bias[1], KERAS_GRU_ORDER)
        parts = {"input bias": input_bias, "recurrent bias": recurrent_bias}
        b_text = "bias = [input; recurrent]: b_z, b_r = their sums, b_in = input bias of h, b_hn = recurrent bias of h"
    else:
        input_bias, recurrent_bias, b_text = split_blocks(bias, KERAS_GRU_ORDER), zeros, "b = bias, b_hn = 0"
    summed = {
        "reset": input_bias["reset"].astype(np.float64) + recurrent_bias["reset"],
        "update": input_bias["update"].astype(np.float64) + recurrent_bias["update"],
        "new": input_bias["new"],
    }
    if not reset_after:
        options = {**options, "gru_reset_before": True}
        mapping = [*mapping, "reset_after=False -> --gru-reset-before: r ⊙ h_(t-1) is taken before recurrent_kernel"]
    provenance = {
        "source": str(path),
        "framework": "Keras",
        "layer": index,
        "layer_name": cell.layer_name,
        "direction": cell.direction,
        "mapping": f"{mapping_text('Keras columns', KERAS_GRU_ORDER)} (of kernel, recurrent_kernel and bias, in "
        f"{cell.group}); W_g = [recurrent_kernel columns | kernel columns], transposed; {b_text}"
        + "".join(f"; {text}" for text in mapping),
        "gate_order": "z, r, h",
        "bias": "two biases (reset_after=True): summed for z and r, kept apart for h" if parts
        else ("one bias (reset_after=False)" if bias is not None else "none (use_bias=False)"),
        "stored_dtype": str(kernel.dtype),
        "parameters": int(kernel.size + recurrent.size + (bias.size if bias is not None else 0)),
        CELL_OPTIONS_KEY: {"variant": "gru", **options},
    }  # fmt: skip
    weights = canonical_gru(
        recurrent_blocks, kernel_blocks, summed, recurrent_bias["new"], provenance,
        f"Keras file '{path}' ({cell.group})",
    )  # fmt: skip
    return weights, parts, note


def _reset_after(bias: np.ndarray | None, layer_config: dict | None, path: Path, cell: Any) -> tuple[bool, str | None]:
    """reset_after from the bias's shape, checked against the config; from the config alone without a bias."""
    said = None if layer_config is None else layer_config.get("reset_after", True)
    if bias is None:
        if said is None:
            return True, (
                f"The GRU {cell.name} has no bias and the file no config, so Keras' default reset_after=True "
                f"(r applied after recurrent_kernel) is assumed."
            )
        return bool(said), None
    stored = bias.ndim == 2  # (2, 3H): an input and a recurrent bias, which only reset_after keeps
    if said is not None and bool(said) != stored:
        raise DataError(
            f"In the Keras file '{path}', the GRU {cell.name} says reset_after={said}, but its bias has shape "
            f"{shape_text(bias.shape)}: reset_after=True stores (2, 3H), reset_after=False (3H,)."
        )
    return stored, None
