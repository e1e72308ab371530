"""The rules that turn what the user gave into a cell's inputs, the same for every cell and every command.

`tracer.resolve_inputs` (one step: step, walk, explain, diagram, grad) and
`sequence_inputs.resolve_sequence_inputs` (run) are built from these:

- explicit options win over a scenario preset's values; the preset's h is used
  when it fits the cell's h (P entries with a projection, H otherwise);
- a scenario preset's cell has the preset's size H, whatever the cell: --hidden-size
  may only repeat it (`check_preset_size`), and its weights are made for the cell
  (`scenarios.scenario_weights`);
- a weights preset (identity, zeros, random) is made to fit the inputs and the
  cell, so it needs H from --hidden-size or --h (`made_weights`); the identity
  preset given neither (nor --c) is square, H = I (`square_identity`);
- a weights file may say which cell it holds (a GRU, peepholes, a projection,
  ONNX's clip, ...): those options join the ones the user gave, and a given one
  that says otherwise is a usage error (`cell_for_weights`, `cell_for_file`);
- every size is at most MAX_SIZE, and --hidden-size agrees with weights whose size
  is their own (`check_hidden_size`).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Collection, Mapping

import numpy as np

from ..cell_options import PLAIN, CellOptions
from ..cells.step import check_weights_fit
from ..errors import DataError, UsageError
from ..io.scenarios import Scenario, preset_weights, scenario_weights
from ..weights import DTYPES, GRUWeights, LSTMWeights
from ..weights.stated_options import OPTION_FLAGS, implied_options, options_text

# 4 gates × H × (H+I) float64 values: at H = I = 8192 that is already 4 GiB.
MAX_SIZE = 8192

CELL_FIELDS = tuple(f.name for f in fields(CellOptions))


def check_dtype(dtype: str) -> None:
    if dtype not in DTYPES:
        raise UsageError(f"--dtype {dtype!r} is not supported; choose one of {', '.join(DTYPES)}.")


def check_size(size: int, what: str) -> None:
    if not 1 <= size <= MAX_SIZE:
        raise UsageError(f"{what} is {size}; it must be between 1 and {MAX_SIZE}.")


def check_preset_size(scenario: Scenario, hidden_size: int | None) -> None:
    """A scenario preset's own weights have its size: --hidden-size may only repeat it."""
    if hidden_size not in (None, len(scenario.h)):
        raise UsageError(
            f"--hidden-size {hidden_size} disagrees with preset '{scenario.name}', whose cell has "
            f"H = {len(scenario.h)}: drop --hidden-size, or give --weights (identity, random, zeros) to make "
            f"a cell of H = {hidden_size} for the preset's inputs."
        )


def check_hidden_size(hidden_size: int | None, weights: LSTMWeights | GRUWeights) -> None:
    """--hidden-size must agree with weights that have their own size (a file, a scenario preset)."""
    if hidden_size is not None and hidden_size != weights.hidden_size:
        source = weights.provenance.get("source", "the weights")
        raise UsageError(
            f"--hidden-size {hidden_size} disagrees with the weights ({source}), whose cell has "
            f"H = {weights.hidden_size}: their size is fixed, so drop --hidden-size or give weights of H = {hidden_size}."
        )


