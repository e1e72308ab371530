"""safetensors files with PyTorch's key names, read with the package's NumPy API (no torch needed).

A safetensors file is a JSON header and raw little-endian arrays: nothing in it
can run code. The keys and the layout are PyTorch's (`weight_ih_l0`, ...).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DataError
from .cells import WeightsFile
from .extras import import_optional
from .pytorch_layout import cells_from_state_dict

FRAMEWORK = "safetensors (PyTorch layout)"


def read_safetensors_cells(path: Path) -> WeightsFile:
    safetensors = import_optional("safetensors", "reading .safetensors files")
    numpy_api = import_optional("safetensors.numpy", "reading .safetensors files")
    try:
        arrays = numpy_api.load_file(str(path))
    except safetensors.SafetensorError as error:
        raise DataError(
            f"Cannot read '{path}' as a safetensors file (it may be truncated or of another format): {error}."
        ) from None
    except TypeError as error:
        # NumPy has no bfloat16: the NumPy API cannot hand such tensors over.
        raise DataError(
            f"The safetensors file '{path}' holds tensors NumPy cannot represent ({error}); save the "
            f"weights as float32 (tensor.float()) to trace them."
        ) from None
    return cells_from_state_dict(arrays, str(path), FRAMEWORK)
