"""The JSON "variant_backward" block that `grad --json` adds for a variant cell.

    "variant_backward": {"loss": "L = Σ hₜ", "steps": [{"t": 1,
        "d_h": [...], "d_h_prev": [...], "d_x": [...], "d_c_prev": [...], "d_c": [...], ...,
        "gates": {"forget": {"d_act": [...], "local": [...], "d_preact": [...], "d_b": [...], "d_W": [[...]], "d_z": [...]}, ...},
        "peepholes": {"forget": [...], "input": [...], "output": [...]}, "d_projection": [[...]]}]}

Every name is a field of `VariantBackward` (see `variants/backward_trace.py`); fields the cell
does not have are left out. Floats are written in full, as everywhere in lstm-trace's JSON.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..backward_trace import GateGrad
from ..errors import DataError
from .backward_trace import VariantBackward

VECTORS = (
    "d_h", "d_c_carried", "d_c", "d_c_unclipped", "d_h_unprojected", "d_z", "d_h_prev", "d_x", "d_c_prev",
    "d_b_hn", "d_h_direct", "d_projection",
)  # fmt: skip
GATE_PARTS = ("d_act", "local", "d_preact", "d_b", "d_W", "d_z")


def variant_backward_to_dict(backward: VariantBackward, t: int) -> dict[str, Any]:
    content: dict[str, Any] = {"t": t}
    content.update({name: getattr(backward, name).tolist() for name in VECTORS if getattr(backward, name) is not None})
    content["gates"] = {
        gate: {part: getattr(grad, part).tolist() for part in GATE_PARTS if getattr(grad, part) is not None}
        for gate, grad in backward.gates.items()
    }
    if backward.d_peepholes is not None:
        content["peepholes"] = {gate: value.tolist() for gate, value in backward.d_peepholes.items()}
    return content


def variant_backward_block(steps: list[tuple[int, VariantBackward]], loss: str) -> dict[str, Any]:
    return {"variant_backward": {"loss": loss, "steps": [variant_backward_to_dict(b, t) for t, b in steps]}}


def variant_backward_from_dict(content: Any, dtype: str, origin: str) -> tuple[tuple[int, VariantBackward], ...]:
    """Read the "variant_backward" block back (for `show`); DataError naming the key when it is malformed."""
    where = f'In the {origin}, "variant_backward"'
    steps = content.get("steps") if isinstance(content, dict) else None
    if not isinstance(steps, list) or not steps:
        raise DataError(f'{where} must be an object with a non-empty list "steps".')
    return tuple(_step(step, f"{where}.steps[{k}]", dtype) for k, step in enumerate(steps))


def _step(raw: Any, where: str, dtype: str) -> tuple[int, VariantBackward]:
    if not isinstance(raw, dict) or not isinstance(raw.get("t"), int) or not isinstance(raw.get("gates"), dict):
        raise DataError(f'{where} must be an object with an integer "t" and an object "gates".')
    for required in ("d_h", "d_h_prev", "d_x", "d_z"):
        if required not in raw:
            raise DataError(f'{where} has no "{required}"; found keys {sorted(raw)}.')
    values = {name: _array(raw[name], f"{where}.{name}", dtype) for name in VECTORS if name in raw}
    gates = {}
    for gate, parts in raw["gates"].items():
        if not isinstance(parts, dict):
            raise DataError(f"{where}.gates.{gate} must be an object of gradients.")
        arrays = {part: _array(parts[part], f"{where}.gates.{gate}.{part}", dtype) for part in GATE_PARTS if part in parts}
        gates[gate] = GateGrad(**{part: arrays.get(part) for part in ("d_preact", "d_W", "d_b")},
                               **{part: arrays.get(part) for part in ("d_act", "local", "d_z")})  # fmt: skip
    peepholes = raw.get("peepholes")
    if peepholes is not None:
        if not isinstance(peepholes, dict):
            raise DataError(f"{where}.peepholes must be an object of gradients.")
        peepholes = {gate: _array(value, f"{where}.peepholes.{gate}", dtype) for gate, value in peepholes.items()}
    return raw["t"], VariantBackward(gates=gates, d_peepholes=peepholes, **values)


def _array(raw: Any, where: str, dtype: str) -> np.ndarray:
    try:
        value = np.asarray(raw, dtype=dtype)
    except (TypeError, ValueError):
        raise DataError(f"{where} must be a list of numbers (or of lists of numbers).") from None
    if value.ndim not in (1, 2) or value.size == 0 or not all(math.isfinite(v) for v in value.flat):
        raise DataError(f"{where} must be a non-empty list of finite numbers, found shape {value.shape}.")
    return value
