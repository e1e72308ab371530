"""Where weights come from: a preset name, or a file read by the module registered for its suffix.

Every format module has `read_cells(path) -> WeightsFile`: all the cells of the
file (layers, directions), each in the canonical layout with its provenance.
Adding a format means one new module and one line in `READERS`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import UsageError
from . import presets
from .gru_weights import GRUWeights
from .layers import LayerSelection, WeightsFile, check_supported, select_cell
from .lstm_weights import LSTMWeights

# File suffix -> the module of this package that reads it. A module is imported when a file of its type is
# first read, so `step` with a preset loads no framework reader (tests/test_weights_errors.py holds it to that).
READERS: dict[str, str] = {
    ".npz": "native",
    ".json": "native",
    ".pt": "pytorch",
    ".pth": "pytorch",
    ".safetensors": "safetensors",
    ".keras": "keras",
    ".h5": "keras",  # Keras' .weights.h5
    ".onnx": "onnx",
}

PRESET_NAMES = tuple(presets.PRESETS)


def load_weights(
    spec: str,
    hidden_size: int | None,
    input_size: int | None,
    seed: int = 0,
    selection: LayerSelection = LayerSelection(),
) -> LSTMWeights | GRUWeights:
    """A preset (`identity`, `zeros`, `random`) sized H × I, or the weights in file `spec`."""
    if spec in presets.PRESETS:
        if hidden_size is None or input_size is None:
            raise UsageError(
                f"The '{spec}' weights preset is made to fit the inputs, so it needs both sizes: "
                f"give --x (I = its length) and --h or --hidden-size (H)."
            )
        if spec == "random":
            return presets.random(hidden_size, input_size, seed)
        return presets.PRESETS[spec](hidden_size, input_size)
    return read_weights_file(Path(spec), selection)


def read_weights_file(path: Path | str, selection: LayerSelection = LayerSelection()) -> LSTMWeights | GRUWeights:
    """The one cell of `path` that `selection` chooses (a native file has one: layer 0, forward)."""
    return select_cell(read_weight_cells(path), selection.layer, selection.direction)


def read_weight_cells(path: Path | str, *, allow_unsupported: bool = False) -> WeightsFile:
    """Every LSTM and GRU cell of a weights file, keyed (layer index from 0, "forward" | "reverse").

    A native file gives {(0, "forward"): weights}. What a file computes beyond the
    plain cell (a GRU, peepholes, ONNX's clip, ...) is in each cell's
    provenance["cell_options"] (see `cell_options.implied_options`). A file using
    features lstm-trace cannot compute (an activation it does not have, ...) is
    refused unless `allow_unsupported` (for `weights inspect`, which reports them).
    """
    path = Path(path)
    format_module = _checked_format(path)
    weights_file = importlib.import_module(f"{__package__}.{format_module}").read_cells(path)
    return weights_file if allow_unsupported else check_supported(weights_file)


def _checked_format(path: Path) -> str:
    format_module = READERS.get(path.suffix.lower())
    if format_module is None:
        raise UsageError(
            f"--weights '{path}' is neither a preset ({', '.join(PRESET_NAMES)}) nor a file type "
            f"lstm-trace reads ({', '.join(sorted(READERS))})."
        )
    if not path.exists():
        raise UsageError(f"The weights file '{path}' does not exist.")
    if not path.is_file():
        raise UsageError(f"The weights path '{path}' is not a file.")
    return format_module
