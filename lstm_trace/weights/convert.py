"""`weights convert`: one cell of a weights file, written in another framework's layout.

Each target's format module lays the canonical cell out in the target's gate
order and bias convention (`write`) and says how to load the result in that
framework (`usage`). The cell's options (a GRU, peepholes, a projection, clip,
activations) go with it where the target can hold them. An option the target
has no place for (Keras has no peepholes, PyTorch no clip, ONNX's LSTM no
projection) would be dropped silently by writing the arrays alone, so the
conversion is refused instead, naming the targets that can hold it. Files are
written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Mapping

from ..errors import UsageError
from ..output_files import write_atomic
from . import keras, native, onnx, pytorch, safetensors
from .gru_weights import GRUWeights
from .layers import LayerSelection, select_key
from .loading import read_weight_cells
from .lstm_weights import LSTMWeights
from .stated_options import implied_options, options_text

ANY = None  # every value of the option can be written


@dataclass(frozen=True)
class Target:
    label: str  # "Keras"
    suffixes: tuple[str, ...]  # endings the output file must have, so lstm-trace (and the framework) read it back
    format: ModuleType  # the format module: write(weights, bias_parts, stream) and usage(weights, file_name)
    layout: str  # the target's gate order and bias convention, in words
    gru_layout: str  # the same for a GRU
    holds: Mapping[str, tuple | None]  # option -> the values its files can hold (ANY: all); others cannot be held
    why: Mapping[str, str] = field(default_factory=dict)  # option -> why it cannot be held, where worth saying


_STATE_DICT_HOLDS = {"variant": ("gru",), "proj_size": ANY}
_STATE_DICT_WHY = {
    "variant": "nn.LSTM has no peepholes and no coupled gates",
    "gru_reset_before": "nn.GRU applies the reset gate after W_hn",
}

TARGETS: dict[str, Target] = {
    "pytorch": Target(
        "PyTorch", (".pt", ".pth"), pytorch,
        "nn.LSTM state dict weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (and weight_hr_l0); rows i, f, g, o; "
        "two biases",
        "nn.GRU state dict weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0; rows r, z, n; two biases",
        _STATE_DICT_HOLDS, _STATE_DICT_WHY,
    ),
    "safetensors": Target(
        "safetensors", (".safetensors",), safetensors,
        "PyTorch's key names and layout in a safetensors file; rows i, f, g, o; two biases",
        "PyTorch's GRU key names and layout in a safetensors file; rows r, z, n; two biases",
        _STATE_DICT_HOLDS, _STATE_DICT_WHY,
    ),
    "keras": Target(
        "Keras", (".weights.h5",), keras,
        "kernel (I × 4H), recurrent_kernel (H × 4H), bias (4H,); columns i, f, c, o; one bias",
        "GRU kernel (I × 3H), recurrent_kernel (H × 3H), bias (2, 3H) = [input; recurrent] ((3H,) with "
        "reset_after=False); columns z, r, h",
        # A .weights.h5 holds no config: the activation and reset_after go into the layer the usage line builds.
        {"variant": ("gru",), "cell_activation": ANY, "gru_reset_before": ANY},
        {"gate_activation": "Keras 3's hard_sigmoid is relu6(x + 3) / 6, not clip(0.2·x + 0.5, 0, 1)",
         "variant": "Keras 3 has no peephole or coupled-gate LSTM layer"},
    ),
    "onnx": Target(
        "ONNX", (".onnx",), onnx,
        "one LSTM node with W [1, 4H, I], R [1, 4H, H], B [1, 8H] = [Wb, Rb] (and P [1, 3H] = [p_i, p_o, p_f]); "
        "rows i, o, f, c",
        "one GRU node with W [1, 3H, I], R [1, 3H, H], B [1, 6H] = [Wb, Rb]; rows z, r, h",
        {"variant": ANY, "preact_clip": ANY, "gate_activation": ANY, "cell_activation": ANY, "gru_reset_before": ANY},
        {"proj_size": "ONNX's LSTM operator has no projection"},
    ),
    "npz": Target(
        "lstm-trace native", (".npz",), native,
        "W_f, W_i, W_c, W_o (H × (H+I), columns [h | x]) and b_f, b_i, b_c, b_o (and p_f, p_i, p_o, W_hr, "
        "cell_options)",
        "W_r, W_z, W_n (H × (H+I), columns [h | x]), b_r, b_z, b_in, b_hn (and cell_options)",
        {option: ANY for option in ("variant", "forget_bias", "cell_clip", "preact_clip", "proj_size",
                                    "gate_activation", "cell_activation", "gru_reset_before")},
    ),
}  # fmt: skip


@dataclass(frozen=True)
class Conversion:
    weights: LSTMWeights | GRUWeights  # the cell that was written, in the canonical layout
    target: Target
    output: Path
    kept_two_biases: bool  # the source's two biases were written as they were
    usage: str  # how to load the output in its framework
    options: dict  # the cell options written with it (CellOptions fields, non-default ones)

    @property
    def layout(self) -> str:
        return self.target.gru_layout if isinstance(self.weights, GRUWeights) else self.target.layout


def convert_weights(source: Path, to: str, output: Path, selection: LayerSelection = LayerSelection()) -> Conversion:
    target = TARGETS.get(to)
    if target is None:
        raise UsageError(f"--to {to!r} is not a target; choose one of {', '.join(TARGETS)}.")
    if not output.name.lower().endswith(target.suffixes):
        raise UsageError(
            f"--to {to} writes a file ending in {' or '.join(target.suffixes)} (so that {target.label} and "
            f"lstm-trace recognise it); '{output}' does not. Give for example -o {output.stem.split('.')[0]}"
            f"{target.suffixes[0]}."
        )
    weights_file = read_weight_cells(source)
    key = select_key(weights_file, selection.layer, selection.direction)
    weights, bias_parts = weights_file.cells[key], weights_file.bias_parts.get(key)
    options = implied_options(weights)
    check_target_holds(to, options)
    two_biases = _keeps_two_biases(to, weights, options)
    write_atomic(
        output, lambda stream: target.format.write(weights, bias_parts if two_biases else None, stream), binary=True
    )
    usage = target.format.usage(weights, output.name)
    return Conversion(weights, target, output, two_biases and bias_parts is not None, usage, options)


def check_target_holds(to: str, options: Mapping[str, Any]) -> None:
    """A UsageError naming each option of the cell that target `to` cannot hold."""
    target = TARGETS[to]
    missing = {option: value for option, value in options.items() if not _holds(target, option, value)}
    if not missing:
        return
    reasons = [target.why[option] for option in missing if option in target.why]
    able = [name for name, other in TARGETS.items()
            if name != to and all(_holds(other, o, v) for o, v in missing.items())]  # fmt: skip
    raise UsageError(
        f"--to {to} cannot hold this cell's {options_text(missing)}"
        + (f" ({'; '.join(reasons)})" if reasons else "")
        + ": the converted file would compute another cell, so nothing was written."
        + (f" Targets that hold it: {', '.join(able)}." if able else "")
    )


def _holds(target: Target, option: str, value: Any) -> bool:
    return option in target.holds and (target.holds[option] is ANY or value in target.holds[option])


def _keeps_two_biases(to: str, weights: LSTMWeights | GRUWeights, options: dict) -> bool:
    """PyTorch, safetensors and ONNX store two biases; Keras too for a GRU with reset_after=True."""
    if to == "keras":
        return isinstance(weights, GRUWeights) and not options.get("gru_reset_before")
    return to in ("pytorch", "safetensors", "onnx")
