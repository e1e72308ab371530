"""What a Keras model config says about its LSTM and GRU layers that the weights alone do not.

`recurrent_activation` is lstm-trace's --gate-activation and `activation` its
--cell-activation; a GRU's `reset_after=False` is --gru-reset-before. Keras 3
redefined hard_sigmoid as relu6(x + 3) / 6, so only a Keras 2 model's
hard_sigmoid is lstm-trace's clip(0.2·x + 0.5, 0, 1); what lstm-trace has no
equivalent for is reported, not computed wrongly.
"""

from __future__ import annotations

from typing import Any

CELL_ACTIVATIONS = ("tanh", "relu", "softsign")
LAYER_CLASSES = ("LSTM", "GRU")


def recurrent_configs(config: Any) -> dict[str, dict]:
    """Every LSTM and GRU layer's config in a model config, by the layer's name.

    A Bidirectional wrapper's inner layer is found too, under its own name and
    under the name Keras gives its backward copy (forward_lstm -> backward_lstm).
    """
    found: dict[str, dict] = {}
    _walk(config, found)
    return found


def config_options(layer_config: dict, keras_version: str | None) -> tuple[dict[str, Any], list[str], list[str]]:
    """(cell options, sentences for what cannot be traced, mapping sentences) for one layer's config."""
    options: dict[str, Any] = {}
    unsupported: list[str] = []
    mapping: list[str] = []
    gate = _activation_name(layer_config.get("recurrent_activation", "sigmoid"))
    if gate == "hard_sigmoid" and _major(keras_version) == 2:
        options["gate_activation"] = "hard_sigmoid"
        mapping.append("recurrent_activation='hard_sigmoid' (Keras 2: clip(0.2·x + 0.5, 0, 1)) -> "
                       "--gate-activation hard_sigmoid")  # fmt: skip
    elif gate == "hard_sigmoid":
        unsupported.append(
            "recurrent_activation='hard_sigmoid', which Keras 3 computes as relu6(x + 3) / 6 (slope 1/6); "
            "lstm-trace's hard_sigmoid is the older clip(0.2·x + 0.5, 0, 1)"
            + ("" if keras_version else " (the file does not say its Keras version)")
        )
    elif gate != "sigmoid":
        unsupported.append(f"recurrent_activation={gate!r} where lstm-trace computes sigmoid or hard_sigmoid")
    cell = _activation_name(layer_config.get("activation", "tanh"))
    if cell not in CELL_ACTIVATIONS:
        unsupported.append(f"activation={cell!r} where lstm-trace computes {', '.join(CELL_ACTIVATIONS)}")
    elif cell != "tanh":
        options["cell_activation"] = cell
        mapping.append(f"activation={cell!r} -> --cell-activation {cell}")
    return options, unsupported, mapping


def _major(version: str | None) -> int | None:
    head = (version or "").split(".")[0]
    return int(head) if head.isdigit() else None


def _activation_name(value: Any) -> str:
    """'tanh' from "tanh", or from a serialised function {"class_name": "function", "config": "tanh"}."""
    if isinstance(value, dict):
        inner = value.get("config")
        return inner if isinstance(inner, str) else str(value.get("class_name"))
    return value if isinstance(value, str) else repr(value)


def _walk(node: Any, found: dict[str, dict]) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, found)
        return
    if not isinstance(node, dict):
        return
    config = node.get("config")
    if node.get("class_name") in LAYER_CLASSES and isinstance(config, dict) and "name" in config:
        found[str(config["name"])] = config
    if node.get("class_name") == "Bidirectional" and isinstance(config, dict):
        inner = (config.get("layer") or {}).get("config") or {}
        if "name" in inner and "backward_layer" not in config:
            found[str(inner["name"]).replace("forward_", "backward_", 1)] = inner
    for value in node.values():
        _walk(value, found)
