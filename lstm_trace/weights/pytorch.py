"""PyTorch .pt/.pth files: a state dict saved with `torch.save`, read without running any code, and written.

`torch.load(..., weights_only=True)` unpickles tensors and plain containers only;
a file that would build other objects or call functions is refused. Nested
dicts (a checkpoint `{"model": state_dict, "epoch": 3}`) are flattened with
dotted prefixes, so the LSTM is found wherever it sits. The keys and their
layout are `pytorch_layout`'s.
"""

from __future__ import annotations

import pickle
import re
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Mapping

import numpy as np

from ..errors import DataError
from . import pytorch_layout
from .gru_weights import GRUWeights
from .layers import WeightsFile
from .lstm_weights import LSTMWeights
from .optional_packages import import_optional

FRAMEWORK = "PyTorch"


def read_cells(path: Path) -> WeightsFile:
    arrays = _tensors_as_arrays(_load(path), path)
    return pytorch_layout.cells_from_state_dict(arrays, str(path), FRAMEWORK)


def write(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """One cell as the float32 state dict of a one-layer `nn.LSTM` (or `nn.GRU`)."""
    torch = import_optional("torch", "writing PyTorch .pt files")
    arrays = pytorch_layout.state_dict_arrays(weights, bias_parts)
    tensors = {key: torch.from_numpy(np.ascontiguousarray(value, np.float32)) for key, value in arrays.items()}
    torch.save(tensors, stream)


def usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    return pytorch_layout.usage(weights, f"torch.load({file_name!r}, weights_only=True)")


def _load(path: Path) -> Any:
    torch = import_optional("torch", "reading PyTorch .pt/.pth files")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before refusing them
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        said = str(error).lower()
        # torch words every refusal "Weights only load failed"; objects show as a global or class it will
        # not build, while damaged or foreign bytes trip its unpickler on an opcode ("Unsupported operand")
        if "weights only load failed" not in said:
            raise DataError(f"Cannot read '{path}' as a PyTorch file: {_detail(error)}.") from None
        if "unsupported operand" in said and _first_byte(path) == b"\x80":  # a pickle's PROTO opcode
            raise DataError(
                f"'{path}' is a plain Python pickle, not a file saved with torch.save, and lstm-trace loads only "
                f"torch.save state dicts (torch.load with weights_only=True, which never runs a pickle's code). "
                f"If you trust the file, load it in Python and save the weights: torch.save(state_dict, 'model.pt')."
            ) from None
        if "unsupported operand" in said:
            raise DataError(
                f"Cannot read '{path}' as a PyTorch file saved with torch.save: it may be damaged or of another "
                f"format (PyTorch said: {_refusal(error).rstrip('.')})."
            ) from None
        raise DataError(
            f"The PyTorch file '{path}' holds more than tensors: unpickling it would build Python objects "
            f"or run code, and lstm-trace loads only plain state dicts (torch.load with weights_only=True). "
            f"If you trust the file, re-save just the weights: torch.save(model.state_dict(), 'model.pt'). "
            f"PyTorch said: {_refusal(error)}"
        ) from None
    except Exception as error:  # noqa: BLE001
        # torch reports a truncated file as a RuntimeError of its zip reader, and bytes that are
        # not a pickle as whatever its legacy unpickler trips on (KeyError, IndexError, struct.error).
        detail = f" ({_detail(error)})" if isinstance(error, (RuntimeError, OSError, ValueError)) else ""
        raise DataError(
            f"Cannot read '{path}' as a PyTorch file saved with torch.save: it may be truncated or of "
            f"another format{detail}."
        ) from None


def _tensors_as_arrays(content: Any, path: Path) -> dict[str, np.ndarray]:
    if not isinstance(content, Mapping):
        raise DataError(
            f"The PyTorch file '{path}' holds a {type(content).__name__}, not a state dict; save "
            f"model.state_dict() (a dict of tensors)."
        )
    arrays: dict[str, np.ndarray] = {}
    _flatten(content, "", arrays)
    if not arrays:
        raise DataError(f"The PyTorch file '{path}' holds no tensors. Found keys: {pytorch_layout.found_keys(content)}.")
    return arrays


def _flatten(content: Mapping, prefix: str, arrays: dict[str, np.ndarray]) -> None:
    import torch  # already imported by _load

    for key, value in content.items():
        name = f"{prefix}{key}"
        if isinstance(value, torch.Tensor):
            tensor = value.detach().to("cpu")
            if tensor.is_floating_point() and tensor.dtype not in (torch.float32, torch.float64):
                tensor = tensor.float()  # bfloat16 has no NumPy twin; float16 widens exactly
            arrays[name] = tensor.numpy()
        elif isinstance(value, Mapping):
            _flatten(value, f"{name}.", arrays)


def _first_byte(path: Path) -> bytes:
    with path.open("rb") as stream:
        return stream.read(1)


def _detail(error: BaseException) -> str:
    return _first_sentence(" ".join(str(error).split()))


def _first_sentence(text: str) -> str:
    sentence = text.split(". ")[0].rstrip(".")
    return sentence[:200] + ("…" if len(sentence) > 200 else "")


def _refusal(error: BaseException) -> str:
    """The line of torch's long message that says what was refused ("unsupported GLOBAL posix.system")."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    specific = [line for line in lines if "nsupported" in line]
    return _first_sentence(specific[0]) + "." if specific else _detail(error) + "."
