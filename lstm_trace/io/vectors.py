"""Vectors the user types (`0,0.5,0.1`, `[0, 0.5, 0.1]`, `"0 0.5 0.1"`) or points to (`h.npy`, `@h.npy`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from ..errors import DataError, UsageError, shape_text

_SEPARATORS = re.compile(r"[,\s]+")
FILE_SUFFIXES = (".npy", ".json", ".csv", ".txt")


def named_file(text: str) -> Path | None:
    """The file that an option's text names, or None when the text is numbers (or a mistake) to read as typed.

    `@PATH` always names a file. A PATH without `@` does when the text is not numbers and the path exists
    or ends like a file lstm-trace reads (so a missing `seq.npy` is reported as a missing file). Numbers
    win: the same command means the same numbers in every folder, and a file named `1,2` is `@1,2`.
    """
    stripped = text.strip()
    if stripped.startswith("@"):
        return Path(stripped[1:])
    if not stripped or _reads_as_numbers(stripped):
        return None
    path = Path(stripped)
    return path if path.exists() or path.suffix.lower() in FILE_SUFFIXES else None


def _reads_as_numbers(text: str) -> bool:
    try:
        for token in re.split(r"[,;\s]+", text.strip("[](),; ")):
            float(token)
    except ValueError:
        return False
    return True


def parse_vector(text: str, option: str) -> np.ndarray:
    """A 1-D float64 array from the text of option `option` (e.g. "--h").

    A file (`h.npy` or `@h.npy`: see `named_file`) is read as .npy, .json or text;
    anything else is numbers separated by commas and/or spaces, optionally in brackets.
    """
    path = named_file(text)
    if path is not None:
        return _read_vector_file(path, option)
    return _parse_numbers(text.strip(), where=f"{option} {text!r}", error=UsageError)


def _parse_numbers(text: str, where: str, error: type[Exception]) -> np.ndarray:
    body = text.strip()
    if body[:1] in "[(" and body[-1:] in "])":
        body = body[1:-1].strip()
    if not body:
        raise error(f"{where} is empty; expected numbers such as 0,0.5,0.1.")
    tokens = _SEPARATORS.split(body.strip(", "))
    if ",," in body.replace(" ", ""):  # "1,,2" splits cleanly but is surely a typo
        raise error(f"{where} has an empty entry between commas; expected numbers such as 0,0.5,0.1.")
    values = []
    for position, token in enumerate(tokens, start=1):
        try:
            values.append(float(token))
        except ValueError:
            raise error(
                f"{where}: entry {position}, {token!r}, is not a number; expected numbers such as "
                f"0,0.5,0.1, or a file such as x.npy, x.json or x.txt."
            ) from None
    return _finite(np.array(values, dtype=np.float64), where, error)


def _finite(vector: np.ndarray, where: str, error: type[Exception]) -> np.ndarray:
    bad = np.argwhere(~np.isfinite(vector))
    if bad.size:
        first = tuple(int(i) for i in bad[0])
        place = f"entry {first[0] + 1}" if vector.ndim == 1 else f"the entry at index {first}"
        raise error(f"{where}: {place} is {vector[first]}; every value must be a finite number.")
    return vector


def _read_file(path: Path, where: str) -> np.ndarray | list | str:
    """A vector's or a sequence's file as it is stored: an array (.npy), a list (.json) or text (any other)."""
    if not path.exists():
        raise UsageError(f"{where} does not exist.")
    if path.is_dir():  # pipes such as <(...) are fine; directories are not
        raise UsageError(f"{where} is a directory, not a file.")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        text = path.read_text(encoding="utf-8-sig")  # -sig: a spreadsheet's byte-order mark is not a value
        return json.loads(text) if suffix == ".json" else text
    except (ValueError, OSError, EOFError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        kind = {".npy": ".npy", ".json": "JSON"}.get(suffix, "text")
        raise DataError(f"Cannot read {where} as {kind}: {error}.") from None


def _read_vector_file(path: Path, option: str) -> np.ndarray:
    where = f"{option} file '{path}'"
    loaded = _read_file(path, where)
    if isinstance(loaded, np.ndarray):
        return _as_vector(loaded, where)
    if path.suffix.lower() == ".json":
        if not isinstance(loaded, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in loaded
        ):
            raise DataError(f"{where} must hold a JSON list of numbers, such as [0, 0.5, 0.1].")
        return _finite(np.array(loaded, dtype=np.float64), where, DataError)
    rows = [line for line in loaded.splitlines() if line.strip()]
    if len(rows) > 1 and any(len(row.replace(",", " ").split()) > 1 for row in rows):
        raise DataError(
            f"{where} holds {len(rows)} rows with several values in a row: a vector is one row (or one value "
            f"per line). A table of steps is a sequence, for `run --xs` or `grad --xs`."
        )
    return _parse_numbers(loaded, where=where, error=DataError)


def _as_vector(loaded: np.ndarray, where: str) -> np.ndarray:
    if loaded.dtype.kind not in "fiu":
        raise DataError(f"{where} holds dtype {loaded.dtype}; expected real numbers.")
    if loaded.ndim != 1:
        raise DataError(f"{where} holds an array of shape {shape_text(loaded.shape)}; expected a 1-D vector.")
    if loaded.size == 0:
        raise DataError(f"{where} holds an empty vector.")
    return _finite(loaded.astype(np.float64), where, DataError)


def parse_sequence(text: str, option: str, allow_batch: bool = False) -> np.ndarray:
    """A (T, I) float64 array: inline steps separated by `;` ("0.1,0.2;0.3,0.4"),
    a file (`xs.npy` or `@xs.npy`: .npy of shape (T, I), .json list of lists, .csv/.txt
    one step per line), or `-` for standard input (text, one step per line).

    With `allow_batch`, a .npy may also hold a batch of sequences, (T, B, I) or
    (B, T, I): the caller knows which (PyTorch's batch_first)."""
    stripped = text.strip()
    if stripped == "-":
        import sys

        return _parse_rows(sys.stdin.read().splitlines(), f"{option} on standard input", DataError)
    path = named_file(stripped)
    if path is None:
        return _parse_rows(stripped.split(";"), f"{option} {text!r}", UsageError)
    where = f"{option} file '{path}'"
    loaded = _read_file(path, where)
    if isinstance(loaded, np.ndarray):
        ranks = (2, 3) if allow_batch else (2,)
        if loaded.dtype.kind not in "fiu" or loaded.ndim not in ranks or 0 in loaded.shape:
            batch = " or a batch (T, B, I) / (B, T, I) with --batch-first" if allow_batch else ""
            raise DataError(
                f"{where} holds dtype {loaded.dtype}, shape {shape_text(loaded.shape)}; "
                f"expected real numbers of shape (T, I){batch}."
            )
        return _finite(loaded.astype(np.float64), where, DataError)
    if path.suffix.lower() != ".json":
        return _parse_rows(loaded.splitlines(), where, DataError)
    if not isinstance(loaded, list) or not all(isinstance(row, list) for row in loaded):
        raise DataError(f"{where} must hold a JSON list of lists, one list per time step.")
    return _parse_rows([json.dumps(row) for row in loaded], where, DataError)


def _parse_rows(lines: list[str], where: str, error: type[Exception]) -> np.ndarray:
    rows = [
        _parse_numbers(line, where=f"{where}, step {t}", error=error)
        for t, line in enumerate((line for line in lines if line.strip()), start=1)
    ]
    if not rows:
        raise error(f"{where} holds no time steps.")
    widths = {len(row) for row in rows}
    if len(widths) > 1:
        first = len(rows[0])
        bad = next(t for t, row in enumerate(rows, start=1) if len(row) != first)
        raise error(
            f"{where} is ragged: step 1 has {first} values but step {bad} has {len(rows[bad - 1])}; "
            f"every step needs the same input size I."
        )
    return np.vstack(rows)