def preset_state(
    scenario: Scenario,
    cell: CellOptions,
    hidden_size: int | None,
    weights_given: bool,
    h: np.ndarray | None,
    c: np.ndarray | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """h and C where the user gave none: the scenario's, when its h fits the cell's (P with a projection)."""
    if not weights_given:
        check_preset_size(scenario, hidden_size)
    h_size = cell.proj_size if cell.proj_size is not None else hidden_size  # None: the scenario says
    if h is None and h_size in (None, len(scenario.h)):
        h = scenario.h
    return h, scenario.c if c is None else c


def preset_hidden_size(cell: CellOptions, spec: str, hidden_size: int | None, h_size: int | None) -> int:
    """H for a weights preset: --hidden-size, or the length of h, which with a projection is P, not H."""
    if cell.proj_size is not None:
        if hidden_size is None:
            raise UsageError(
                f"With --proj-size {cell.proj_size}, h has P = {cell.proj_size} entries and the cell has more: "
                f"give the cell's size with --hidden-size H (H > {cell.proj_size}) to make the '{spec}' weights."
            )
        return hidden_size
    if hidden_size is None and h_size is None:
        raise UsageError(
            f"The '{spec}' weights preset is made to fit the inputs, so it needs the hidden size: "
            f"give --h (H = its length) or --hidden-size H."
        )
    return hidden_size if hidden_size is not None else h_size


def square_identity(
    cell: CellOptions, spec, scenario: Scenario | None, hidden_size: int | None, h, c, input_size: int
) -> tuple[int | None, tuple[str, ...]]:
    """H for identity weights that nothing sizes (no --hidden-size, --h or --c): I, so that W_g·z = h_(t-1) + x_t,
    as a learner reads the identity cell; with a note saying so. Otherwise `hidden_size` as given, and no note."""
    identity = spec == "identity" or (spec is None and scenario is None)
    if not identity or cell.proj_size is not None or any(given is not None for given in (hidden_size, h, c)):
        return hidden_size, ()
    return input_size, (f"H was not given (no --hidden-size or --h), so H = I = {input_size}: the identity weights "
                        f"then make W_g·z = h_(t-1) + x_t.",)  # fmt: skip


def made_weights(
    cell: CellOptions,
    spec: str | None,
    scenario: Scenario | None,
    hidden_size: int | None,
    h_size: int | None,
    input_size: int,
    seed: int,
) -> LSTMWeights | GRUWeights:
    """Weights made for the cell rather than read from a file: the scenario's when no --weights was given,
    else the weights preset `spec` (identity by default) sized to fit the inputs."""
    if spec is None and scenario is not None:
        return scenario_weights(scenario, cell)
    spec = spec or "identity"
    return preset_weights(cell, spec, preset_hidden_size(cell, spec, hidden_size, h_size), input_size, seed)


def given_fields(cell: CellOptions) -> frozenset[str]:
    """The fields of `cell` that differ from the plain cell: what a caller without a command line asked for."""
    return frozenset(name for name in CELL_FIELDS if getattr(cell, name) != getattr(PLAIN, name))


def cell_for_weights(
    weights: LSTMWeights | GRUWeights,
    requested: CellOptions | None,
    given: Collection[str] | None = None,
) -> tuple[CellOptions | None, tuple[str, ...]]:
    """The cell to run on `weights`, and a note saying what the file set.

    `given` names the CellOptions fields the user set (None: those of `requested`
    that are not the plain cell's). An option the file does not set is added to
    it (`--forget-bias` for a model ported from TensorFlow v1); a given one that
    says otherwise than the file is a UsageError, since the trace would not be of
    the user's model. Returns `requested` unchanged (None stays None) when the
    file sets nothing.
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


def cell_for_file(cells: Mapping, requested: CellOptions, given: Collection[str] | None, path: str) -> CellOptions:
    """The one cell every cell of a file runs (`run` runs a stack of one kind): what the file implies,
    joined with what the user asked, and fitting every cell's weights."""
    chosen = {}
    for key, weights in sorted(cells.items()):
        cell, _ = cell_for_weights(weights, requested, given)
        chosen[key] = cell or requested
    distinct = set(chosen.values())
    if len(distinct) > 1:
        found = "; ".join(f"layer {layer}, {direction}: {_options_text(cell) or 'the plain LSTM'}"
                          for (layer, direction), cell in chosen.items())  # fmt: skip
        raise DataError(
            f"The cells of '{path}' compute different things ({found}); `run` runs one kind of cell for a whole "
            f"stack. Pick one cell with --layer/--direction."
        )
    cell = distinct.pop()
    for weights in cells.values():
        check_weights_fit(cell, weights)
    return cell


def _options_text(cell: CellOptions) -> str:
    return options_text({name: getattr(cell, name) for name in sorted(given_fields(cell))})


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
