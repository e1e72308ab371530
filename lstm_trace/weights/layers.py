"""The layers and directions of a weights file, and the choice of one cell by `--layer/--direction`.

A framework file can hold several LSTM (or GRU) cells: the layers of a stack, and a
forward and a reverse cell per layer when it is bidirectional. `WeightsFile`
keys each cell, already in the canonical layout, by (layer index from 0,
"forward" | "reverse"); `select_cell` picks the one a `LayerSelection` names and
says what is there when the choice is missing or wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..errors import DataError, UsageError
from .gru_weights import GRUWeights
from .lstm_weights import LSTMWeights

DIRECTIONS = ("forward", "reverse")

CellKey = tuple[int, str]  # (layer index from 0, "forward" | "reverse")


@dataclass(frozen=True)
class LayerSelection:
    """Which cell to take from a file that holds several (layers, directions)."""

    layer: str | None = None
    direction: str | None = None


@dataclass(frozen=True)
class WeightsFile:
    """Every LSTM and GRU cell found in one file, in the canonical layouts."""

    path: str
    framework: str
    cells: dict[CellKey, LSTMWeights | GRUWeights]
    layer_names: dict[int, str] = field(default_factory=dict)  # layer index -> the file's own name
    # Features of the file that lstm-trace cannot trace (an activation it does not have, ...), one sentence each.
    # What it can trace beyond the plain cell (peepholes, clip, ...) is in each cell's provenance["cell_options"].
    unsupported: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # what was assumed or skipped while reading, one sentence each
    # Frameworks that store two biases (PyTorch bias_ih, bias_hh; ONNX Wb, Rb) keep them here,
    # per cell: part name -> gate name -> (H,), the input-side part first. The cell's b is their sum.
    bias_parts: dict[CellKey, dict[str, Mapping[str, np.ndarray]]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """'LSTM', 'GRU' or 'LSTM and GRU': what the file's cells are, for messages."""
        kinds = {"LSTM" if isinstance(weights, LSTMWeights) else "GRU" for weights in self.cells.values()}
        return " and ".join(sorted(kinds)) or "LSTM"

    def layer_name(self, layer: int) -> str:
        return self.layer_names.get(layer, f"layer {layer}")

    def listing(self) -> str:
        """What the file holds, for error messages: `0 'l0' (forward, reverse), 1 'l1' (forward)`."""
        layers = sorted({layer for layer, _ in self.cells})
        parts = []
        for layer in layers:
            directions = [d for d in DIRECTIONS if (layer, d) in self.cells]
            parts.append(f"{layer} {self.layer_name(layer)!r} ({', '.join(directions)})")
        return "; ".join(parts) or "no LSTM or GRU cell"


def check_supported(weights_file: WeightsFile) -> WeightsFile:
    """Refuse a file whose cells lstm-trace would compute wrongly."""
    if weights_file.unsupported:
        raise DataError(
            f"The {weights_file.framework} file '{weights_file.path}' uses features lstm-trace cannot trace "
            f"yet, so it will not compute something else in their place: {' '.join(weights_file.unsupported)}"
        )
    if not weights_file.cells:
        raise DataError(
            f"The {weights_file.framework} file '{weights_file.path}' holds no LSTM or GRU cell. "
            + " ".join(weights_file.notes)
        )
    return weights_file


def select_cell(weights_file: WeightsFile, layer: str | None, direction: str | None) -> LSTMWeights | GRUWeights:
    """The one cell that `--layer` (index or name) and `--direction` choose."""
    return weights_file.cells[select_key(weights_file, layer, direction)]


def select_key(weights_file: WeightsFile, layer: str | None, direction: str | None) -> CellKey:
    """The key of the cell that `--layer` and `--direction` choose.

    Without them a file with exactly one choice just works; a file with several
    gets an error that lists what is there.
    """
    if direction is not None and direction not in DIRECTIONS:
        raise UsageError(f"--direction {direction!r} is not a direction; choose forward or reverse.")
    layer_index = _layer_index(weights_file, layer)
    directions = [d for d in DIRECTIONS if (layer_index, d) in weights_file.cells]
    if direction is None:
        if len(directions) > 1:
            raise UsageError(
                f"Layer {layer_index} of '{weights_file.path}' is bidirectional; choose a cell with "
                f"--direction forward or --direction reverse. The file holds: {weights_file.listing()}."
            )
        direction = directions[0]
    if direction not in directions:
        raise UsageError(
            f"Layer {layer_index} of '{weights_file.path}' has no {direction} cell. "
            f"The file holds: {weights_file.listing()}."
        )
    return (layer_index, direction)


def _layer_index(weights_file: WeightsFile, layer: str | None) -> int:
    layers = sorted({index for index, _ in weights_file.cells})
    if layer is None:
        if len(layers) > 1:
            raise UsageError(
                f"'{weights_file.path}' holds {len(layers)} {weights_file.kind} layers; choose one with --layer "
                f"(an index or a name). The file holds: {weights_file.listing()}."
            )
        return layers[0]
    text = layer.strip()
    if text.isdigit() and int(text) in layers:
        return int(text)
    for index in layers:
        if text == weights_file.layer_name(index):
            return index
    raise UsageError(
        f"--layer {layer!r} matches no {weights_file.kind} layer of '{weights_file.path}' (give an index or a name). "
        f"The file holds: {weights_file.listing()}."
    )
