"""The cell options a weights file sets: what its framework computes beyond the plain LSTM.

A reader puts what a file *states* in `provenance["cell_options"]`, as
`CellOptions` field -> value, the non-default ones only: ONNX's `clip`,
`activations`, `input_forget` and GRU `linear_before_reset`; Keras'
`activation`, `recurrent_activation` and GRU `reset_after`; a native file's own
`cell_options`. What the arrays themselves say is read off the weights: GRU
blocks make a GRU, peephole weights the peephole variant, W_hr a projection of
P = its rows. `step` and `explain` run that cell without the user repeating it,
and `weights inspect` and `weights convert` report and carry it.
"""

from __future__ import annotations

from typing import Any, Mapping

from .gru_weights import GRUWeights
from .lstm_weights import LSTMWeights

CELL_OPTIONS_KEY = "cell_options"

# The command-line option for each CellOptions field, to say options in the user's own words.
OPTION_FLAGS = {
    "variant": "--variant",
    "forget_bias": "--forget-bias",
    "cell_clip": "--cell-clip",
    "preact_clip": "--preact-clip",
    "proj_size": "--proj-size",
    "gate_activation": "--gate-activation",
    "cell_activation": "--cell-activation",
    "gru_reset_before": "--gru-reset-before",
}


_ORDER = {field: index for index, field in enumerate(OPTION_FLAGS)}


def implied_options(weights: LSTMWeights | GRUWeights) -> dict[str, Any]:
    """The CellOptions fields (non-default only) that the weights and their file set, in CellOptions' order."""
    options = dict(weights.provenance.get(CELL_OPTIONS_KEY) or {})
    if not isinstance(weights, LSTMWeights):  # a GRUWeights
        options["variant"] = "gru"
    else:
        if weights.peepholes is not None:
            options.setdefault("variant", "peephole")
        if weights.projection is not None:
            options["proj_size"] = weights.h_size
    return {field: options[field] for field in sorted(options, key=lambda field: _ORDER.get(field, len(_ORDER)))}


def options_text(options: Mapping[str, Any]) -> str:
    """'--variant peephole --preact-clip 2.0': options as they would be typed."""
    words = []
    for field, value in options.items():
        flag = OPTION_FLAGS.get(field, field)
        words.append(flag if value is True else f"{flag} {value:g}" if isinstance(value, float) else f"{flag} {value}")
    return " ".join(words)


def cell_kind(weights: LSTMWeights | GRUWeights) -> str:
    """'LSTM' or 'GRU' and what changes its structure: 'LSTM, peepholes', 'LSTM, P = 2', 'GRU, reset before'.
    The run-time options (clip, activations) are said by `options_text`."""
    options = implied_options(weights)
    details = {"peephole": ["peepholes"], "cifg": ["cifg"]}.get(options.get("variant", ""), [])
    if "proj_size" in options:
        details.append(f"P = {options['proj_size']}")
    if options.get("gru_reset_before"):
        details.append("reset before")
    return ", ".join(["LSTM" if isinstance(weights, LSTMWeights) else "GRU", *details])
