"""torch, keras, onnx, h5py and safetensors for the tests, imported when a test first uses them.

Importing them takes seconds (keras on torch alone about three), and at the top of a test module that
cost was paid at collection by every run, even `pytest tests/test_cell.py`, and by every xdist worker.
`torch = LazyImport("torch")` stands in for the module: the first attribute a test uses (`torch.nn.LSTM`)
imports it, and a machine without it skips that test, saying what to install.
"""

from __future__ import annotations

import importlib

import pytest


class LazyImport:
    """`LazyImport("onnx.helper")` for a module, `LazyImport("safetensors.torch", "save_file")` for a name in it."""

    def __init__(self, module: str, name: str | None = None):
        self._module, self._name = module, name

    def _load(self):
        try:
            module = importlib.import_module(self._module)
        except ModuleNotFoundError as missing:
            pytest.skip(f"{missing.name} not installed: pip install '.[test]'")
        return getattr(module, self._name) if self._name else module

    def __getattr__(self, attribute: str):
        # copy, pickle and inspect probe dunder names, and pytest (9.2 and later) private ones while it collects
        # fixtures: neither is a reason to import torch
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self._load(), attribute)

    def __call__(self, *args, **kwargs):
        return self._load()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"LazyImport({self._module!r}{', ' + repr(self._name) if self._name else ''})"
