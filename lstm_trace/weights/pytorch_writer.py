"""One cell as a one-layer `nn.LSTM(I, H)` state dict (`proj_size=P` with a projection, `nn.GRU(I, H)`
for a GRU): a .pt file (torch) or a .safetensors file."""

from __future__ import annotations

from typing import BinaryIO, Mapping

import numpy as np

from .extras import import_optional
from .gru import GRUWeights
from .model import LSTMWeights
from .pytorch_layout import state_dict_arrays


def write_pt(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    torch = import_optional("torch", "writing PyTorch .pt files")
    arrays = state_dict_arrays(weights, bias_parts)
    tensors = {key: torch.from_numpy(np.ascontiguousarray(value, np.float32)) for key, value in arrays.items()}
    torch.save(tensors, stream)


def write_safetensors(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    numpy_api = import_optional("safetensors.numpy", "writing .safetensors files")
    arrays = state_dict_arrays(weights, bias_parts)
    stream.write(numpy_api.save({key: np.ascontiguousarray(value, np.float32) for key, value in arrays.items()}))


def pytorch_usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    loader = (
        f"safetensors.torch.load_file({file_name!r})"
        if file_name.endswith(".safetensors")
        else f"torch.load({file_name!r}, weights_only=True)"
    )
    module = "GRU" if isinstance(weights, GRUWeights) else "LSTM"
    projection = f", proj_size={weights.h_size}" if getattr(weights, "projection", None) is not None else ""
    return (
        f"torch.nn.{module}(input_size={weights.input_size}, hidden_size={weights.hidden_size}{projection})"
        f".load_state_dict({loader})"
    )
