"""Sequence traces in the lstm-trace/1 contract: one JSON document (`--json`) or JSON Lines (`--jsonl`).

The header is a step trace's (format, hidden_size, input_size, dtype, title, notes,
weights) plus:

    "sequence_length": T, "batch_size": B (null for one (T, I) sequence), "batch_first",
    "num_layers", "bidirectional", "step_order",
    "cells": [{"layer", "direction", "input_size", "weights"}, ...]   (cells of a file only)

Each step is a step trace's step, plus "layer" and "direction" (cells of a file) and
"b" (the batch index, for a batch); "t" is the position in the sequence, 1-based, so
the reverse direction's steps run t = T, ..., 1. Steps come in the order computed:
cell by cell (layer by layer, forward first), step by step, batch element by batch
element. The document ends with "outputs": {"output", "h_n", "c_n"}, laid out as
torch.nn.LSTM returns them.

JSON Lines: line 1 is the header, then one step per line, written as computed, so
memory stays bounded for any T; "outputs" are left out (they are the steps' "h").
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

import numpy as np

from .errors import DataError, UsageError
from .serializer import pick_codec
from .sequence_trace import CellInfo, SequenceInfo, SequenceTrace, from_steps
from .stack import pytorch_layout
from .stages import QUANTITIES
from .trace import Trace
from .trace_json import FORMAT, step_from_dict, trace_from_dict
from .weights import DTYPES

STEP_ORDER = "cell (layer, forward before reverse), then step as computed (t = T first in reverse), then b"


def header_dict(info: SequenceInfo) -> dict[str, Any]:
    header: dict[str, Any] = {
        "format": FORMAT,
        "hidden_size": info.hidden_size,
        "input_size": info.input_size,
        "dtype": info.dtype,
        "title": info.title,
        "notes": list(info.notes),
        "weights": dict(info.weights),
        "variant": "lstm",  # the sequence engine runs the plain cell
        "sequence_length": info.sequence_length,
        "batch_size": info.batch_size,
        "batch_first": info.batch_first,
        "num_layers": info.num_layers,
        "bidirectional": info.bidirectional,
        "step_order": STEP_ORDER,
    }
    if info.stacked:
        header["cells"] = [
            {"layer": cell.layer, "direction": cell.direction, "input_size": cell.input_size, "weights": dict(cell.weights)}
            for cell in info.cells
        ]
    return header


def step_records(chunk: SequenceTrace, info: SequenceInfo) -> Iterator[dict[str, Any]]:
    """The chunk's steps as JSON-ready objects holding NumPy vectors."""
    arrays = {name: chunk[name] for name in QUANTITIES if not name.endswith(".bias")}  # (S, B, size)
    if chunk.batch_size > 1:  # the engine's (S, B, size) arrays are views with B innermost: copy once per chunk
        arrays = {name: np.ascontiguousarray(values) for name, values in arrays.items()}
    biases = {name: chunk.arrays[name][0, 0] for name in QUANTITIES if name.endswith(".bias") and name in chunk.arrays}
    cell = {"layer": chunk.layer, "direction": chunk.direction} if info.stacked else {}
    for k, t in enumerate(chunk.times.tolist()):
        for b in range(chunk.batch_size):
            record: dict[str, Any] = {"t": t, **cell}
            if info.batch_size is not None:
                record["b"] = b
            for name in QUANTITIES:
                head, _, part = name.partition(".")
                value = biases.get(name) if part == "bias" else arrays[name][k, b]
                if value is None:
                    continue
                if part:
                    record.setdefault(head, {})[part] = value
                else:
                    record[head] = value
            yield record


def outputs_dict(output: np.ndarray, h_n: np.ndarray, c_n: np.ndarray, info: SequenceInfo) -> dict[str, np.ndarray]:
    """The final outputs as torch.nn.LSTM lays them out; output (T, B, D·H) and h_n, c_n (cells, B, H) in."""
    batched = info.batch_size is not None
    return {
        "output": pytorch_layout(output, batched, info.batch_first),
        "h_n": h_n if batched else h_n[:, 0],
        "c_n": c_n if batched else c_n[:, 0],
    }


