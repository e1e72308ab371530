"""What each `weights convert` target can hold beyond the plain LSTM, and a refusal for the rest.

A converted file must compute the same cell as its source. A cell option the
target has no place for (Keras has no peepholes, PyTorch no clip, ONNX's LSTM no
projection) would be dropped silently by writing the arrays alone, so the
conversion is refused instead, naming the targets that can hold it.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import UsageError
from .cell_options import options_text

ANY = None  # every value of the option can be written

# target -> option -> the values its files can hold (ANY: all); options not listed cannot be held.
HOLDS: dict[str, dict[str, tuple | None]] = {
    "pytorch": {"variant": ("gru",), "proj_size": ANY},
    "safetensors": {"variant": ("gru",), "proj_size": ANY},
    # A .weights.h5 holds no config: the activation and reset_after go into the layer the usage line builds.
    "keras": {"variant": ("gru",), "cell_activation": ANY, "gru_reset_before": ANY},
    "onnx": {"variant": ANY, "preact_clip": ANY, "gate_activation": ANY, "cell_activation": ANY, "gru_reset_before": ANY},
    "npz": {option: ANY for option in ("variant", "forget_bias", "cell_clip", "preact_clip", "proj_size",
                                       "gate_activation", "cell_activation", "gru_reset_before")},
}  # fmt: skip

# Why a target cannot hold an option, where that is worth saying.
WHY = {
    ("keras", "gate_activation"): "Keras 3's hard_sigmoid is relu6(x + 3) / 6, not clip(0.2·x + 0.5, 0, 1)",
    ("keras", "variant"): "Keras 3 has no peephole or coupled-gate LSTM layer",
    ("pytorch", "variant"): "nn.LSTM has no peepholes and no coupled gates",
    ("safetensors", "variant"): "nn.LSTM has no peepholes and no coupled gates",
    ("pytorch", "gru_reset_before"): "nn.GRU applies the reset gate after W_hn",
    ("safetensors", "gru_reset_before"): "nn.GRU applies the reset gate after W_hn",
    ("onnx", "proj_size"): "ONNX's LSTM operator has no projection",
}


def check_target_holds(to: str, options: Mapping[str, Any]) -> None:
    """A UsageError naming each option of the cell that target `to` cannot hold."""
    missing = {option: value for option, value in options.items() if not _holds(to, option, value)}
    if not missing:
        return
    reasons = [WHY[(to, option)] for option in missing if (to, option) in WHY]
    able = [target for target in HOLDS if target != to and all(_holds(target, o, v) for o, v in missing.items())]
    raise UsageError(
        f"--to {to} cannot hold this cell's {options_text(missing)}"
        + (f" ({'; '.join(reasons)})" if reasons else "")
        + ": the converted file would compute another cell, so nothing was written."
        + (f" Targets that hold it: {', '.join(able)}." if able else "")
    )


def _holds(to: str, option: str, value: Any) -> bool:
    held = HOLDS[to]
    return option in held and (held[option] is ANY or value in held[option])
