"""The `lstm-trace/2` JSON contract: write a trace, read it back, validate it.

    {"format": "lstm-trace/2", "hidden_size": H, "input_size": I, "dtype": "float64",
     "title": ..., "notes": [...], "weights": {"source": ..., ...},
     "steps": [{"t": 1, "x": [...], "h_prev": [...], "c_prev": [...], "concat": [...],
                "forget": {"wz": [...], "bias": [...], "preact": [...], "act": [...]},
                "input": {...}, "candidate": {...}, "output": {...},
                "keep": [...], "write": [...], "c": [...], "c_tanh": [...], "h": [...]}]}

Field names come from `stages.QUANTITIES` (a dotted name is a nested object).
Fields may be added, never renamed. Floats are written in full (shortest
round-trip repr), so reading a trace back gives the very same numbers.

Variants (issue 6) add `"variant"` ("lstm", "peephole", "cifg", "gru") and
`"cell_options"` at the top; their steps carry the fields of the variant's layout
(`stages.layout_for`). A trace without them is a plain LSTM trace, read as before.
A `"variant": "gru"` step has no cell state:
    {"t", "x", "h_prev", "reset": {"wx", "wh", "bias", "preact", "act"}, "update": {...},
     "new": {"wx", "bias", "wh", "bias_h", "h_part", "gated", "preact", "act"}, "keep", "write", "h"}

A step from `grad` carries its gradients in `"backward"`, for every cell (see
`backward_json.py`). The contract is described by the JSON Schema
`lstm_trace/schema/trace.schema.json`. Files of lstm-trace/1 read as before: its
variants kept their gradients in a top-level "variant_backward" block, which is
moved into the steps on reading.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import DataError, UsageError
from ..output_files import write_atomic
from ..stages import QUANTITIES, layout_for
from ..traces.step import StepTrace, Trace
from ..weights import DTYPES
from .backward_json import backward_from_dict, backward_to_dict, nested_lists, v1_variant_backward

FORMAT = "lstm-trace/2"
READABLE_FORMATS = ("lstm-trace/1", FORMAT)  # /1: what the first releases wrote
_OPTIONAL_GATE_PARTS = ("wz", "bias", "wx", "wh")  # informative; traces from other writers may omit them


def trace_to_dict(trace: Trace, with_steps: bool = True) -> dict[str, Any]:
    content = {
        "format": FORMAT,
        "hidden_size": trace.hidden_size,
        "input_size": trace.input_size,
        "dtype": trace.dtype,
        "title": trace.title,
        "notes": list(trace.notes),
        "weights": dict(trace.weights),
        "variant": trace.variant,
        "cell_options": trace.cell.to_dict(),
    }
    if with_steps:
        quantities = layout_for(trace.cell).quantities
        content["steps"] = [step_to_dict(step, quantities) for step in trace.steps]
    return content


def step_to_dict(step: StepTrace, quantities=QUANTITIES) -> dict[str, Any]:
    """The step's fields by the registry of its cell (`layout_for(trace.cell).quantities`)."""
    content: dict[str, Any] = {"t": step.t, **nested_lists(step, quantities)}
    backward = step.backward  # the gradients of a step from `grad`
    if backward is not None:
        content["backward"] = backward_to_dict(backward)
    return content


def dumps(trace: Trace) -> str:
    return json.dumps(trace_to_dict(trace), allow_nan=False)


def dump(trace: Trace, stream, extra: dict[str, Any] | None = None) -> None:
    """Write the trace as JSON one array at a time, never as one huge string.

    (`json.dump` also streams, but through the pure-Python encoder: 4x slower.)
    `extra` adds top-level fields (such as `grad`'s "through_time" block).
    """
    header = {**trace_to_dict(trace, with_steps=False), **(extra or {})}
    quantities = layout_for(trace.cell).quantities
    stream.write(json.dumps(header, allow_nan=False)[:-1] + ', "steps": [')
    for k, step in enumerate(trace.steps):
        stream.write(", " if k else "")
        _dump_object(step_to_dict(step, quantities), stream)
    stream.write("]}\n")


