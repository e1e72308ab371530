"""One cell in lstm-trace's own .npz layout, for `weights convert --to npz`."""

from __future__ import annotations

from typing import BinaryIO, Mapping

import numpy as np

from .gru import GRUWeights
from .model import LSTMWeights
from .native import npz_arrays


def write_native_npz(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """The canonical arrays as they are (float64): one bias per gate, the sum of any two; and the
    cell's options (a GRU's, ONNX's clip, ...) as a `cell_options` entry."""
    np.savez(stream, **npz_arrays(weights))


def native_usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    return f"lstm-trace step --weights {file_name} --x ... (H = {weights.hidden_size}, I = {weights.input_size})"
