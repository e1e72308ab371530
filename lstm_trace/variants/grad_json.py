"""The JSON "variant_backward" block that `grad --json` adds for a variant cell.

    "variant_backward": {"loss": "L = Σ hₜ", "steps": [{"t": 1,
        "d_h": [...], "d_h_prev": [...], "d_x": [...], "d_c_prev": [...], "d_c": [...], ...,
        "gates": {"forget": {"d_act": [...], "local": [...], "d_preact": [...], "d_b": [...], "d_W": [[...]], "d_z": [...]}, ...},
        "peepholes": {"forget": [...], "input": [...], "output": [...]}, "d_projection": [[...]]}]}

Every name is a field of `VariantBackward` (see `variants/backward_trace.py`); fields the cell
does not have are left out. Floats are written in full, as everywhere in lstm-trace's JSON.
"""

from __future__ import annotations

from typing import Any

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
