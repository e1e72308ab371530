"""Weights: the two canonical layouts, the presets, and one module per file format.

    lstm_weights.py   `LSTMWeights`: four gates, W_g (H × (H+I), columns [h | x]) and one bias b_g each
    gru_weights.py    `GRUWeights`: reset, update and new blocks, b_hn kept apart
    presets.py        identity, zeros, random, for an LSTM (with peepholes, a projection) or a GRU
    loading.py        `load_weights` (a preset or a file), `read_weights_file`, `read_weight_cells`;
                      `READERS`: file suffix -> format module, one line per format
    layers.py         `WeightsFile` (every cell of a file) and the choice of one by --layer/--direction
    cell_options.py   what a file says its cell computes beyond the plain LSTM
    native.py, pytorch.py, safetensors.py, keras.py, onnx.py
                      one module per format: `read_cells(path)`, `write(...)`, `usage(...)`;
                      `<format>_layout.py` lays that framework's stacked gates out canonically
    convert.py        `weights convert`: one cell written in another format
"""

from __future__ import annotations

from . import presets
from .gru_weights import GRUWeights
from .layers import LayerSelection, WeightsFile
from .loading import PRESET_NAMES, READERS, load_weights, read_weight_cells, read_weights_file
from .lstm_weights import DTYPES, LSTMWeights
from .presets import gru_preset, lstm_preset

__all__ = [
    "DTYPES", "GRUWeights", "LSTMWeights", "LayerSelection", "PRESET_NAMES", "READERS", "WeightsFile",
    "gru_preset", "load_weights", "lstm_preset", "presets", "read_weight_cells", "read_weights_file",
]  # fmt: skip
