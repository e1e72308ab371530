"""Stacks: several layers and/or two directions, run the way `torch.nn.LSTM` runs them.

Cells come as a mapping {(layer, "forward" | "reverse"): LSTMWeights}. Layer 0 reads
the input sequence; each later layer reads the output sequence of the layer below.
The reverse cell of a layer reads its input backwards (t = T first), and a layer's
output at step t is [h_forward(t) ; h_reverse(t)], concatenated per step. The final
states h_n and c_n are stacked in PyTorch's order: index = layer × D + direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

import numpy as np

from .errors import DataError, UsageError, shape_text
from .sequence import run_cell, trace_cell, trace_cell_chunks
from .sequence_trace import DIRECTIONS, SequenceTrace
from .weights.lstm_weights import LSTMWeights

CellKey = tuple[int, str]  # (layer, "forward" | "reverse")


@dataclass(frozen=True)
class StackLayout:
    layers: int
    directions: tuple[str, ...]  # ("forward",) or ("forward", "reverse")
    hidden_size: int
    input_size: int  # of layer 0
    output_size: int | None = None  # the length of h: P with a projection (variants), else None for H

    @property
    def keys(self) -> list[CellKey]:
        """Every cell in the order PyTorch stacks their states: layer by layer, forward first."""
        return [(layer, direction) for layer in range(self.layers) for direction in self.directions]

    @property
    def h_size(self) -> int:
        return self.output_size or self.hidden_size

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else len(self.directions) * self.h_size


def stack_layout(cells: Mapping[CellKey, LSTMWeights]) -> StackLayout:
    """Check that the cells form a stack torch.nn.LSTM could run, and describe it."""
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
    output: np.ndarray  # (T, B, D·H), or (B, T, D·H) with batch_first, or (T, D·H) unbatched
    h_n: np.ndarray  # (L·D, B, H), or (L·D, H) unbatched
    c_n: np.ndarray
    traces: dict[CellKey, SequenceTrace] | None = None


def run_lstm(
    cells: Mapping[CellKey, LSTMWeights],
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    c0: np.ndarray | None = None,
    *,
    batch_first: bool = False,
    keep_trace: bool = False,
) -> StackRun:
    """What `torch.nn.LSTM(...)(xs, (h0, c0))` computes, with the trace of every cell if asked.

    xs is (T, I) for one sequence, (T, B, I), or (B, T, I) with batch_first; h0 and c0
    are (L·D, B, H) or (L·D, H), zeros when omitted.
    """
    layout = stack_layout(cells)
    batched = np.ndim(xs) == 3
    xs = as_time_major(xs, batch_first)
    h0, c0 = (initial_states(layout, state, xs.shape[1], name) for name, state in (("h_0", h0), ("c_0", c0)))
    traces: dict[CellKey, SequenceTrace] = {}
    dtype = cells[(0, "forward")].dtype
    h_n, c_n = np.empty_like(h0, dtype=dtype), np.empty_like(c0, dtype=dtype)
    layer_input = xs
    for layer in range(layout.layers):
        outputs = []
        for d, direction in enumerate(layout.directions):
            index = layer * len(layout.directions) + d
            run = (trace_cell if keep_trace else run_cell)(
                cells[(layer, direction)], layer_input, h0[index], c0[index], reverse=direction == "reverse",
                **({"layer": layer} if keep_trace else {}),
            )  # fmt: skip
            outputs.append(run.outputs)
            h_n[index], c_n[index] = run.h_n, run.c_n
            if run.trace is not None:
                traces[(layer, direction)] = run.trace
        layer_input = outputs[0] if len(outputs) == 1 else np.concatenate(outputs, axis=2)  # (T, B, D·H)
    return StackRun(
        output=pytorch_layout(layer_input, batched, batch_first),
        h_n=h_n if batched else h_n[:, 0],
        c_n=c_n if batched else c_n[:, 0],
        traces=traces if keep_trace else None,
    )


class StackStream:
    """The traces of every cell of a stack, a chunk of steps at a time, in the order computed.

    Iterate it for the chunks (each valid until the next is asked for); afterwards
    `output`, `h_n` and `c_n` hold what `run_lstm` returns. Memory stays bounded by
    the chunk size plus one layer's output sequence, whatever T is.
    """

    def __init__(self, cells: Mapping[CellKey, LSTMWeights], xs: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
                 chunk_steps: int | None = 1024, cell=None) -> None:  # fmt: skip
        """xs (T, B, I), h0 (L·D, B, P) and c0 (L·D, B, H) (None for a GRU), already checked.
        `cell` (a variants.CellOptions) picks the engine: the fast plain one when None or plain."""
        self.cells, self.layout = cells, stack_layout(cells)
        self.xs, self.h0, self.c0, self.chunk_steps = xs, h0, c0, chunk_steps
        self.engine = engine_for(cell)
        self.output: np.ndarray | None = None
        dtype = cells[(0, "forward")].dtype
        self.h_n = np.empty_like(h0, dtype=dtype)
        self.c_n = None if c0 is None else np.empty_like(c0, dtype=dtype)

    def __iter__(self) -> Iterator[SequenceTrace]:
        layout, H = self.layout, self.layout.h_size
        layer_input = self.xs
        T, B = self.xs.shape[:2]
        for layer in range(layout.layers):
            layer_output = np.empty((T, B, len(layout.directions) * H), layer_input.dtype)
            for d, direction in enumerate(layout.directions):
                index = layer * len(layout.directions) + d
                chunks = self.engine(
                    self.cells[(layer, direction)], layer_input, self.h0[index],
                    None if self.c0 is None else self.c0[index],
                    reverse=direction == "reverse", chunk_steps=self.chunk_steps, layer=layer,
                )  # fmt: skip
                for chunk in chunks:
                    layer_output[chunk.times - 1, :, d * H : (d + 1) * H] = chunk["h"]
                    self.h_n[index] = chunk["h"][-1]
                    if self.c_n is not None:
                        self.c_n[index] = chunk["c"][-1]
                    yield chunk
            layer_input = layer_output
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


def pytorch_layout(outputs: np.ndarray, batched: bool, batch_first: bool) -> np.ndarray:
    """(T, B, D·H) as torch.nn.LSTM returns it: (T, D·H) unbatched, (B, T, D·H) with batch_first."""
    if not batched:
        return outputs[:, 0]
    return outputs.transpose(1, 0, 2) if batch_first else outputs


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


class CellStream:
    """One cell on its own, with the same interface as `StackStream`: the cell a user picked
    with --layer/--direction. A reverse cell still reads the sequence backwards."""

    def __init__(self, key: CellKey, weights: LSTMWeights, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
                 chunk_steps: int | None = 1024, label_layer: bool = True, keep_output: bool = True,
                 cell=None) -> None:  # fmt: skip
        """xs (T, B, I); h0 (1, B, P), c0 (1, B, H) (None for a GRU). Without keep_output, `output`
        stays None: memory is then bounded by the chunk, whatever T is."""
        self.key, self.weights, self.xs, self.h0, self.c0 = key, weights, xs, h0, c0
        self.chunk_steps, self.label_layer, self.keep_output = chunk_steps, label_layer, keep_output
        self.engine = engine_for(cell)
        self.output: np.ndarray | None = None
        self.h_n = np.empty_like(h0, dtype=weights.dtype)
        self.c_n = None if c0 is None else np.empty_like(c0, dtype=weights.dtype)

    def __iter__(self) -> Iterator[SequenceTrace]:
        layer, direction = self.key
        T, B = self.xs.shape[:2]
        if self.keep_output:
            self.output = np.empty((T, B, self.weights.h_size), self.weights.dtype)
        chunks = self.engine(
            self.weights, self.xs, self.h0[0], None if self.c0 is None else self.c0[0], reverse=direction == "reverse",
            chunk_steps=self.chunk_steps, layer=layer if self.label_layer else None,
        )  # fmt: skip
        for chunk in chunks:
            if self.output is not None:
                self.output[chunk.times - 1] = chunk["h"]
            self.h_n[0] = chunk["h"][-1]
            if self.c_n is not None:
                self.c_n[0] = chunk["c"][-1]
            yield chunk


def open_stream(cells: Mapping[CellKey, LSTMWeights], xs: np.ndarray, h0: np.ndarray, c0: np.ndarray | None,
                chunk_steps: int | None = 1024, label_layers: bool = True, keep_output: bool = True, cell=None
                ) -> StackStream | CellStream:  # fmt: skip
    """A stream over a whole stack, or over the one cell given (whatever its layer and direction).
    A stack keeps each layer's output sequence anyway: the next layer reads it. `cell` (a
    variants.CellOptions) names a variant cell; None or the plain cell runs the fast plain engine."""
    if len(cells) == 1:
        (key, weights), = cells.items()
        return CellStream(key, weights, xs, h0, c0, chunk_steps, label_layers, keep_output, cell)
    return StackStream(cells, xs, h0, c0, chunk_steps, cell)


def engine_for(cell):
    """The chunked engine, called like `sequence.trace_cell_chunks`: the plain LSTM's fast one, or the
    variants' (`variants/sequence.py`) for any other cell."""
    if cell is None or cell.is_plain:
        return trace_cell_chunks
    from .variants.sequence import variant_engine  # only a variant run loads it

    return variant_engine(cell)
