"""Keras' layout of LSTM and GRU cells, in NumPy: a found cell's arrays read into the canonical
layouts, and a canonical cell laid out as a layer's kernel, recurrent_kernel and bias.

An LSTM cell has kernel (I × 4H), recurrent_kernel (H × 4H) and bias (4H,),
columns stacked as i, f, c, o; z = x·kernel + h·recurrent_kernel + bias.

A GRU's kernel (I × 3H) and recurrent_kernel (H × 3H) stack their columns as z, r, h
(update, reset, new). With reset_after=True (Keras' default) the bias is
(2 × 3H) = [input bias; recurrent bias] and the reset gate multiplies
h·U_h + recurrent bias, as in PyTorch: b_z and b_r are the two rows summed,
b_in the input bias and b_hn the recurrent bias of h. With reset_after=False
the bias is (3H,) and r multiplies h before U_h (--gru-reset-before): b_in is
the bias of h and b_hn = 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from ..errors import DataError, shape_text
from .gate_blocks import mapping_text, split_blocks, stack_blocks
from .gru_weights import GRUWeights
from .lstm_weights import LSTMWeights
from .stated_options import CELL_OPTIONS_KEY, implied_options

FRAMEWORK = "Keras"
LSTM_ORDER = ("input", "forget", "candidate", "output")  # Keras stacks an LSTM's columns as i, f, c, o
GRU_ORDER = ("update", "reset", "new")  # and a GRU's as z, r, h


@dataclass(frozen=True)
class KerasCell:
    """One LSTM or GRU cell found in a Keras file, with its arrays as stored."""

    group: str  # the h5 group holding the datasets
    layer_key: str  # the h5 path of the layer (the Bidirectional wrapper for its two cells)
    direction: str
    name: str  # the layer's own Keras name, as its config knows it
    layer_name: str  # the name shown for the layer: the cell's, or its Bidirectional wrapper's
    arrays: dict[str, np.ndarray]  # kernel, recurrent_kernel[, bias]
    kind: str  # "LSTM" or "GRU"


def layer_arrays(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None) -> tuple[np.ndarray, ...]:
    """(kernel, recurrent_kernel, bias) of the layer for one canonical cell. An LSTM has one bias,
    so two stored biases (PyTorch, ONNX) arrive here already summed in `weights.b`; a GRU with
    reset_after keeps an input and a recurrent bias."""
    gru = isinstance(weights, GRUWeights)
    order = GRU_ORDER if gru else LSTM_ORDER
    kernel = stack_blocks({g: block.T for g, block in weights.input_blocks().items()}, order, axis=1)  # (I, kH)
    recurrent = stack_blocks({g: block.T for g, block in weights.recurrent_blocks().items()}, order, axis=1)  # (H, kH)
    bias = _gru_bias(weights, bias_parts) if gru else stack_blocks(weights.b, order)  # (4H,)
    return kernel, recurrent, bias


def lstm_cell(cell: KerasCell, path: Path, index: int, options: dict, mapping: list[str]) -> LSTMWeights:
    """The canonical LSTM of one found cell; `options` and `mapping` are what its layer's config says."""
    kernel, recurrent = cell.arrays["kernel"], cell.arrays["recurrent_kernel"]  # (I, 4H), (H, 4H)
    H = recurrent.shape[0]
    bias = cell.arrays.get("bias")
    kernel_blocks = {g: block.T for g, block in split_blocks(kernel, LSTM_ORDER, axis=1).items()}  # (H, I)
    recurrent_blocks = {g: block.T for g, block in split_blocks(recurrent, LSTM_ORDER, axis=1).items()}  # (H, H)
    biases = split_blocks(bias, LSTM_ORDER) if bias is not None else {g: np.zeros(H) for g in LSTM_ORDER}
    b_text = "b = bias" if bias is not None else "no bias (use_bias=False), b = 0"
    provenance = {
        "source": str(path),
        "framework": FRAMEWORK,
        "layer": index,
        "layer_name": cell.layer_name,
        "direction": cell.direction,
        "mapping": f"{mapping_text('Keras columns', LSTM_ORDER)} (of kernel, recurrent_kernel and bias, in "
        f"{cell.group}); W_g = [recurrent_kernel columns | kernel columns], transposed; {b_text}"
        + "".join(f"; {text}" for text in mapping),
        "gate_order": "i, f, c, o",
        "bias": "one bias" if bias is not None else "none (use_bias=False)",
        "stored_dtype": str(kernel.dtype),
        "parameters": int(kernel.size + recurrent.size + (bias.size if bias is not None else 0)),
    }
    if options:
        provenance[CELL_OPTIONS_KEY] = options
    origin = f"Keras file '{path}' ({cell.group})"
    return LSTMWeights.from_blocks(recurrent_blocks, kernel_blocks, biases, provenance, origin)


