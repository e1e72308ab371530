"""The cells `run` computes when the cell is not the plain LSTM: from presets, a scenario, or a file.

The rules are `step`'s (`variants/inputs.py` and `variants/from_weights.py`): a preset
is made for the variant (peepholes, a projection, GRU blocks); a weights file says
which cell it holds, options the user gives that the file does not set are added,
and one that contradicts the file is a usage error. Every cell of a stack runs
the same cell options: a file whose cells disagree is refused.
"""

from __future__ import annotations

from typing import Collection, Mapping

from ..errors import DataError, UsageError
from ..weights.cell_options import options_text
from .from_weights import cell_for_weights, given_fields
from .inputs import _preset, _preset_hidden_size, _scenario_weights
from ..cells.options import CellOptions
from ..cells.step import check_weights_fit


def preset_weights(cell: CellOptions, spec: str, hidden_size: int | None, input_size: int, seed: int):
    """The weights preset `spec` made for the variant; with a projection H must be given (h has P entries)."""
    if cell.proj_size is not None:
        hidden_size = _preset_hidden_size(cell, hidden_size, None, spec)
    elif hidden_size is None:
        raise UsageError(
            f"The '{spec}' weights preset is made to fit the inputs, so it needs the hidden size: "
            f"give --h (H = its length) or --hidden-size H."
        )
    return _preset(cell, spec, hidden_size, input_size, seed)


def scenario_weights(cell: CellOptions, scenario, hidden_size: int | None):
    """A scenario's weights made for the variant (its preset with the variant's extras)."""
    return _scenario_weights(cell, scenario, hidden_size)


def cell_for_file(cells: Mapping, requested: CellOptions, given: Collection[str] | None, path: str) -> CellOptions:
    """The one cell every cell of the file runs: what the file implies, joined with what the user asked."""
    chosen: dict[tuple[int, str], CellOptions] = {}
    for key, weights in sorted(cells.items()):
        cell, _ = cell_for_weights(weights, requested, given)
        chosen[key] = cell or requested
    distinct = set(chosen.values())
    if len(distinct) > 1:
        found = "; ".join(f"layer {layer}, {direction}: {options_text(_fields(cell)) or 'the plain LSTM'}"
                          for (layer, direction), cell in chosen.items())  # fmt: skip
        raise DataError(
            f"The cells of '{path}' compute different things ({found}); `run` runs one kind of cell for a whole "
            f"stack. Pick one cell with --layer/--direction."
        )
    cell = distinct.pop()
    for weights in cells.values():
        check_weights_fit(cell, weights)
    return cell


def _fields(cell: CellOptions) -> dict:
    return {name: getattr(cell, name) for name in sorted(given_fields(cell))}
