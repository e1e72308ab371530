"""Sequence traces in the lstm-trace/2 contract: one JSON document (`--json`) or JSON Lines (`--jsonl`).

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

A variant's trace says so as a step trace does: `"variant"` and `"cell_options"` in
the header, and steps of the variant's step shape (`stages.layout_for(cell)`: a
GRU's steps have reset, update, new and no cell state; its "outputs" have no "c_n",
as torch.nn.GRU returns none; with a projection h, h_prev and h_n have P entries).

JSON Lines: line 1 is the header, then one step per line, written as computed, so
memory stays bounded for any T; "outputs" are left out (they are the steps' "h").
`sequence_reader.py` reads both back.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator

import numpy as np

from ..stages import layout_for
from ..traces.sequence import SequenceInfo, SequenceTrace, pytorch_layout
from .json_codec import pick_codec
from .trace_json import FORMAT

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
        "variant": info.cell.variant,
        "cell_options": info.cell.to_dict(),
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
    quantities = layout_for(info.cell).quantities  # QUANTITIES for the plain cell
    constant = tuple(name for name in quantities if name.endswith((".bias", ".bias_h", ".forget_bias")))
    arrays = {name: chunk[name] for name in quantities if name not in constant}  # (S, B, size)
    if chunk.batch_size > 1:  # the engine's (S, B, size) arrays are views with B innermost: copy once per chunk
        arrays = {name: np.ascontiguousarray(values) for name, values in arrays.items()}
    biases = {name: chunk.arrays[name][0, 0] for name in constant if name in chunk.arrays}
    cell = {"layer": chunk.layer, "direction": chunk.direction} if info.stacked else {}
    for k, t in enumerate(chunk.times.tolist()):
        for b in range(chunk.batch_size):
            record: dict[str, Any] = {"t": t, **cell}
            if info.batch_size is not None:
                record["b"] = b
            for name in quantities:
                head, _, part = name.partition(".")
                value = biases.get(name) if name in constant else arrays[name][k, b]
                if value is None:
                    continue
                if part:
                    record.setdefault(head, {})[part] = value
                else:
                    record[head] = value
            yield record


def outputs_dict(output: np.ndarray, h_n: np.ndarray, c_n: np.ndarray | None, info: SequenceInfo
                 ) -> dict[str, np.ndarray]:  # fmt: skip
    """The final outputs as torch.nn.LSTM lays them out; output (T, B, D·H) and h_n, c_n (cells, B, H) in.
    A GRU has no c_n (None), as torch.nn.GRU returns none."""
    batched = info.batch_size is not None
    outputs = {"output": pytorch_layout(output, batched, info.batch_first), "h_n": h_n if batched else h_n[:, 0]}
    if c_n is not None:
        outputs["c_n"] = c_n if batched else c_n[:, 0]
    return outputs


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