def _dump_object(content: dict, stream) -> None:
    stream.write("{")
    for k, (key, value) in enumerate(content.items()):
        stream.write((", " if k else "") + json.dumps(key) + ": ")
        if isinstance(value, dict):
            _dump_object(value, stream)
        else:
            stream.write(json.dumps(value, allow_nan=False))
    stream.write("}")


def write_outputs(trace: Trace, to_stdout: bool, path: Path | None, extra: dict[str, Any] | None = None) -> None:
    """The trace as JSON to a file (atomically) and/or to standard output."""
    if path is not None:
        write_atomic(path, lambda stream: dump(trace, stream, extra))
    if to_stdout:
        dump(trace, sys.stdout, extra)
        sys.stdout.flush()


def read_trace(source: str) -> Trace:
    """Read a trace from a file path, or from standard input when `source` is '-'."""
    if source == "-":
        text, origin = sys.stdin.read(), "trace on standard input"
    else:
        path = Path(source)
        if not path.exists():
            raise UsageError(f"The trace file '{path}' does not exist.")
        if not path.is_file():
            raise UsageError(f"The trace path '{path}' is not a file.")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise DataError(f"Cannot read the trace file '{path}': {error}.") from None
        origin = f"trace file '{path}'"
    return loads(text, origin)


def loads(text: str, origin: str = "trace") -> Trace:
    if not text.strip():
        raise DataError(f"The {origin} is empty; expected an {FORMAT} trace (JSON written by step --json).")
    content = _json_lines(text, origin)
    if content is None:
        try:
            content = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"The {origin} is not valid JSON ({error}); expected an {FORMAT} trace.") from None
    return trace_from_dict(content, origin)


def _json_lines(text: str, origin: str) -> dict[str, Any] | None:
    """A JSON Lines trace (`run --jsonl`: the header on line 1, then one step per line) as one
    trace object; None when `text` is not one."""
    first, _, rest = text.lstrip().partition("\n")
    if not rest.strip():
        return None
    try:
        header = json.loads(first)
    except json.JSONDecodeError:
        return None
    if not isinstance(header, dict) or "format" not in header or "steps" in header:
        return None
    steps = []
    for number, line in enumerate(rest.splitlines(), start=2):
        if line.strip():
            try:
                steps.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise DataError(f"Line {number} of the {origin} is not valid JSON ({error}).") from None
    return {**header, "steps": steps}


def step_from_dict(
    content: Any, where: str, hidden_size: int, input_size: int, dtype: str, origin: str = "trace",
    cell: CellOptions | None = None,
) -> StepTrace:
    """One step object of a trace, checked against the sizes it must have (a variant's step with `cell`)."""
    H, I = hidden_size, input_size
    P = H if cell is None else cell.proj_size or H  # the length of h: P with a projection
    sizes = {"(H,)": H, "(I,)": I, "(H+I,)": H + I, "(P,)": P, "(P+I,)": P + I}
    return _step_from_dict(content, where, sizes, dtype, origin, cell or PLAIN)


def trace_from_dict(content: Any, origin: str = "trace") -> Trace:
    if not isinstance(content, dict) or content.get("format") not in READABLE_FORMATS:
        found = content.get("format") if isinstance(content, dict) else type(content).__name__
        raise DataError(f"The {origin} is not an lstm-trace trace: expected \"format\": \"{FORMAT}\", found {found!r}.")
    H = _positive_int(content, "hidden_size", origin)
    I = _positive_int(content, "input_size", origin)
    dtype, weights = dtype_and_weights(content, origin)
    steps = content.get("steps")
    if not isinstance(steps, list) or not steps:
        raise DataError(f"In the {origin}, \"steps\" must be a non-empty list of steps.")
    title, notes = content.get("title"), content.get("notes", [])
    if title is not None and not isinstance(title, str):
        raise DataError(f"In the {origin}, \"title\" must be a string, found {type(title).__name__}.")
    if not isinstance(notes, list) or not all(isinstance(note, str) for note in notes):
        raise DataError(f"In the {origin}, \"notes\" must be a list of strings.")
    cell = cell_options_of(content, origin)
    P = cell.proj_size or H  # the length of h: P with a projection
    sizes = {"(H,)": H, "(I,)": I, "(H+I,)": H + I, "(P,)": P, "(P+I,)": P + I}
    if "variant_backward" in content:  # lstm-trace/1: a variant's gradients beside the steps
        by_t = v1_variant_backward(content, origin)
        steps = [{**step, "backward": by_t[step["t"]]} if isinstance(step, dict) and step.get("t") in by_t else step
                 for step in steps]  # fmt: skip
    return Trace(
        hidden_size=H,
        input_size=I,
        dtype=dtype,
        weights=weights,
        steps=tuple(_step_from_dict(step, f"steps[{k}]", sizes, dtype, origin, cell) for k, step in enumerate(steps)),
        title=title,
        notes=tuple(notes),
        cell=cell,
    )


