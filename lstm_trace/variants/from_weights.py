"""The cell a weights file implies, joined with the options the user gave.

A file can say which cell it holds (a GRU, peepholes, a projection, ONNX's clip
and activations, ...: see `weights.cell_options`). Those options are used
without being repeated on the command line. An option the user gives that the
file does not set is added (`--forget-bias` for a model ported from TensorFlow
v1, `--preact-clip` to see what a clip would do); one that says otherwise than
the file is a usage error, since the trace would not be of the user's model.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Collection

from ..errors import UsageError
from ..weights.cell_options import OPTION_FLAGS, implied_options, options_text
from ..weights.gru_weights import GRUWeights
from ..weights.lstm_weights import LSTMWeights
from ..cells.options import PLAIN, CellOptions

FIELDS = tuple(f.name for f in fields(CellOptions))


def given_fields(cell: CellOptions) -> frozenset[str]:
    """The fields of `cell` that differ from the plain cell: what a caller without a command line asked for."""
    return frozenset(name for name in FIELDS if getattr(cell, name) != getattr(PLAIN, name))


def cell_for_weights(
    weights: LSTMWeights | GRUWeights,
    requested: CellOptions | None,
    given: Collection[str] | None = None,
) -> tuple[CellOptions | None, tuple[str, ...]]:
    """The cell to run on `weights`, and a note saying what the file set.

    `given` names the CellOptions fields the user set (None: those of `requested`
    that are not the plain cell's). Returns `requested` unchanged (None stays None)
    when the file sets nothing.
    """
    implied = implied_options(weights)
    if not implied:
        return requested, ()
    requested = requested or PLAIN
    given = given_fields(requested) if given is None else frozenset(given)
    for field, value in implied.items():
        if field in given and getattr(requested, field) != value:
            raise UsageError(_conflict(weights, field, getattr(requested, field), value))
    cell = replace(requested, **implied)
    try:
        cell.check()
    except UsageError as error:
        raise UsageError(f"{error} The weights ({_source(weights)}) set {options_text(implied)}.") from None
    note = f"The cell options {options_text(implied)} come from the weights ({_source(weights)})."
    return cell, (note,)


def _conflict(weights, field: str, asked, implied) -> str:
    flag = OPTION_FLAGS[field]
    said = flag if asked is True else f"{flag} {asked}"
    return (
        f"{said} contradicts the weights ({_source(weights)}), which set {options_text({field: implied})}: the "
        f"trace would not be of this model. Drop {flag} (options a weights file sets are used without being "
        f"given), or use weights made for the cell you ask for."
    )


def _source(weights) -> str:
    provenance = weights.provenance
    where = [str(provenance["source"])]
    if "layer" in provenance:
        name = provenance.get("layer_name")
        where.append(f"layer {provenance['layer']}" + (f" {name!r}" if name else ""))
    if "direction" in provenance:
        where.append(str(provenance["direction"]))
    return ", ".join(where)
