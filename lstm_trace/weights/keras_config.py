"""What a Keras model config says about its LSTM layers that the weights alone do not.

The plain cell computes σ for the gates and tanh for the candidate and the
cell output, as Keras' defaults do; a layer configured otherwise (old
tf.keras models used hard_sigmoid) must be reported, not computed wrongly.
"""

from __future__ import annotations

from typing import Any

DEFAULT_ACTIVATIONS = {"activation": "tanh", "recurrent_activation": "sigmoid"}


def lstm_configs(config: Any) -> dict[str, dict]:
    """Every LSTM layer's config in a model config, by the layer's name.

    A Bidirectional wrapper's inner layer is found too, under its own name and
    under the name Keras gives its backward copy (forward_lstm -> backward_lstm).
    """
    found: dict[str, dict] = {}
    _walk(config, found)
    return found


def unsupported_settings(layer_config: dict) -> list[str]:
    """Sentences for each setting the plain LSTM cell does not compute."""
    settings = []
    for key, default in DEFAULT_ACTIVATIONS.items():
        name = _activation_name(layer_config.get(key, default))
        if name != default:
            settings.append(f"{key}={name!r} where lstm-trace computes {default}")
    return settings


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
    if node.get("class_name") == "LSTM" and isinstance(config, dict) and "name" in config:
        found[str(config["name"])] = config
    if node.get("class_name") == "Bidirectional" and isinstance(config, dict):
        inner = (config.get("layer") or {}).get("config") or {}
        if "name" in inner and "backward_layer" not in config:
            found[str(inner["name"]).replace("forward_", "backward_", 1)] = inner
    for value in node.values():
        _walk(value, found)
