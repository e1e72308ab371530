"""What an ONNX LSTM or GRU node's attributes make it compute, as lstm-trace's cell options, and back.

`clip` is --preact-clip; `activations` ([f, g, h] per direction for an LSTM, [f, g]
for a GRU) are --gate-activation (f) and --cell-activation (g, and h, which must be
the same); `input_forget=1` is --variant cifg; a GRU's `linear_before_reset=0` (the
default) is --gru-reset-before. What lstm-trace has no equivalent for (another
activation, HardSigmoid with other alpha and beta, g ≠ h, peepholes with
input_forget) is said in a sentence, so the file is refused rather than computed
wrongly. `node_attributes` goes the other way, for a written node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .onnx_node import attribute_text

GATE_ACTIVATIONS = {"sigmoid": "sigmoid", "hardsigmoid": "hard_sigmoid"}
CELL_ACTIVATIONS = {"tanh": "tanh", "relu": "relu", "softsign": "softsign"}
ACTIVATION_NAMES = {"sigmoid": "Sigmoid", "hard_sigmoid": "HardSigmoid", "tanh": "Tanh", "relu": "Relu",
                    "softsign": "Softsign"}  # fmt: skip
HARD_SIGMOID = {"activation_alpha": 0.2, "activation_beta": 0.5}  # lstm-trace's clip(0.2·x + 0.5, 0, 1)

CIFG_MAPPING = (
    "input_forget = 1 -> --variant cifg with W_f = -W_i, b_f = -(Wb_i + Rb_i): ONNX Runtime computes i from W_i "
    "and sets f = 1 - i, lstm-trace computes f from W_f and sets i = 1 - f; they are the same cell because "
    "1 - σ(a) = σ(-a) (so ONNX's W_f block is not used)"
)


@dataclass
class NodeOptions:
    """Per direction, the cell options (non-default fields) and the mapping sentences; and the problems."""

    options: list[dict[str, Any]]
    mappings: list[list[str]]
    unsupported: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def node_options(op: str, attributes: dict[str, Any], directions: int, has_peepholes: bool) -> NodeOptions:
    found = NodeOptions([{} for _ in range(directions)], [[] for _ in range(directions)])
    _clip(attributes, found)
    _activations(op, attributes, directions, found)
    if op == "LSTM" and attributes.get("input_forget", 0):
        if has_peepholes:
            found.unsupported.append(
                "couples the input and forget gates (input_forget = 1) and has peephole weights P; lstm-trace's "
                "cifg cell has no peepholes"
            )
        _set_all(found, "variant", "cifg", CIFG_MAPPING)
    if op == "GRU" and not attributes.get("linear_before_reset", 0):
        _set_all(found, "gru_reset_before", True,
                 "linear_before_reset = 0 -> --gru-reset-before: r ⊙ h_(t-1) is taken before R_h")  # fmt: skip
    return found


def node_attributes(options: Mapping[str, Any], gru: bool) -> dict[str, Any]:
    """The inverse of `node_options`: the attributes of a node that computes a cell with `options`."""
    attributes: dict[str, Any] = {}
    if "preact_clip" in options:
        attributes["clip"] = float(options["preact_clip"])
    if "gate_activation" in options or "cell_activation" in options:
        gate = ACTIVATION_NAMES[options.get("gate_activation", "sigmoid")]
        cell = ACTIVATION_NAMES[options.get("cell_activation", "tanh")]
        attributes["activations"] = [gate, cell] if gru else [gate, cell, cell]  # f, g (, h)
    if gru:
        attributes["linear_before_reset"] = 0 if options.get("gru_reset_before") else 1
    elif options.get("variant") == "cifg":
        attributes["input_forget"] = 1
    return attributes


def _set_all(found: NodeOptions, option: str, value: Any, mapping: str) -> None:
    for options, mappings in zip(found.options, found.mappings):
        options[option] = value
        mappings.append(mapping)


def _clip(attributes: dict[str, Any], found: NodeOptions) -> None:
    if "clip" not in attributes:
        return
    # ONNX stores floats as float32: 0.6 arrives as 0.6000000238…; keep the value the model's author wrote.
    clip = float(str(np.float32(attributes["clip"])))
    if not clip > 0:
        found.unsupported.append(f"clips pre-activations with clip = {clip:g}, which is not a positive bound")
        return
    _set_all(found, "preact_clip", clip, f"clip = {clip:g} -> --preact-clip {clip:g}")


def _activations(op: str, attributes: dict[str, Any], directions: int, found: NodeOptions) -> None:
    names = [attribute_text(name) for name in attributes.get("activations", [])]
    per_direction = 3 if op == "LSTM" else 2
    if not names:
        _unused_alpha_beta(attributes, found, uses_them=False)
        return
    if len(names) != per_direction * directions:
        found.unsupported.append(
            f"lists {len(names)} activations {names}, where {per_direction} per direction ({directions}) are expected"
        )
        return
    lowered = [name.lower() for name in names]
    _unused_alpha_beta(attributes, found, uses_them="hardsigmoid" in lowered)
    for d in range(directions):
        f, g, *rest = names[d * per_direction : (d + 1) * per_direction]
        h = rest[0] if rest else g
        gate, cell = GATE_ACTIVATIONS.get(f.lower()), CELL_ACTIVATIONS.get(g.lower())
        if gate is None:
            found.unsupported.append(f"uses {f} for its gates (f), where lstm-trace has Sigmoid or HardSigmoid")
        if cell is None:
            found.unsupported.append(f"uses {g} (g), where lstm-trace has Tanh, Relu or Softsign")
        if g.lower() != h.lower():
            found.unsupported.append(
                f"uses {g} for the candidate (g) but {h} for the cell output (h); lstm-trace uses one for both"
            )
        if gate is None or cell is None or g.lower() != h.lower():
            continue
        chosen = {"gate_activation": gate, "cell_activation": cell}
        changed = {key: value for key, value in chosen.items() if value not in ("sigmoid", "tanh")}
        if not changed:
            continue
        found.options[d].update(changed)
        slots = "f" + (", g, h" if op == "LSTM" else ", g")
        found.mappings[d].append(
            f"activations [{', '.join(names[d * per_direction : (d + 1) * per_direction])}] ({slots}) -> "
            f"--gate-activation {gate} --cell-activation {cell}"
        )


def _unused_alpha_beta(attributes: dict[str, Any], found: NodeOptions, uses_them: bool) -> None:
    """Only HardSigmoid, of the activations lstm-trace has, reads activation_alpha and activation_beta."""
    given = {key: [float(v) for v in attributes[key]] for key in HARD_SIGMOID if key in attributes}
    if not given:
        return
    if not uses_them:
        found.notes.append(f"The node sets {', '.join(given)}, which none of its activations use.")
        return
    for key, values in given.items():
        if any(abs(value - HARD_SIGMOID[key]) > 1e-6 for value in values):
            found.unsupported.append(
                f"sets {key} = {[round(v, 6) for v in values]}; lstm-trace computes HardSigmoid with "
                f"alpha 0.2 and beta 0.5 only, clip(0.2·x + 0.5, 0, 1)"
            )
