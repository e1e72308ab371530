"""One cell as the `.weights.h5` of `keras.Sequential([keras.Input((T, I)), keras.layers.LSTM(H)])`.

Keras 3 stores a layer's variables as datasets "0", "1", "2" (kernel,
recurrent_kernel, bias) of `layers/<layer>/cell/vars`, the layer path being the
snake_case class name; `model.load_weights` matches them by those paths.
"""

from __future__ import annotations

from typing import BinaryIO, Mapping

import numpy as np

from .extras import import_optional
from .layouts import KERAS_ORDER, input_part, recurrent_part
from .model import LSTMWeights


def write_weights_h5(weights: LSTMWeights, bias_parts: Mapping | None, stream: BinaryIO) -> None:
    """Keras has one bias, so two stored biases (PyTorch, ONNX) arrive here already summed in `weights.b`."""
    h5py = import_optional("h5py", "writing Keras .weights.h5 files")
    kernel = np.concatenate([input_part(weights)[g].T for g in KERAS_ORDER], axis=1)  # (I, 4H)
    recurrent = np.concatenate([recurrent_part(weights)[g].T for g in KERAS_ORDER], axis=1)  # (H, 4H)
    bias = np.concatenate([weights.b[g] for g in KERAS_ORDER])  # (4H,)
    with h5py.File(stream, "w") as h5:
        h5.create_group("vars").attrs["name"] = "sequential"
        h5.create_group("layers/lstm/vars").attrs["name"] = "lstm"
        cell = h5.create_group("layers/lstm/cell/vars")
        cell.attrs["name"] = "lstm_cell"
        for index, array in enumerate((kernel, recurrent, bias)):
            cell.create_dataset(str(index), data=array.astype(np.float32))


def keras_usage(weights: LSTMWeights, file_name: str) -> str:
    return (
        f"keras.Sequential([keras.Input((T, {weights.input_size})), keras.layers.LSTM({weights.hidden_size})])"
        f".load_weights({file_name!r})"
    )