class TraceWriter:
    """Streams a sequence trace to a binary file: `begin`, `write` every chunk, then `end`."""

    def __init__(self, stream: BinaryIO, info: SequenceInfo, lines: bool) -> None:
        self.stream, self.info, self.lines = stream, info, lines
        self.codec = pick_codec()
        self.first = True

    def begin(self) -> None:
        header = self.codec.dumps(header_dict(self.info))
        self.stream.write(header + b"\n" if self.lines else header[:-1] + b',"steps":[')

    def write(self, chunk: SequenceTrace) -> None:
        dumps, write = self.codec.dumps, self.stream.write
        separator = b"\n" if self.lines else b","
        for record in step_records(chunk, self.info):  # one step at a time: memory stays bounded
            if self.lines:
                write(dumps(record))
                write(separator)
            else:
                if not self.first:
                    write(separator)
                write(dumps(record))
                self.first = False

    def end(self, outputs: dict[str, np.ndarray] | None) -> None:
        if not self.lines:
            self.stream.write(b'],"outputs":' + self.codec.dumps(outputs or {}) + b"}\n")
        self.stream.flush()


# ---- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedSequence:
    """A sequence trace read from a file: its header, and its steps as chunks, read as iterated."""

    info: SequenceInfo
    chunks: Iterable[SequenceTrace]


def read_any(source: str) -> Trace | RecordedSequence:
    """A trace file (or '-' for standard input): JSON or JSON Lines, of a step or of a sequence."""
    stream, origin = _open(source)
    codec = pick_codec()
    first = stream.readline()
    header = _parse(codec, first)
    if isinstance(header, dict) and "format" in header and "steps" not in header:
        records: Iterable[Any] = _lines(stream, codec, origin)  # read as the steps are asked for
    else:
        with _closing(stream):
            data = first + stream.read()
        if not data.strip():
            raise DataError(f"The {origin} is empty; expected an {FORMAT} trace (JSON written by step or run --json).")
        try:
            header = codec.loads(data)
        except ValueError as error:
            raise DataError(f"The {origin} is not valid JSON ({error}); expected an {FORMAT} trace.") from None
        if not (isinstance(header, dict) and "sequence_length" in header):
            return trace_from_dict(header, origin)
        records = header.get("steps")
        if not isinstance(records, list):
            raise DataError(f"In the {origin}, \"steps\" must be a list of steps.")
    if "sequence_length" not in header:  # JSON Lines of a step-style trace
        return trace_from_dict({**header, "steps": list(records)}, origin)
    info = info_from_header(header, origin)
    return RecordedSequence(info, chunks_from_records(info, records, origin))


def _open(source: str) -> tuple[BinaryIO, str]:
    if source == "-":
        return sys.stdin.buffer, "trace on standard input"
    path = Path(source)
    if not path.exists():
        raise UsageError(f"The trace file '{path}' does not exist.")
    if not path.is_file():
        raise UsageError(f"The trace path '{path}' is not a file.")
    try:
        return path.open("rb"), f"trace file '{path}'"
    except OSError as error:
        raise DataError(f"Cannot read the trace file '{path}': {error}.") from None


def _parse(codec, line: bytes) -> Any:
    try:
        return codec.loads(line)
    except ValueError:
        return None


def _lines(stream: BinaryIO, codec, origin: str) -> Iterator[Any]:
    with _closing(stream):
        for number, line in enumerate(stream, start=2):
            if line.strip():
                try:
                    yield codec.loads(line)
                except ValueError as error:
                    raise DataError(f"Line {number} of the {origin} is not valid JSON ({error}).") from None


