"""One cell in lstm-trace's own .npz layout, for `weights convert --to npz`."""

from __future__ import annotations

from typing import BinaryIO, Mapping

import numpy as np

from .model import LSTMWeights


def write_native_npz(weights: LSTMWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """The canonical arrays as they are (float64): one bias per gate, the sum of any two."""
    np.savez(stream, **weights.as_arrays())


def native_usage(weights: LSTMWeights, file_name: str) -> str:
    return f"lstm-trace step --weights {file_name} --x ... (H = {weights.hidden_size}, I = {weights.input_size})"
