"""`LSTMWeights`: the one canonical layout every reader returns.

Four gates in the order forget, input, candidate, output; each gate has its own
W_g (H × (H+I), columns [h_{t-1} | x_t]) and one bias b_g (H,). Frameworks with
two biases (PyTorch) have them summed by their reader, which says so in
`provenance`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import DataError, shape_text
from ..stages import GATES

DTYPES = ("float64", "float32")


@dataclass(frozen=True)
class LSTMWeights:
    W: Mapping[str, np.ndarray]  # gate name -> (H, H+I)
    b: Mapping[str, np.ndarray]  # gate name -> (H,)
    provenance: Mapping[str, Any]  # the JSON "weights" block: {"source": ..., ...}

    @property
    def hidden_size(self) -> int:
        return int(self.b["forget"].shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W["forget"].shape[1]) - self.hidden_size

    @property
    def dtype(self) -> np.dtype:
        return self.W["forget"].dtype

    @property
    def source(self) -> str:
        return str(self.provenance["source"])

    def astype(self, dtype: str) -> "LSTMWeights":
        return LSTMWeights(
            W={g: w.astype(dtype, copy=False) for g, w in self.W.items()},
            b={g: v.astype(dtype, copy=False) for g, v in self.b.items()},
            provenance=self.provenance,
        )

    def as_arrays(self) -> dict[str, np.ndarray]:
        """The native file layout: W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o."""
        arrays = {gate.weight_key: self.W[gate.name] for gate in GATES}
        arrays.update({gate.bias_key: self.b[gate.name] for gate in GATES})
        return arrays

    @classmethod
    def from_arrays(
        cls, arrays: Mapping[str, Any], provenance: Mapping[str, Any], origin: str
    ) -> "LSTMWeights":
        """Build from the native keys (W_f ... b_o), checking every shape.

        `origin` names where the arrays came from ("weights file 'w.npz'") for errors.
        """
        missing = [key for gate in GATES for key in (gate.weight_key, gate.bias_key) if key not in arrays]
        if missing:
            raise DataError(
                f"The {origin} lacks {', '.join(missing)}. An LSTM needs W_f, W_i, W_c, W_o "
                f"(each H × (H+I)) and b_f, b_i, b_c, b_o (each H); found keys: "
                f"{', '.join(sorted(map(str, arrays))) or 'none'}."
            )
        numeric = {key: _numeric_array(arrays[key], key, origin) for key in arrays if key[:2] in ("W_", "b_")}
        first = numeric["W_f"]
        if first.ndim != 2 or first.shape[1] <= first.shape[0] or first.shape[0] == 0:
            raise DataError(
                f"In the {origin}, W_f has shape {shape_text(first.shape)}; expected a matrix of "
                f"shape (H, H+I) with H ≥ 1 and I ≥ 1 (columns for h_(t-1) first, then x_t)."
            )
        H, width = first.shape
        for gate in GATES:
            for key, expected in ((gate.weight_key, (H, width)), (gate.bias_key, (H,))):
                if numeric[key].shape != expected:
                    raise DataError(
                        f"In the {origin}, {key} has shape {shape_text(numeric[key].shape)}, but "
                        f"W_f {shape_text(first.shape)} makes H = {H} and I = {width - H}, so "
                        f"{key} must have shape {shape_text(expected)}."
                    )
        return cls(
            W={gate.name: numeric[gate.weight_key] for gate in GATES},
            b={gate.name: numeric[gate.bias_key] for gate in GATES},
            provenance=dict(provenance),
        )


def _numeric_array(value: Any, key: str, origin: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        array = None
    if array is None or array.dtype.kind not in "fiu":
        kind = "ragged or non-numeric data" if array is None else f"dtype {array.dtype}"
        raise DataError(f"In the {origin}, {key} holds {kind}; expected an array of real numbers.")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise DataError(f"In the {origin}, {key} contains NaN or infinity; weights must be finite.")
    return array