def cell_options_of(content: dict, origin: str) -> CellOptions:
    """The variant and its options; a trace without them is the plain LSTM."""
    variant = content.get("variant", "lstm")
    options = content.get("cell_options", {"variant": variant})
    cell = CellOptions.from_dict({"variant": variant, **options} if isinstance(options, dict) else options, origin)
    if cell.variant != variant:
        raise DataError(f"In the {origin}, \"variant\" is {variant!r} but \"cell_options\" says {cell.variant!r}.")
    return cell


def _step_from_dict(
    content: Any, where: str, sizes: dict[str, int], dtype: str, origin: str, cell: CellOptions = PLAIN
) -> StepTrace:
    layout = layout_for(cell)
    if not isinstance(content, dict):
        raise DataError(f"In the {origin}, {where} must be an object, found {type(content).__name__}.")
    values: dict[str, Any] = {}
    for name, quantity in layout.quantities.items():
        head, _, part = name.partition(".")
        block = content.get(head)
        raw = block.get(part) if part and isinstance(block, dict) else (None if part else block)
        if raw is None and part in _OPTIONAL_GATE_PARTS:
            continue
        values[name] = _vector(raw, f"{where}.{name}", sizes[quantity.shape], dtype, origin)
    t = content.get("t", 1)
    if not isinstance(t, int) or isinstance(t, bool):
        raise DataError(f"In the {origin}, {where}.t must be an integer, found {t!r}.")
    letters = {"H": sizes["(H,)"], "I": sizes["(I,)"], "P": sizes["(P,)"]}
    backward = backward_from_dict(content.get("backward"), f"{where}.backward", letters, dtype, origin, cell)
    return StepTrace(values, cell, t, backward)


def _vector(raw: Any, where: str, size: int, dtype: str, origin: str) -> np.ndarray:
    if raw is None:
        raise DataError(f"In the {origin}, {where} is missing; expected a list of {size} numbers.")
    if not isinstance(raw, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw):
        raise DataError(f"In the {origin}, {where} must be a list of numbers.")
    if len(raw) != size:
        raise DataError(f"In the {origin}, {where} has {len(raw)} numbers; expected {size}.")
    with np.errstate(over="ignore"):  # a float64 too large for float32 becomes inf, caught below
        vector = np.array(raw, dtype=dtype)
    if not np.all(np.isfinite(vector)):
        raise DataError(f"In the {origin}, {where} holds a number that is not finite in {dtype}.")
    return vector


def dtype_and_weights(content: dict, origin: str) -> tuple[str, dict]:
    """A trace header's dtype (float64 when left out) and its weights' provenance, checked."""
    dtype = content.get("dtype", "float64")
    if dtype not in DTYPES:
        raise DataError(f"In the {origin}, dtype is {dtype!r}; expected one of {', '.join(DTYPES)}.")
    weights = content.get("weights")
    if not isinstance(weights, dict) or "source" not in weights:
        raise DataError(f"In the {origin}, \"weights\" must be an object with a \"source\".")
    return dtype, weights


def _positive_int(content: dict, key: str, origin: str) -> int:
    value = content.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DataError(f"In the {origin}, {key} must be a positive integer, found {value!r}.")
    return value
