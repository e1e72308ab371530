"""`weights convert`: one cell of a weights file, written in another framework's layout.

Each target has a writer that takes the canonical cell and lays it out in the
target's gate order and bias convention, and a line saying how to load the
result in that framework. The cell's options (a GRU, peepholes, a projection,
clip, activations) go with it where the target can hold them; elsewhere the
conversion is refused (`carry`). Files are written atomically.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Mapping

from ..errors import UsageError
from ..files import write_atomic
from . import LayerSelection, read_weight_cells
from .carry import check_target_holds
from .cell_options import implied_options
from .cells import select_key
from .gru import GRUWeights
from .model import LSTMWeights

Writer = Callable[[LSTMWeights | GRUWeights, "Mapping | None", BinaryIO], None]


@dataclass(frozen=True)
class Target:
    label: str  # "Keras"
    suffixes: tuple[str, ...]  # endings the output file must have, so lstm-trace (and the framework) read it back
    module: str  # the writer's module in this package, imported when used
    writer: str
    usage: str  # the function giving "how to load it" for a cell and a file name
    layout: str  # the target's gate order and bias convention, in words
    gru_layout: str  # the same for a GRU


TARGETS: dict[str, Target] = {
    "pytorch": Target(
        "PyTorch", (".pt", ".pth"), "pytorch_writer", "write_pt", "pytorch_usage",
        "nn.LSTM state dict weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (and weight_hr_l0); rows i, f, g, o; "
        "two biases",
        "nn.GRU state dict weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0; rows r, z, n; two biases",
    ),
    "safetensors": Target(
        "safetensors", (".safetensors",), "pytorch_writer", "write_safetensors", "pytorch_usage",
        "PyTorch's key names and layout in a safetensors file; rows i, f, g, o; two biases",
        "PyTorch's GRU key names and layout in a safetensors file; rows r, z, n; two biases",
    ),
    "keras": Target(
        "Keras", (".weights.h5",), "keras_writer", "write_weights_h5", "keras_usage",
        "kernel (I × 4H), recurrent_kernel (H × 4H), bias (4H,); columns i, f, c, o; one bias",
        "GRU kernel (I × 3H), recurrent_kernel (H × 3H), bias (2, 3H) = [input; recurrent] ((3H,) with "
        "reset_after=False); columns z, r, h",
    ),
    "onnx": Target(
        "ONNX", (".onnx",), "onnx_writer", "write_onnx", "onnx_usage",
        "one LSTM node with W [1, 4H, I], R [1, 4H, H], B [1, 8H] = [Wb, Rb] (and P [1, 3H] = [p_i, p_o, p_f]); "
        "rows i, o, f, c",
        "one GRU node with W [1, 3H, I], R [1, 3H, H], B [1, 6H] = [Wb, Rb]; rows z, r, h",
    ),
    "npz": Target(
        "lstm-trace native", (".npz",), "native_writer", "write_native_npz", "native_usage",
        "W_f, W_i, W_c, W_o (H × (H+I), columns [h | x]) and b_f, b_i, b_c, b_o (and p_f, p_i, p_o, W_hr, "
        "cell_options)",
        "W_r, W_z, W_n (H × (H+I), columns [h | x]), b_r, b_z, b_in, b_hn (and cell_options)",
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
    module = importlib.import_module(f"{__package__}.{target.module}")
    write: Writer = getattr(module, target.writer)
    two_biases = _keeps_two_biases(to, weights, options)
    write_atomic(output, lambda stream: write(weights, bias_parts if two_biases else None, stream), binary=True)
    usage = getattr(module, target.usage)(weights, output.name)
    return Conversion(weights, target, output, two_biases and bias_parts is not None, usage, options)


def _keeps_two_biases(to: str, weights: LSTMWeights | GRUWeights, options: dict) -> bool:
    """PyTorch, safetensors and ONNX store two biases; Keras too for a GRU with reset_after=True."""
    if to == "keras":
        return isinstance(weights, GRUWeights) and not options.get("gru_reset_before")
    return to in ("pytorch", "safetensors", "onnx")
