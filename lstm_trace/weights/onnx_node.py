"""What the ONNX LSTM and GRU readers share: a node's stored inputs, its direction, its shapes.

Both operators take X, W [dirs, kH, I], R [dirs, kH, H] and B [dirs, 2kH] = [Wb, Rb]
(k = 4 gates for an LSTM, 3 blocks for a GRU); direction 0 is forward and, for a
bidirectional node, direction 1 is reverse.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError, shape_text

DIRECTIONS = {"forward": ("forward",), "reverse": ("reverse",), "bidirectional": ("forward", "reverse")}


def node_inputs(node: Any, count: int) -> list[str]:
    """The node's input names, "" for the optional ones it leaves out, padded to `count`."""
    return list(node.input) + [""] * (count - len(node.input))


def attribute_text(value: Any) -> str:
    """A string attribute; bytes that are not UTF-8 (a damaged file) come out with � and fail the caller's check."""
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)


def node_directions(attributes: dict[str, Any], path: Path, name: str) -> tuple[str, ...]:
    direction = attribute_text(attributes.get("direction", b"forward"))
    directions = DIRECTIONS.get(direction)
    if directions is None:
        raise DataError(
            f"In the ONNX model '{path}', node {name!r} has direction {direction!r}; expected forward, reverse "
            f"or bidirectional."
        )
    return directions


def stored(name: str, role: str, tensors: dict[str, np.ndarray], path: Path, node: str) -> np.ndarray:
    if not name:
        raise DataError(f"In the ONNX model '{path}', node {node!r} has no {role} input.")
    if name not in tensors:
        raise DataError(
            f"In the ONNX model '{path}', the {role} input {name!r} of node {node!r} is not stored in the "
            f"file (it is a graph input or computed by other nodes); lstm-trace needs it as an initializer."
        )
    return tensors[name]


def check_shapes(
    W: np.ndarray, R: np.ndarray, directions: int, blocks: int, hidden_size: Any, path: Path, name: str
) -> int:
    """H from R [dirs, kH, H], after checking W [dirs, kH, I] against it (k = `blocks`)."""
    k = f"{blocks}H"
    if R.ndim != 3 or R.shape[0] != directions or R.shape[1] != blocks * R.shape[2] or R.shape[2] == 0:
        raise DataError(
            f"In the ONNX model '{path}', R of node {name!r} has shape {shape_text(R.shape)}; expected "
            f"({directions}, {k}, H) for {directions} direction(s)."
        )
    H = R.shape[2]
    if W.ndim != 3 or W.shape[:2] != (directions, blocks * H) or W.shape[2] == 0:
        raise DataError(
            f"In the ONNX model '{path}', W of node {name!r} has shape {shape_text(W.shape)}, but R "
            f"{shape_text(R.shape)} makes H = {H}, so W must have shape ({directions}, {blocks * H}, I)."
        )
    if hidden_size is not None and hidden_size != H:
        raise DataError(
            f"In the ONNX model '{path}', node {name!r} says hidden_size = {hidden_size}, but R "
            f"{shape_text(R.shape)} makes H = {H}."
        )
    return H


def stored_bias(name: str, tensors: dict, directions: int, blocks: int, H: int, W: np.ndarray, path: Path,
                node: str) -> np.ndarray:  # fmt: skip
    """B [dirs, 2kH] = [Wb, Rb], or zeros when the node has no B input."""
    if not name:
        return np.zeros((directions, 2 * blocks * H))
    B = stored(name, "B", tensors, path, node)
    if B.shape != (directions, 2 * blocks * H):
        raise DataError(
            f"In the ONNX model '{path}', B of node {node!r} has shape {shape_text(B.shape)}, but W "
            f"{shape_text(W.shape)} makes H = {H} with {directions} direction(s), so B must have shape "
            f"({directions}, {2 * blocks * H})."
        )
    return B
