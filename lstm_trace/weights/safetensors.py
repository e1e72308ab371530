"""safetensors files with PyTorch's key names, read and written with the package's NumPy API (no torch needed).

A safetensors file is a JSON header and raw little-endian arrays: nothing in it
can run code. The keys and the layout are PyTorch's (`weight_ih_l0`, ...; see
`pytorch_layout`).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO, Mapping

import numpy as np

from ..errors import DataError
from . import pytorch_layout
from .gru_weights import GRUWeights
from .layers import WeightsFile
from .lstm_weights import LSTMWeights
from .optional_packages import import_optional

FRAMEWORK = "safetensors (PyTorch layout)"


def read_cells(path: Path) -> WeightsFile:
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
    return pytorch_layout.cells_from_state_dict(arrays, str(path), FRAMEWORK)


def write(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """One cell as the float32 state dict of a one-layer `nn.LSTM` (or `nn.GRU`)."""
    numpy_api = import_optional("safetensors.numpy", "writing .safetensors files")
    arrays = pytorch_layout.state_dict_arrays(weights, bias_parts)
    stream.write(numpy_api.save({key: np.ascontiguousarray(value, np.float32) for key, value in arrays.items()}))


def usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    return pytorch_layout.usage(weights, f"safetensors.torch.load_file({file_name!r})")
