"""Optional packages (torch, h5py, onnx, safetensors), imported when their format is used,
with an error that names the extra to install when one is missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import DataError

# Which `pip install 'lstm-trace[EXTRA]'` brings each optional package.
EXTRA_FOR = {"torch": "torch", "h5py": "keras", "onnx": "onnx", "safetensors": "safetensors"}


def import_optional(module: str, purpose: str) -> ModuleType:
    """`import module`, or a DataError saying which extra to install for `purpose`
    ("reading PyTorch .pt files")."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.partition(".")[0]
        extra = EXTRA_FOR.get(top, top)
        raise DataError(
            f"{purpose[:1].upper()}{purpose[1:]} needs the '{top}' package, which is not installed. "
            f"Install it with: pip install 'lstm-trace[{extra}]'"
        ) from None
