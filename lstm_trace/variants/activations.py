"""The squashing functions the variants may use instead of σ and tanh.

hard_sigmoid is ONNX's HardSigmoid with its defaults (alpha 0.2, beta 0.5) and
the one old tf.keras models used as recurrent_activation: clip(0.2·x + 0.5, 0, 1).
Keras 3 changed its hard_sigmoid to relu6(x + 3) / 6 (slope 1/6); a model trained
with that one needs its own definition.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..cell import sigmoid

Activation = Callable[[np.ndarray], np.ndarray]


def hard_sigmoid(x: np.ndarray) -> np.ndarray:
    """clip(0.2·x + 0.5, 0, 1): a straight line through (0, 0.5), flat at 0 below -2.5 and at 1 above 2.5."""
    return np.clip(0.2 * x + 0.5, 0.0, 1.0)


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def softsign(x: np.ndarray) -> np.ndarray:
    """x / (1 + |x|): like tanh in (-1, 1), but approaching ±1 slowly."""
    return x / (1.0 + np.abs(x))


GATE_ACTIVATIONS: dict[str, Activation] = {"sigmoid": sigmoid, "hard_sigmoid": hard_sigmoid}
CELL_ACTIVATIONS: dict[str, Activation] = {"tanh": np.tanh, "relu": relu, "softsign": softsign}
