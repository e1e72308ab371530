"""One cell as the `.weights.h5` of `keras.Sequential([keras.Input((T, I)), keras.layers.LSTM(H)])`
(or `keras.layers.GRU(H)` for a GRU).

Keras 3 stores a layer's variables as datasets "0", "1", "2" (kernel,
recurrent_kernel, bias) of `layers/<layer>/cell/vars`, the layer path being the
snake_case class name; `model.load_weights` matches them by those paths. The
file holds no config, so a cell activation other than tanh, or a GRU's
reset_after=False, is said in the usage line that builds the layer.
"""

from __future__ import annotations

from typing import BinaryIO, Mapping

import numpy as np

from .cell_options import implied_options
from .extras import import_optional
from .gru import GRUWeights
from .layouts import KERAS_GRU_ORDER, KERAS_ORDER, input_part, recurrent_part
from .model import LSTMWeights


def write_weights_h5(weights: LSTMWeights | GRUWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """An LSTM has one bias, so two stored biases (PyTorch, ONNX) arrive here already summed in `weights.b`;
    a GRU with reset_after keeps an input and a recurrent bias."""
    h5py = import_optional("h5py", "writing Keras .weights.h5 files")
    gru = isinstance(weights, GRUWeights)
    order = KERAS_GRU_ORDER if gru else KERAS_ORDER
    kernel = np.concatenate([input_part(weights)[g].T for g in order], axis=1)  # (I, kH)
    recurrent = np.concatenate([recurrent_part(weights)[g].T for g in order], axis=1)  # (H, kH)
    bias = _gru_bias(weights, bias_parts) if gru else np.concatenate([weights.b[g] for g in order])  # (4H,)
    layer = "gru" if gru else "lstm"
    with h5py.File(stream, "w") as h5:
        h5.create_group("vars").attrs["name"] = "sequential"
        h5.create_group(f"layers/{layer}/vars").attrs["name"] = layer
        cell = h5.create_group(f"layers/{layer}/cell/vars")
        cell.attrs["name"] = f"{layer}_cell"
        for index, array in enumerate((kernel, recurrent, bias)):
            cell.create_dataset(str(index), data=array.astype(np.float32))


def _gru_bias(weights: GRUWeights, bias_parts: Mapping | None) -> np.ndarray:
    """(2, 3H) = [input bias; recurrent bias] with reset_after (the default); (3H,) without, where
    r multiplies h before recurrent_kernel and b_in, b_hn both sit outside it, so they add up."""
    if implied_options(weights).get("gru_reset_before"):
        return np.concatenate([weights.b["update"], weights.b["reset"], weights.b["new"] + weights.b_hn])
    if bias_parts is None:
        zeros = np.zeros_like(weights.b_hn)
        bias_parts = {"input": weights.b, "recurrent": {"update": zeros, "reset": zeros, "new": weights.b_hn}}
    input_bias, recurrent_bias = bias_parts.values()
    return np.stack([np.concatenate([part[g] for g in KERAS_GRU_ORDER]) for part in (input_bias, recurrent_bias)])


def keras_usage(weights: LSTMWeights | GRUWeights, file_name: str) -> str:
    options = implied_options(weights)
    arguments = [str(weights.hidden_size)]
    if "cell_activation" in options:
        arguments.append(f"activation={options['cell_activation']!r}")
    if options.get("gru_reset_before"):
        arguments.append("reset_after=False")
    layer = "GRU" if isinstance(weights, GRUWeights) else "LSTM"
    return (
        f"keras.Sequential([keras.Input((T, {weights.input_size})), keras.layers.{layer}({', '.join(arguments)})])"
        f".load_weights({file_name!r})"
    )
