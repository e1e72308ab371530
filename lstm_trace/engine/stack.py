"""Stacks: several layers and/or two directions of any cell, run the way `torch.nn.LSTM` / `GRU` run them.

Cells come as a mapping {(layer, "forward" | "reverse"): weights}, every one running the
same cell (`CellOptions`). Layer 0 reads the input sequence; each later layer reads the
output sequence of the layer below. The reverse cell of a layer reads its input
backwards (t = T first), and a layer's output at step t is [h_forward(t) ; h_reverse(t)],
concatenated per step. The final states h_n and c_n are stacked in PyTorch's order:
index = layer × D + direction.

`run_stack` is the Python API (the outputs, and every cell's trace if asked);
`SequenceStream` yields the traces chunk by chunk, as `run` writes and summarises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Iterator, Mapping

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..errors import DataError, UsageError, shape_text
from ..traces.sequence import DIRECTIONS, SequenceTrace, pytorch_layout
from ..weights.gru_weights import GRUWeights
from ..weights.lstm_weights import LSTMWeights
from .sequence import run_cell, trace_cell, trace_cell_chunks

CellKey = tuple[int, str]  # (layer, "forward" | "reverse")


@dataclass(frozen=True)
class StackLayout:
    layers: int
    directions: tuple[str, ...]  # ("forward",) or ("forward", "reverse")
    hidden_size: int
    input_size: int  # of layer 0
    output_size: int | None = None  # the length of h: P with a projection, else None for H

    @property
    def keys(self) -> list[CellKey]:
        """Every cell in the order PyTorch stacks their states: layer by layer, forward first."""
        return [(layer, direction) for layer in range(self.layers) for direction in self.directions]

    @property
    def h_size(self) -> int:
        return self.output_size or self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else len(self.directions) * self.h_size


def stack_layout(cells: Mapping[CellKey, LSTMWeights | GRUWeights]) -> StackLayout:
    """Check that the cells form a stack torch.nn.LSTM (or GRU) could run, and describe it."""
    if not cells:
        raise DataError("No LSTM cells were given: a stack needs at least the cell (0, 'forward').")
    found = ", ".join(f"(layer {layer}, {direction})" for layer, direction in sorted(cells))
    layers = 1 + max(layer for layer, _ in cells)
    directions = ("forward", "reverse") if any(d == "reverse" for _, d in cells) else ("forward",)
    expected = {(layer, d) for layer in range(layers) for d in directions}
    if set(cells) != expected or any(d not in DIRECTIONS for _, d in cells):
        raise DataError(
            f"The LSTM cells do not form a stack: found {found}; expected every layer 0..{layers - 1} "
            f"with the directions {' and '.join(directions)}."
        )
    first = cells[(0, "forward")]
    layout = StackLayout(layers, directions, first.hidden_size, first.input_size, first.h_size)
    for (layer, direction), weights in sorted(cells.items()):
        want = (layout.hidden_size, layout.layer_input_size(layer))
        if (weights.hidden_size, weights.input_size) != want:
            raise DataError(
                f"The cell of layer {layer}, {direction} has H = {weights.hidden_size}, I = {weights.input_size}; "
                f"in this stack it must have H = {want[0]} and I = {want[1]} "
                f"(layer 0 reads the input; a later layer reads the {len(directions)}×{'P' if layout.h_size != layout.hidden_size else 'H'} "
                f"outputs below it)."
            )
    return layout


@dataclass(frozen=True)
class StackRun:
    output: np.ndarray  # (T, B, D·P), or (B, T, D·P) with batch_first, or (T, D·P) unbatched (P: h's length)
    h_n: np.ndarray  # (L·D, B, P), or (L·D, P) unbatched
    c_n: np.ndarray | None  # (L·D, B, H); None for a GRU, as torch.nn.GRU returns none
    traces: dict[CellKey, SequenceTrace] | None = None


def run_stack(
    cells: Mapping[CellKey, LSTMWeights | GRUWeights],
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    cell: CellOptions = PLAIN,
    batch_first: bool = False,
    keep_trace: bool = False,
) -> StackRun:
    """What `torch.nn.LSTM(...)(xs, (h0, c0))` (or `torch.nn.GRU(...)(xs, h0)`) computes, with the trace of
    every cell if asked.

    xs is (T, I) for one sequence, (T, B, I), or (B, T, I) with batch_first; h0 is (L·D, B, P) or
    (L·D, P), c0 (L·D, B, H) or (L·D, H) (none for a GRU), zeros when omitted.
    """
    layout = stack_layout(cells)
    batched = np.ndim(xs) == 3
    xs = as_time_major(xs, batch_first)
    h0 = initial_states(layout, h0, xs.shape[1], "h_0", layout.h_size)
    c0 = initial_states(layout, c0, xs.shape[1], "c_0") if cell.has_cell_state or c0 is not None else None
    traces: dict[CellKey, SequenceTrace] = {}
    h_n, c_n = [], []
    layer_input = xs
    for layer in range(layout.layers):
        outputs = []
        for d, direction in enumerate(layout.directions):
            index = layer * len(layout.directions) + d
            given = (cells[(layer, direction)], layer_input, h0[index], None if c0 is None else c0[index])
            options = {"cell": cell, "reverse": direction == "reverse"}
            run = trace_cell(*given, **options, layer=layer) if keep_trace else run_cell(*given, **options)
            outputs.append(run.outputs)
            h_n.append(run.h_n)
            c_n.append(run.c_n)
            if run.trace is not None:
                traces[(layer, direction)] = run.trace
        layer_input = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=2)  # (T, B, D·P)
    unbatch = (lambda states: states) if batched else (lambda states: states[:, 0])  # noqa: E731
    return StackRun(
        output=pytorch_layout(layer_input, batched, batch_first),
        h_n=unbatch(np.stack(h_n)),
        c_n=None if c_n[0] is None else unbatch(np.stack(c_n)),
        traces=traces if keep_trace else None,
    )


class SequenceStream:
    """The traces of the cells given, a chunk of steps at a time, in the order computed.

    The cells are a whole stack, or the one cell a user picked with --layer/--direction
    (which reads the input sequence, whatever its layer; a reverse cell still reads it
    backwards). Iterate it for the chunks (each valid until the next is asked for);
    afterwards `output`, `h_n` and `c_n` hold the final outputs, as `run_stack` returns
    them before the PyTorch layout. Memory stays bounded by the chunk size plus one
    layer's output sequence, whatever T is; without `keep_output`, a lone cell keeps no
    output sequence (`output` stays None).
    """

    def __init__(self, cells: Mapping[CellKey, LSTMWeights | GRUWeights], xs: np.ndarray, h0: np.ndarray,
                 c0: np.ndarray | None, *, cell: CellOptions = PLAIN, chunk_steps: int | None = 1024,
                 label_layers: bool = True, keep_output: bool = True) -> None:  # fmt: skip
        """xs (T, B, I), h0 (cells, B, P) and c0 (cells, B, H) (None for a GRU), already checked, the cells
        in the order they run (layer by layer, forward first); with label_layers, chunks say their layer."""
        if len(cells) > 1:
            stack_layout(cells)
        self.cells, self.xs, self.h0, self.c0, self.cell = cells, xs, h0, c0, cell
        self.chunk_steps, self.label_layers, self.keep_output = chunk_steps, label_layers, keep_output
        self.output: np.ndarray | None = None
        dtype = next(iter(cells.values())).dtype
        self.h_n = np.empty_like(h0, dtype=dtype)
        self.c_n = None if c0 is None else np.empty_like(c0, dtype=dtype)

    def __iter__(self) -> Iterator[SequenceTrace]:
        T, B = self.xs.shape[:2]
        keys = sorted(self.cells, key=lambda key: (key[0], DIRECTIONS.index(key[1])))  # the order h0 lists them
        layer_input = self.xs
        for layer, layer_keys in groupby(keys, key=lambda key: key[0]):
            layer_keys = list(layer_keys)
            P = self.cells[layer_keys[0]].h_size
            last = layer_keys[-1] == keys[-1]
            output = np.empty((T, B, len(layer_keys) * P), layer_input.dtype) if self.keep_output or not last else None
            for d, key in enumerate(layer_keys):
                index = keys.index(key)  # of its initial and final states
                chunks = trace_cell_chunks(
                    self.cells[key], layer_input, self.h0[index], None if self.c0 is None else self.c0[index],
                    cell=self.cell, reverse=key[1] == "reverse", chunk_steps=self.chunk_steps,
                    layer=layer if self.label_layers else None,
                )  # fmt: skip
                for chunk in chunks:
                    if output is not None:
                        output[chunk.times - 1, :, d * P : (d + 1) * P] = chunk["h"]
                    self.h_n[index] = chunk["h"][-1]
                    if self.c_n is not None:
                        self.c_n[index] = chunk["c"][-1]
                    yield chunk
            layer_input = output
        self.output = layer_input


def as_time_major(xs: np.ndarray, batch_first: bool) -> np.ndarray:
    """(T, I) -> (T, 1, I); (B, T, I) with batch_first -> (T, B, I) (a view)."""
    xs = np.asarray(xs)
    if xs.ndim == 2:
        return xs[:, None, :]
    if xs.ndim == 3:
        return xs.transpose(1, 0, 2) if batch_first else xs
    raise UsageError(
        f"The input sequence has shape {shape_text(xs.shape)}; expected (T, I) for one sequence, "
        f"or (T, B, I) ((B, T, I) with batch_first) for a batch."
    )


def initial_states(layout: StackLayout, state: np.ndarray | None, batch: int, name: str,
                   size: int | None = None) -> np.ndarray:  # fmt: skip
    """An initial state as (L·D, B, H): zeros when omitted; (L·D, H) applies to every sequence.
    `size` is the state's length when it is not H (h of a projected LSTM has P entries)."""
    cells, H = len(layout.keys), size or layout.hidden_size
    if state is None:
        return np.zeros((cells, batch, H))
    state = np.asarray(state, dtype=np.float64)
    if state.shape == (cells, H):
        state = np.repeat(state[:, None, :], batch, axis=1)
    if state.shape != (cells, batch, H):
        raise UsageError(
            f"{name} has shape {shape_text(state.shape)}; for {layout.layers} layer(s) × "
            f"{len(layout.directions)} direction(s), B = {batch} and H = {H} it must have shape "
            f"({cells}, {batch}, {H}) (or ({cells}, {H}) for every sequence alike), as in torch.nn.LSTM."
        )
    return state