def gru_cell(cell: KerasCell, path: Path, index: int, options: dict, mapping: list[str], layer_config: dict | None):
    """(weights, the two stored biases or None, a note or None) for one found GRU cell."""
    kernel, recurrent = cell.arrays["kernel"], cell.arrays["recurrent_kernel"]  # (I, 3H), (H, 3H)
    H = recurrent.shape[0]
    bias = cell.arrays.get("bias")
    reset_after, note = _reset_after(bias, layer_config, path, cell)
    kernel_blocks = {g: block.T for g, block in split_blocks(kernel, GRU_ORDER, axis=1).items()}  # (H, I)
    recurrent_blocks = {g: block.T for g, block in split_blocks(recurrent, GRU_ORDER, axis=1).items()}  # (H, H)
    zeros = {g: np.zeros(H) for g in GRU_ORDER}
    parts = None
    if bias is None:
        input_bias, recurrent_bias, b_text = zeros, zeros, "no bias (use_bias=False), b = 0"
    elif bias.ndim == 2:
        input_bias, recurrent_bias = split_blocks(bias[0], GRU_ORDER), split_blocks(bias[1], GRU_ORDER)
        parts = {"input bias": input_bias, "recurrent bias": recurrent_bias}
        b_text = "bias = [input; recurrent]: b_z, b_r = their sums, b_in = input bias of h, b_hn = recurrent bias of h"
    else:
        input_bias, recurrent_bias, b_text = split_blocks(bias, GRU_ORDER), zeros, "b = bias, b_hn = 0"
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
        "framework": FRAMEWORK,
        "layer": index,
        "layer_name": cell.layer_name,
        "direction": cell.direction,
        "mapping": f"{mapping_text('Keras columns', GRU_ORDER)} (of kernel, recurrent_kernel and bias, in "
        f"{cell.group}); W_g = [recurrent_kernel columns | kernel columns], transposed; {b_text}"
        + "".join(f"; {text}" for text in mapping),
        "gate_order": "z, r, h",
        "bias": "two biases (reset_after=True): summed for z and r, kept apart for h" if parts
        else ("one bias (reset_after=False)" if bias is not None else "none (use_bias=False)"),
        "stored_dtype": str(kernel.dtype),
        "parameters": int(kernel.size + recurrent.size + (bias.size if bias is not None else 0)),
        CELL_OPTIONS_KEY: {"variant": "gru", **options},
    }  # fmt: skip
    weights = GRUWeights.from_blocks(
        recurrent_blocks, kernel_blocks, summed, recurrent_bias["new"], provenance,
        f"Keras file '{path}' ({cell.group})",
    )  # fmt: skip
    return weights, parts, note


def _reset_after(bias: np.ndarray | None, layer_config: dict | None, path: Path, cell: KerasCell):
    """(reset_after, a note or None): from the bias's shape, checked against the config; from the config
    alone without a bias."""
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


def _gru_bias(weights: GRUWeights, bias_parts: Mapping | None) -> np.ndarray:
    """(2, 3H) = [input bias; recurrent bias] with reset_after (the default); (3H,) without, where
    r multiplies h before recurrent_kernel and b_in, b_hn both sit outside it, so they add up."""
    if implied_options(weights).get("gru_reset_before"):
        return np.concatenate([weights.b["update"], weights.b["reset"], weights.b["new"] + weights.b_hn])
    if bias_parts is None:
        zeros = np.zeros_like(weights.b_hn)
        bias_parts = {"input": weights.b, "recurrent": {"update": zeros, "reset": zeros, "new": weights.b_hn}}
    input_bias, recurrent_bias = bias_parts.values()
    return np.stack([np.concatenate([part[g] for g in GRU_ORDER]) for part in (input_bias, recurrent_bias)])
