"""Reading sequence traces back: JSON or JSON Lines (`sequence_json.py` has the format), step by step.

`read_any` opens any trace file (or standard input): a step trace comes back as a
`Trace`, a sequence trace as its header and its steps regrouped into `SequenceTrace`
chunks, read from the file as they are asked for, so `show` of a JSON Lines trace needs
no more memory than `run --jsonl` did.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from ..errors import DataError, UsageError
from ..traces.sequence import CellInfo, SequenceInfo, SequenceTrace, from_steps
from ..traces.step import Trace
from .json_codec import pick_codec
from .trace_json import FORMAT, READABLE_FORMATS, cell_options_of, dtype_and_weights, step_from_dict, trace_from_dict


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

    if content.get("format") not in READABLE_FORMATS:
        raise DataError(f"The {origin} is not an lstm-trace trace: expected \"format\": \"{FORMAT}\".")
    H, I = integer("hidden_size"), integer("input_size")
    dtype, weights = dtype_and_weights(content, origin)
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
        title=_title(content.get("title"), origin),
        notes=_notes(content.get("notes", []), origin),
        cell=cell_options_of(content, origin),  # the plain LSTM for a header without "variant"
    )


def _title(title: Any, origin: str) -> str | None:
    if title is not None and not isinstance(title, str):
        raise DataError(f"In the {origin}, \"title\" must be a string or null, found {title!r}.")
    return title


def _notes(notes: Any, origin: str) -> tuple[str, ...]:
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise DataError(f"In the {origin}, \"notes\" must be a list of strings, found {notes!r}.")
    return tuple(notes)


def _valid_cell(cell: Any) -> bool:
    return (
        isinstance(cell, dict)
        and "layer" in cell  # null for a lone cell, else the layer's index
        and (cell["layer"] is None or (isinstance(cell["layer"], int) and not isinstance(cell["layer"], bool)
                                       and cell["layer"] >= 0))
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
            yield _chunk(pending, cells[key], B, origin, info)
            pending = []
        key = found
        if counts[key] == T * B:
            raise DataError(f"The {origin} holds more steps{_for_cell(*key)} than its header's T = {T} and "
                            f"B = {B} allow ({T * B}).")  # fmt: skip
        step = counts[key] // B  # 0, 1, ... in the order computed: a reverse cell reads the sequence backwards
        expected_t = T - step if key[1] == "reverse" else step + 1
        if record.get("t") != expected_t or isinstance(record.get("t"), bool):
            raise DataError(f"In the {origin}, {where} has \"t\": {record.get('t')!r}; expected {expected_t}, "
                            f"as it is step {step + 1} of T = {T} computed{_for_cell(*key)}.")  # fmt: skip
        if info.batch_size is not None and record.get("b") != len(pending) % B:
            raise DataError(f"In the {origin}, {where} has \"b\": {record.get('b')!r}; expected {len(pending) % B} "
                            f"(steps list the batch elements 0..{B - 1} in turn).")  # fmt: skip
        pending.append(step_from_dict(record, where, info.hidden_size, cells[key].input_size, info.dtype, origin,
                                      info.cell))  # fmt: skip
        counts[key] += 1
    if pending:
        yield _chunk(pending, cells[key], B, origin, info)
    for (layer, direction), count in counts.items():
        if count != T * B:
            raise DataError(f"The {origin} holds {count} steps{_for_cell(layer, direction)}; its header says "
                            f"T = {T} and B = {B}, so {T * B} were expected (is the file cut short?).")  # fmt: skip


def _for_cell(layer: int | None, direction: str) -> str:
    return "" if layer is None else f" for layer {layer}, {direction}"


def _chunk(steps: list, cell: CellInfo, batch: int, origin: str, info: SequenceInfo) -> SequenceTrace:
    if len(steps) % batch:
        raise DataError(f"The {origin} ends a run of steps part-way through a batch of {batch}.")
    return from_steps(steps, batch, info.cell, cell.layer, cell.direction)
