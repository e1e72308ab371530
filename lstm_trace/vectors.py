"""Vectors the user types (`0,0.5,0.1`, `[0, 0.5, 0.1]`, `"0 0.5 0.1"`) or points to (`@h.npy`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from .errors import DataError, UsageError, shape_text

_SEPARATORS = re.compile(r"[,\s]+")


def parse_vector(text: str, option: str) -> np.ndarray:
    """A 1-D float64 array from the text of option `option` (e.g. "--h").

    `@PATH` reads a .npy, .json or text file; anything else is numbers separated
    by commas and/or spaces, optionally in brackets.
    """
    stripped = text.strip()
    if stripped.startswith("@"):
        return _read_vector_file(Path(stripped[1:]), option)
    return _parse_numbers(stripped, option, where=f"{option} {text!r}", error=UsageError)


def _parse_numbers(text: str, option: str, where: str, error: type[Exception]) -> np.ndarray:
    body = text.strip()
    if body[:1] in "[(" and body[-1:] in "])":
        body = body[1:-1].strip()
    if not body:
        raise error(f"{where} is empty; expected numbers such as 0,0.5,0.1.")
    tokens = _SEPARATORS.split(body.strip(", "))
    if "" in tokens or ",," in body.replace(" ", ""):
        raise error(f"{where} has an empty entry between commas; expected numbers such as 0,0.5,0.1.")
    values = []
    for position, token in enumerate(tokens, start=1):
        try:
            values.append(float(token))
        except ValueError:
            raise error(
                f"{where}: entry {position}, {token!r}, is not a number; expected numbers such as "
                f"0,0.5,0.1 (or @file.npy, @file.json, @file.txt)."
            ) from None
    return _finite(np.array(values, dtype=np.float64), where, error)


def _finite(vector: np.ndarray, where: str, error: type[Exception]) -> np.ndarray:
    bad = np.flatnonzero(~np.isfinite(vector))
    if bad.size:
        raise error(
            f"{where}: entry {bad[0] + 1} is {vector[bad[0]]}; every value must be a finite number."
        )
    return vector


def _read_vector_file(path: Path, option: str) -> np.ndarray:
    where = f"{option} file '{path}'"
    if not path.exists():
        raise UsageError(f"{where} does not exist.")
    if not path.is_file():
        raise UsageError(f"{where} is not a file.")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            loaded = np.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise DataError(f"Cannot read {where} as .npy: {error}.") from None
        return _as_vector(loaded, where)
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as error:
        raise DataError(f"Cannot read {where} as text: {error}.") from None
    if suffix == ".json":
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"Cannot read {where} as JSON: {error}.") from None
        if not isinstance(loaded, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in loaded
        ):
            raise DataError(f"{where} must hold a JSON list of numbers, such as [0, 0.5, 0.1].")
        return _finite(np.array(loaded, dtype=np.float64), where, DataError)
    return _parse_numbers(text, option, where=where, error=DataError)


def _as_vector(loaded: np.ndarray, where: str) -> np.ndarray:
    if loaded.dtype.kind not in "fiu":
        raise DataError(f"{where} holds dtype {loaded.dtype}; expected real numbers.")
    if loaded.ndim != 1:
        raise DataError(f"{where} holds an array of shape {shape_text(loaded.shape)}; expected a 1-D vector.")
    if loaded.size == 0:
        raise DataError(f"{where} holds an empty vector.")
    return _finite(loaded.astype(np.float64), where, DataError)