@contextmanager
def _closing(stream: BinaryIO) -> Iterator[BinaryIO]:
    """Close a trace file when done with it; standard input stays open."""
    try:
        yield stream
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def info_from_header(content: dict[str, Any], origin: str) -> SequenceInfo:
    def integer(key: str, minimum: int = 1, optional: bool = False) -> int | None:
        value = content.get(key)
        if optional and value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise DataError(f"In the {origin}, {key} must be an integer ≥ {minimum}, found {value!r}.")
        return value

    if content.get("format") != FORMAT:
        raise DataError(f"The {origin} is not an lstm-trace trace: expected \"format\": \"{FORMAT}\".")
    H, I = integer("hidden_size"), integer("input_size")
    dtype = content.get("dtype", "float64")
    if dtype not in DTYPES:
        raise DataError(f"In the {origin}, dtype is {dtype!r}; expected one of {', '.join(DTYPES)}.")
    weights = content.get("weights")
    if not isinstance(weights, dict) or "source" not in weights:
        raise DataError(f"In the {origin}, \"weights\" must be an object with a \"source\".")
    cells = content.get("cells")
    stacked = cells is not None
    if cells is None:
        cells = [{"layer": None, "direction": "forward", "input_size": I, "weights": weights}]
    if not isinstance(cells, list) or not cells or not all(_valid_cell(cell) for cell in cells):
        raise DataError(
            f"In the {origin}, \"cells\" must be a list of objects with \"layer\" (an integer), "
            f"\"direction\" (forward or reverse) and \"input_size\"."
        )
    return SequenceInfo(
        hidden_size=H,
        input_size=I,
        dtype=dtype,
        weights=weights,
        sequence_length=integer("sequence_length"),
        batch_size=integer("batch_size", optional=True),
        cells=tuple(CellInfo(c["layer"], c["direction"], c["input_size"], c.get("weights", {})) for c in cells),
        batch_first=bool(content.get("batch_first", False)),
        stacked=stacked,
        title=content.get("title"),
        notes=tuple(str(note) for note in content.get("notes", [])),
    )


def _valid_cell(cell: Any) -> bool:
    return (
        isinstance(cell, dict)
        and (cell.get("layer") is None or isinstance(cell.get("layer"), int))
        and cell.get("direction") in ("forward", "reverse")
        and isinstance(cell.get("input_size"), int)
        and cell["input_size"] >= 1
    )


def chunks_from_records(info: SequenceInfo, records: Iterable[Any], origin: str, chunk_steps: int = 1024
                        ) -> Iterator[SequenceTrace]:  # fmt: skip
    """Group step objects back into SequenceTrace chunks, cell by cell, checking every size."""
    cells = {(cell.layer, cell.direction): cell for cell in info.cells}
    B, T = info.batch, info.sequence_length
    counts = dict.fromkeys(cells, 0)
    pending: list = []
    key = None
    for n, record in enumerate(records):
        where = f"steps[{n}]"
        if not isinstance(record, dict):
            raise DataError(f"In the {origin}, {where} must be an object, found {type(record).__name__}.")
        found = (record.get("layer"), record.get("direction")) if info.stacked else (None, "forward")
        if found not in cells:
            raise DataError(f"In the {origin}, {where} names layer {found[0]!r}, direction {found[1]!r}, "
                            f"which the header's \"cells\" do not list.")  # fmt: skip
        if pending and (found != key or len(pending) == chunk_steps * B):
            yield _chunk(pending, cells[key], B, origin)
            pending = []
        key = found
        if info.batch_size is not None and record.get("b") != len(pending) % B:
            raise DataError(f"In the {origin}, {where} has \"b\": {record.get('b')!r}; expected {len(pending) % B} "
                            f"(steps list the batch elements 0..{B - 1} in turn).")  # fmt: skip
        pending.append(step_from_dict(record, where, info.hidden_size, cells[key].input_size, info.dtype, origin))
        counts[key] += 1
    if pending:
        yield _chunk(pending, cells[key], B, origin)
    for (layer, direction), count in counts.items():
        if count != T * B:
            cell = "" if layer is None else f" for layer {layer}, {direction}"
            raise DataError(f"The {origin} holds {count} steps{cell}; its header says T = {T} and B = {B}, "
                            f"so {T * B} were expected (is the file cut short?).")  # fmt: skip


def _chunk(steps: list, cell: CellInfo, batch: int, origin: str) -> SequenceTrace:
    if len(steps) % batch:
        raise DataError(f"The {origin} ends a run of steps part-way through a batch of {batch}.")
    return from_steps(steps, batch, cell.layer, cell.direction)
