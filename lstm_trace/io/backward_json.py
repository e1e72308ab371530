"""The `"backward"` block of a step in the lstm-trace/2 contract: write it, read it back.

Every cell's gradients sit in its steps, named like the values they belong to:

    "backward": {"d_h": [...], "d_c_carried": [...], "c_tanh_local": [...], "d_c": [...],
                 "forget": {"d_act": [...], "local": [...], "d_preact": [...],
                            "d_W": [[...], ...], "d_b": [...], "d_z": [...]},
                 "input": {...}, "candidate": {...}, "output": {...},
                 "d_z": [...], "d_h_prev": [...], "d_x": [...], "d_c_prev": [...]}

A variant adds what its options add ("d_c_unclipped", "d_h_unprojected",
"d_projection", "peephole": {"forget", "input", "output"}); a GRU's blocks are
"reset", "update", "new", with "d_b_hn" and "d_h_direct" and no C. cifg's input
block has "d_act" only. Required: d_h_prev, d_x, d_c_prev where the cell has C,
and per block with weights d_preact, d_W and d_b; the rest is informative.

lstm-trace/1 kept a variant's gradients in a top-level "variant_backward" block;
`v1_variant_backward` moves them into the steps, so old files read as new ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cell_options import CellOptions
from ..errors import DataError
from ..traces.step import BackwardTrace

_VECTORS_H = ("d_c_carried", "c_tanh_local", "d_c", "d_c_unclipped", "d_h_unprojected", "d_c_prev", "d_b_hn",
              "d_h_direct")  # fmt: skip
_BLOCK_PARTS = ("d_act", "local", "d_preact", "d_W", "d_b", "d_z")


def nested_lists(values, names) -> dict[str, Any]:
    """`values[name]` for each dotted name, as JSON-ready nested lists: "forget.act" -> {"forget": {"act": [...]}}.

    Names whose value is None are left out.
    """
    content: dict[str, Any] = {}
    for name in names:
        value = values[name]
        if value is None:
            continue
        head, _, part = name.partition(".")
        if part:
            content.setdefault(head, {})[part] = value.tolist()
        else:
            content[head] = value.tolist()
    return content


def backward_to_dict(backward: BackwardTrace) -> dict[str, Any]:
    return nested_lists(backward, backward.values)


def backward_from_dict(
    raw: Any, where: str, sizes: dict[str, int], dtype: str, origin: str, cell: CellOptions
) -> BackwardTrace | None:
    """The block at `where` (e.g. "steps[0].backward"), or None when the step has none.

    `sizes` gives H, I and P (the length of h) by letter.
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise DataError(f"In the {origin}, {where} must be an object, found {type(raw).__name__}.")
    _check_required(raw, where, origin, cell)
    H, I, P = sizes["H"], sizes["I"], sizes["P"]
    shapes = {"d_h": (P,), "d_h_prev": (P,), "d_x": (I,), "d_z": (P + I,), "d_projection": (P, H),
              **{name: (H,) for name in _VECTORS_H}}  # fmt: skip
    part_shapes = {"d_act": (H,), "local": (H,), "d_preact": (H,), "d_b": (H,), "d_W": (H, P + I), "d_z": (P + I,)}
    values: dict[str, np.ndarray] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            for part, inner in value.items():
                shape = (H,) if key == "peephole" else part_shapes.get(part)
                if shape is None:
                    raise DataError(f"In the {origin}, {where}.{key} has an unknown gradient {part!r}.")
                values[f"{key}.{part}"] = _array(inner, f"{where}.{key}.{part}", shape, dtype, origin)
        elif key in shapes:
            values[key] = _array(value, f"{where}.{key}", shapes[key], dtype, origin)
        else:
            raise DataError(f"In the {origin}, {where} has an unknown gradient {key!r}.")
    return BackwardTrace(values)


def _check_required(raw: dict, where: str, origin: str, cell: CellOptions) -> None:
    """What the contract requires: what the step passes back, and each weighted block's δ, ∂L/∂W and ∂L/∂b."""
    for required in ("d_h_prev", "d_x", *(("d_c_prev",) if cell.has_cell_state else ())):
        if required not in raw:
            raise DataError(f"In the {origin}, {where}.{required} is missing; expected a list of numbers.")
    for block in _WEIGHTED_BLOCKS[cell.variant]:
        for part in ("d_preact", "d_W", "d_b"):
            if not isinstance(raw.get(block), dict) or part not in raw[block]:
                raise DataError(f"In the {origin}, {where}.{block}.{part} is missing; expected its gradients.")


_WEIGHTED_BLOCKS = {
    "lstm": ("forget", "input", "candidate", "output"),
    "peephole": ("forget", "input", "candidate", "output"),
    "cifg": ("forget", "candidate", "output"),  # i = 1 − f has no weights: its block holds d_act alone
    "gru": ("reset", "update", "new"),
}


def v1_variant_backward(content: dict[str, Any], origin: str) -> dict[int, dict[str, Any]]:
    """An lstm-trace/1 "variant_backward" block as step t -> that step's "backward" object in the /2 layout."""
    block = content["variant_backward"]
    where = f'In the {origin}, "variant_backward"'
    steps = block.get("steps") if isinstance(block, dict) else None
    if not isinstance(steps, list) or not steps:
        raise DataError(f'{where} must be an object with a non-empty list "steps".')
    by_t: dict[int, dict[str, Any]] = {}
    for k, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("t"), int) or not isinstance(step.get("gates"), dict):
            raise DataError(f'{where}.steps[{k}] must be an object with an integer "t" and an object "gates".')
        moved = {key: value for key, value in step.items() if key not in ("t", "gates", "peepholes")}
        for gate, parts in step["gates"].items():
            if not isinstance(parts, dict):
                raise DataError(f"{where}.steps[{k}].gates.{gate} must be an object of gradients.")
            moved[gate] = {part: parts[part] for part in _BLOCK_PARTS if part in parts}
        if step.get("peepholes") is not None:
            moved["peephole"] = step["peepholes"]
        by_t[step["t"]] = moved
    return by_t


def _array(raw: Any, where: str, shape: tuple[int, ...], dtype: str, origin: str) -> np.ndarray:
    expected = "a list of numbers" if len(shape) == 1 else "a list of lists of numbers"
    size = " × ".join(str(n) for n in shape)
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
