"""The cells of ONNX's `LSTM` and `GRU` nodes, in NumPy: read into the canonical layouts, and written.

LSTM: W [dirs, 4H, I], R [dirs, 4H, H], B [dirs, 8H] = [Wb, Rb] and the optional
peepholes P [dirs, 3H] = [p_i, p_o, p_f]; rows stacked as i, o, f, c. The canonical
b_g = Wb + Rb. With input_forget = 1 ONNX computes i and sets f = 1 - i, so the
forget gate is built from the input gate's rows, negated (see `onnx_attributes`).

GRU: W [dirs, 3H, I], R [dirs, 3H, H], B [dirs, 6H] = [Wb, Rb]; blocks stacked as
z, r, h (update, reset, new). r and z add their two biases: b_z = Wb_z + Rb_z,
b_r = Wb_r + Rb_r. The new state keeps them apart, because with
linear_before_reset = 1 the reset gate multiplies R_h·h + Rb_h: b_in = Wb_h,
b_hn = Rb_h (with linear_before_reset = 0 both are outside, so either way works).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np

from ..errors import DataError, shape_text
from .gate_blocks import mapping_text, split_blocks, stack_blocks
from .gru_weights import GRUWeights
from .lstm_weights import LSTMWeights
from .onnx_attributes import NodeOptions
from .onnx_node import check_shapes, node_inputs, stored, stored_bias
from .stated_options import CELL_OPTIONS_KEY

FRAMEWORK = "ONNX"
LSTM_ORDER = ("input", "output", "forget", "candidate")  # ONNX stacks an LSTM's rows as i, o, f, c
GRU_ORDER = ("update", "reset", "new")  # and a GRU's as z, r, h
PEEPHOLE_ORDER = ("input", "output", "forget")  # ONNX's P holds [p_i, p_o, p_f]
LSTM_INPUTS = ("X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P")
GRU_INPUTS = ("X", "W", "R", "B", "sequence_lens", "initial_h")


def has_peepholes(node: Any) -> bool:
    return bool(node_inputs(node, len(LSTM_INPUTS))[7])


def lstm_node_cells(
    node: Any, attributes: dict, found: NodeOptions, directions: tuple[str, ...], tensors: dict, path: Path,
    index: int, name: str,
) -> Iterator[tuple[tuple[int, str], LSTMWeights, dict]]:  # fmt: skip
    """(key, weights, bias parts) for each direction of one LSTM node."""
    inputs = node_inputs(node, len(LSTM_INPUTS))
    W, R = (stored(inputs[k], LSTM_INPUTS[k], tensors, path, name) for k in (1, 2))
    D = len(directions)
    H = check_shapes(W, R, D, 4, attributes.get("hidden_size"), path, name)
    B = stored_bias(inputs[3], tensors, D, 4, H, W, path, name)
    P = _peepholes(inputs[7], tensors, D, H, path, name)
    for d, label in enumerate(directions):
        Wb, Rb = split_blocks(B[d][: 4 * H], LSTM_ORDER), split_blocks(B[d][4 * H :], LSTM_ORDER)
        recurrent, weights_x = split_blocks(R[d], LSTM_ORDER), split_blocks(W[d], LSTM_ORDER)
        options = found.options[d]
        if options.get("variant") == "cifg":  # f = 1 - i in ONNX is lstm-trace's f = σ(-(i's pre-activation))
            for blocks in (recurrent, weights_x, Wb, Rb):
                blocks["forget"] = -blocks["input"]
        bias = {gate: Wb[gate].astype(np.float64) + Rb[gate] for gate in LSTM_ORDER}
        peepholes = None if P is None else split_blocks(P[d], PEEPHOLE_ORDER)
        if peepholes is not None:
            options = {"variant": "peephole", **options}
        extras = ([] if P is None else [f"P[{d}] = [p_i | p_o | p_f] -> the peepholes"]) + found.mappings[d]
        provenance = {
            "source": str(path),
            "framework": FRAMEWORK,
            "layer": index,
            "layer_name": name,
            "direction": label,
            "mapping": f"{mapping_text('ONNX rows', LSTM_ORDER)} (of W[{d}], R[{d}] and both halves of B[{d}]); "
            f"W_g = [R rows | W rows]; b = Wb + Rb (B[{d}] = [Wb, Rb])" + "".join(f"; {text}" for text in extras),
            "gate_order": "i, o, f, c",
            "bias": "two biases, B = [Wb, Rb], b = Wb + Rb" if inputs[3] else "none (no B input), b = 0",
            "stored_dtype": str(W.dtype),
            "parameters": int(W[d].size + R[d].size + (B[d].size if inputs[3] else 0) + (3 * H if P is not None else 0)),
        }
        if options:
            provenance[CELL_OPTIONS_KEY] = options
        weights = LSTMWeights.from_blocks(
            recurrent, weights_x, bias, provenance, f"ONNX model '{path}' (node {name!r})", peepholes=peepholes,
        )  # fmt: skip
        yield (index, label), weights, {"Wb": Wb, "Rb": Rb}


def _peepholes(name: str, tensors: dict, directions: int, H: int, path: Path, node: str) -> np.ndarray | None:
    if not name:
        return None
    P = stored(name, "P", tensors, path, node)
    if P.shape != (directions, 3 * H):
        raise DataError(
            f"In the ONNX model '{path}', P of node {node!r} has shape {shape_text(P.shape)}, but R makes H = {H} "
            f"with {directions} direction(s), so P must have shape ({directions}, {3 * H}) ([p_i, p_o, p_f])."
        )
    return P


def gru_node_cells(
    node: Any, attributes: dict, found: NodeOptions, directions: tuple[str, ...], tensors: dict, path: Path,
    index: int, name: str,
) -> Iterator[tuple[tuple[int, str], GRUWeights, dict]]:  # fmt: skip
    """(key, weights, bias parts) for each direction of one GRU node."""
    inputs = node_inputs(node, len(GRU_INPUTS))
    W, R = (stored(inputs[k], GRU_INPUTS[k], tensors, path, name) for k in (1, 2))
    D = len(directions)
    H = check_shapes(W, R, D, 3, attributes.get("hidden_size"), path, name)
    B = stored_bias(inputs[3], tensors, D, 3, H, W, path, name)
    for d, label in enumerate(directions):
        Wb, Rb = split_blocks(B[d][: 3 * H], GRU_ORDER), split_blocks(B[d][3 * H :], GRU_ORDER)
        bias = {
            "reset": Wb["reset"].astype(np.float64) + Rb["reset"],
            "update": Wb["update"].astype(np.float64) + Rb["update"],
            "new": Wb["new"],
        }
        extras = "".join(f"; {text}" for text in found.mappings[d])
        provenance = {
            "source": str(path),
            "framework": FRAMEWORK,
            "layer": index,
            "layer_name": name,
            "direction": label,
            "mapping": f"{mapping_text('ONNX rows', GRU_ORDER)} (of W[{d}], R[{d}] and both halves of B[{d}]); "
            f"W_g = [R rows | W rows]; b_z = Wb_z + Rb_z, b_r = Wb_r + Rb_r, b_in = Wb_h, b_hn = Rb_h{extras}",
            "gate_order": "z, r, h",
            "bias": "two biases, B = [Wb, Rb]: summed for r and z, kept apart for the new state"
            if inputs[3] else "none (no B input), b = 0",
            "stored_dtype": str(W.dtype),
            "parameters": int(W[d].size + R[d].size + (B[d].size if inputs[3] else 0)),
        }  # fmt: skip
        provenance[CELL_OPTIONS_KEY] = {"variant": "gru", **found.options[d]}
        weights = GRUWeights.from_blocks(
            split_blocks(R[d], GRU_ORDER), split_blocks(W[d], GRU_ORDER), bias, Rb["new"],
            provenance, f"ONNX model '{path}' (node {name!r})",
        )  # fmt: skip
        yield (index, label), weights, {"Wb": Wb, "Rb": Rb}


def lstm_node_arrays(weights: LSTMWeights, bias_parts: Mapping | None, options: dict) -> dict[str, np.ndarray]:
    if bias_parts is None:
        bias_parts = {"Wb": weights.b, "Rb": {gate: np.zeros_like(b) for gate, b in weights.b.items()}}
    input_bias, recurrent_bias = (dict(part) for part in bias_parts.values())
    inputs, recurrent = weights.input_blocks(), weights.recurrent_blocks()
    if options.get("variant") == "cifg":
        # ONNX's input_forget computes i from the input gate's rows and sets f = 1 - i: lstm-trace's
        # f = σ(a) with i = 1 - f is that cell when ONNX's input rows are the negated forget rows.
        for blocks in (inputs, recurrent, input_bias, recurrent_bias):
            blocks["input"] = -blocks["forget"]
    arrays = {
        "W": stack_blocks(inputs, LSTM_ORDER)[None],  # (1, 4H, I)
        "R": stack_blocks(recurrent, LSTM_ORDER)[None],  # (1, 4H, H)
        "B": np.concatenate([stack_blocks(input_bias, LSTM_ORDER), stack_blocks(recurrent_bias, LSTM_ORDER)])[None],
    }
    if weights.peepholes is not None and options.get("variant") == "peephole":
        arrays["P"] = stack_blocks(weights.peepholes, PEEPHOLE_ORDER)[None]  # (1, 3H) = [p_i, p_o, p_f]
    return arrays


def gru_node_arrays(weights: GRUWeights, bias_parts: Mapping | None) -> dict[str, np.ndarray]:
    """B = [Wb, Rb]: r and z's bias in Wb (or as stored), the new state's b_in in Wb and b_hn in Rb."""
    if bias_parts is None:
        zeros = np.zeros_like(weights.b_hn)
        bias_parts = {"Wb": weights.b, "Rb": {"reset": zeros, "update": zeros, "new": weights.b_hn}}
    input_bias, recurrent_bias = bias_parts.values()
    return {
        "W": stack_blocks(weights.input_blocks(), GRU_ORDER)[None],  # (1, 3H, I)
        "R": stack_blocks(weights.recurrent_blocks(), GRU_ORDER)[None],  # (1, 3H, H)
        "B": np.concatenate([stack_blocks(input_bias, GRU_ORDER), stack_blocks(recurrent_bias, GRU_ORDER)])[
            None
        ],
    }
