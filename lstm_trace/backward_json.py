"""The `"backward"` block of a step in the lstm-trace/1 contract: write it, read it back.

    "backward": {"d_h": [...], "d_c_carried": [...], "c_tanh_local": [...], "d_c": [...],
                 "forget": {"d_act": [...], "local": [...], "d_preact": [...],
                            "d_W": [[...], ...], "d_b": [...], "d_z": [...]},
                 "input": {...}, "candidate": {...}, "output": {...},
                 "d_z": [...], "d_h_prev": [...], "d_x": [...], "d_c_prev": [...]}

Names come from `stages.GRAD_QUANTITIES` (a dotted name is a nested object).
A trace without the block is still a valid trace. Within the block the contract
requires d_h_prev, d_c_prev, d_x and, per gate, d_preact, d_W and d_b; the other
fields are informative and may be missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backward_trace import BackwardTrace, GateGrad
from .errors import DataError
from .stages import GATES, GRAD_QUANTITIES
from .traces import nested_lists

REQUIRED = (
    "d_h_prev", "d_c_prev", "d_x",
    *(f"{gate.name}.{part}" for gate in GATES for part in ("d_preact", "d_W", "d_b")),
)  # fmt: skip
_GATE_PARTS = ("d_preact", "d_W", "d_b", "d_act", "local", "d_z")


def backward_to_dict(backward: BackwardTrace) -> dict[str, Any]:
    return nested_lists(backward, GRAD_QUANTITIES)


def backward_from_dict(raw: Any, where: str, hidden_size: int, input_size: int, dtype: str, origin: str) -> BackwardTrace | None:
    """The block at `where` (e.g. "steps[0].backward"), or None when the step has none."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise DataError(f"In the {origin}, {where} must be an object, found {type(raw).__name__}.")
    H, I = hidden_size, input_size
    shapes = {"(H,)": (H,), "(I,)": (I,), "(H+I,)": (H + I,), "(H, H+I)": (H, H + I)}
    values: dict[str, np.ndarray] = {}
    for name, quantity in GRAD_QUANTITIES.items():
        head, _, part = name.partition(".")
        block = raw.get(head)
        value = block.get(part) if part and isinstance(block, dict) else (None if part else block)
        if value is None and name not in REQUIRED:
            continue
        values[name] = _array(value, f"{where}.{name}", shapes[quantity.shape], dtype, origin)
    gates = {
        gate.name: GateGrad(**{part: values.get(f"{gate.name}.{part}") for part in _GATE_PARTS}) for gate in GATES
    }
    plain = {name: value for name, value in values.items() if "." not in name}
    return BackwardTrace(**plain, **gates)


def _array(raw: Any, where: str, shape: tuple[int, ...], dtype: str, origin: str) -> np.ndarray:
    expected = "a list of numbers" if len(shape) == 1 else "a list of lists of numbers"
    size = " × ".join(str(n) for n in shape)
    if raw is None:
        raise DataError(f"In the {origin}, {where} is missing; expected {expected} ({size}).")
    if not _has_shape(raw, shape):
        raise DataError(f"In the {origin}, {where} must be {expected} of shape {size}.")
    with np.errstate(over="ignore"):  # a float64 too large for float32 becomes inf, caught below
        array = np.array(raw, dtype=dtype)
    if not np.all(np.isfinite(array)):
        raise DataError(f"In the {origin}, {where} holds a number that is not finite in {dtype}.")
    return array


def _has_shape(raw: Any, shape: tuple[int, ...]) -> bool:
    if not isinstance(raw, list) or len(raw) != shape[0]:
        return False
    if len(shape) == 1:
        return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
    return all(_has_shape(row, shape[1:]) for row in raw)
