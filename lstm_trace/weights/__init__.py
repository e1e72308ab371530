"""Where weights come from: a preset name or a file, always as one `LSTMWeights`.

A file is read by the reader registered for its suffix in `READERS`; adding a
format means one new module and one line here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..errors import UsageError
from . import native, presets
from .model import DTYPES, LSTMWeights

__all__ = ["DTYPES", "LSTMWeights", "LayerSelection", "PRESET_NAMES", "READERS", "load_weights", "read_weights_file"]


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


def read_weights_file(path: Path, selection: LayerSelection = LayerSelection()) -> LSTMWeights:
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
    return reader(path, selection)
