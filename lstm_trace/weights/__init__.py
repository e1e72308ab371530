"""Where weights come from: a preset name or a file, always as one `LSTMWeights`.

A file is read by the reader registered for its suffix in `READERS`; adding a
format means one new module and one line here. Framework files can hold several
cells (layers, directions): their modules register in `CELL_READERS`, which
return a `WeightsFile`, and `--layer/--direction` choose one cell of it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import UsageError
from . import native, presets
from .cells import WeightsFile, check_supported, select_cell
from .model import DTYPES, LSTMWeights

if TYPE_CHECKING:
    from .gru import GRUWeights

__all__ = [
    "CELL_READERS", "DTYPES", "LSTMWeights", "LayerSelection", "PRESET_NAMES", "READERS", "WeightsFile",
    "load_weights", "read_weight_cells", "read_weights_file",
]  # fmt: skip


@dataclass(frozen=True)
class LayerSelection:
    """Which cell to take from a file that holds several (layers, directions)."""

    layer: str | None = None
    direction: str | None = None


Reader = Callable[[Path, LayerSelection], LSTMWeights]

READERS: dict[str, Reader] = {
    ".npz": lambda path, selection: native.read_npz(path),
    ".json": lambda path, selection: native.read_json(path),
}

CellsReader = Callable[[Path], WeightsFile]


def _lazy(module: str, function: str) -> CellsReader:
    """A reader imported on first use: `step` with presets never loads the framework modules."""

    def read(path: Path) -> WeightsFile:
        return getattr(importlib.import_module(f"{__name__}.{module}"), function)(path)

    return read


def _one_cell(read_cells: CellsReader) -> Reader:
    def read(path: Path, selection: LayerSelection) -> LSTMWeights:
        return select_cell(check_supported(read_cells(path)), selection.layer, selection.direction)

    return read


CELL_READERS: dict[str, CellsReader] = {
    ".pt": _lazy("pytorch", "read_pytorch_cells"),
    ".pth": _lazy("pytorch", "read_pytorch_cells"),
    ".safetensors": _lazy("safetensors_format", "read_safetensors_cells"),
    ".keras": _lazy("keras_format", "read_keras_cells"),
    ".h5": _lazy("keras_format", "read_keras_cells"),  # Keras' .weights.h5
    ".onnx": _lazy("onnx_format", "read_onnx_cells"),
}
READERS.update({suffix: _one_cell(read_cells) for suffix, read_cells in CELL_READERS.items()})

PRESET_NAMES = tuple(presets.PRESETS)


def load_weights(
    spec: str,
    hidden_size: int | None,
    input_size: int | None,
    seed: int = 0,
    selection: LayerSelection = LayerSelection(),
) -> LSTMWeights:
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
    reader = _checked_reader(path)
    read_cells = CELL_READERS.get(path.suffix.lower())
    if read_cells is None:
        weights = reader(path, LayerSelection())
        return WeightsFile(path=str(path), framework=str(weights.provenance.get("framework", "native")),
                           cells={(0, "forward"): weights})  # fmt: skip
    weights_file = read_cells(path)
    return weights_file if allow_unsupported else check_supported(weights_file)


def _checked_reader(path: Path) -> Reader:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise UsageError(
            f"--weights '{path}' is neither a preset ({', '.join(PRESET_NAMES)}) nor a file type "
            f"lstm-trace reads ({', '.join(sorted(READERS))})."
        )
    if not path.exists():
        raise UsageError(f"The weights file '{path}' does not exist.")
    if not path.is_file():
        raise UsageError(f"The weights path '{path}' is not a file.")
    return reader
