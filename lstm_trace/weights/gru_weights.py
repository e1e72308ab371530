"""`GRUWeights`: the canonical GRU layout, in the same spirit as `LSTMWeights`.

Three blocks: reset r, update z, new n. Each W_g is H × (H+I) with columns
[h_{t-1} | x_t], so W_r = [W_hr | W_ir] in PyTorch's names. r and z each have one
bias (PyTorch's b_i· + b_h· summed by a reader); n keeps two, because the reset
gate multiplies the hidden side only: b_in (input side) and b_hn (hidden side).

Native keys (.npz or .json): W_r, W_z, W_n (H, H+I), b_r, b_z, b_in, b_hn (H,).
A .json file may say `"format": "lstm-trace-weights/1"` and `"variant": "gru"`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from ..errors import DataError, shape_text
from .lstm_weights import numeric_array

GRU_GATES = ("reset", "update", "new")
WEIGHT_KEYS = {"reset": "W_r", "update": "W_z", "new": "W_n"}
BIAS_KEYS = {"reset": "b_r", "update": "b_z", "new": "b_in"}
HIDDEN_BIAS_KEY = "b_hn"
KEYS = (*WEIGHT_KEYS.values(), *BIAS_KEYS.values(), HIDDEN_BIAS_KEY)


@dataclass(frozen=True)
class GRUWeights:
    W: Mapping[str, np.ndarray]  # "reset", "update", "new" -> (H, H+I), columns [h | x]
    b: Mapping[str, np.ndarray]  # "reset", "update" -> (H,); "new" -> b_in (H,)
    b_hn: np.ndarray  # (H,)  the new gate's hidden-side bias, inside r ⊙ (W_hn·h + b_hn)
    provenance: Mapping[str, Any]

    @property
    def hidden_size(self) -> int:
        return int(self.b_hn.shape[0])

    @property
    def h_size(self) -> int:
        return self.hidden_size

    @property
    def input_size(self) -> int:
        return int(self.W["reset"].shape[1]) - self.hidden_size

    @property
    def dtype(self) -> np.dtype:
        return self.W["reset"].dtype

    @property
    def source(self) -> str:
        return str(self.provenance["source"])

    def astype(self, dtype: str) -> "GRUWeights":
        return GRUWeights(
            W={g: w.astype(dtype, copy=False) for g, w in self.W.items()},
            b={g: v.astype(dtype, copy=False) for g, v in self.b.items()},
            b_hn=self.b_hn.astype(dtype, copy=False),
            provenance=self.provenance,
        )

    def as_arrays(self) -> dict[str, np.ndarray]:
        arrays = {WEIGHT_KEYS[g]: self.W[g] for g in GRU_GATES}
        arrays.update({BIAS_KEYS[g]: self.b[g] for g in GRU_GATES})
        arrays[HIDDEN_BIAS_KEY] = self.b_hn
        return arrays

    def recurrent_blocks(self) -> dict[str, np.ndarray]:
        """Per block, the (H, H) part of W_g that multiplies h_{t-1}."""
        return {name: W[:, : self.h_size] for name, W in self.W.items()}

    def input_blocks(self) -> dict[str, np.ndarray]:
        """Per block, the (H, I) part of W_g that multiplies x_t."""
        return {name: W[:, self.h_size :] for name, W in self.W.items()}

    @classmethod
    def from_blocks(
        cls,
        recurrent: Mapping[str, np.ndarray],
        inputs: Mapping[str, np.ndarray],
        bias: Mapping[str, np.ndarray],
        hidden_bias_new: np.ndarray,
        provenance: Mapping[str, Any],
        origin: str,
    ) -> "GRUWeights":
        """W_g = [recurrent block | input block] for reset, update and new, as `LSTMWeights.from_blocks`;
        `bias` holds b_r, b_z and b_in, `hidden_bias_new` is b_hn."""
        arrays: dict[str, np.ndarray] = {}
        for gate in GRU_GATES:
            arrays[WEIGHT_KEYS[gate]] = np.hstack([recurrent[gate], inputs[gate]])  # (H, H+I)
            arrays[BIAS_KEYS[gate]] = bias[gate]
        arrays[HIDDEN_BIAS_KEY] = hidden_bias_new
        return cls.from_arrays(arrays, provenance, origin)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, Any], provenance: Mapping[str, Any], origin: str) -> "GRUWeights":
        missing = [key for key in KEYS if key not in arrays]
        if missing:
            raise DataError(
                f"The {origin} lacks {', '.join(missing)}. A GRU needs W_r, W_z, W_n (each H × (H+I)) and "
                f"b_r, b_z, b_in, b_hn (each H); found keys: {', '.join(sorted(map(str, arrays))) or 'none'}."
            )
        numeric = {key: numeric_array(arrays[key], key, origin) for key in KEYS}
        first = numeric["W_r"]
        if first.ndim != 2 or first.shape[1] <= first.shape[0] or first.shape[0] == 0:
            raise DataError(
                f"In the {origin}, W_r has shape {shape_text(first.shape)}; expected a matrix of shape "
                f"(H, H+I) with H ≥ 1 and I ≥ 1 (columns for h_(t-1) first, then x_t)."
            )
        H, width = first.shape
        for key in KEYS:
            expected = (H, width) if key.startswith("W_") else (H,)
            if numeric[key].shape != expected:
                raise DataError(
                    f"In the {origin}, {key} has shape {shape_text(numeric[key].shape)}, but W_r "
                    f"{shape_text(first.shape)} makes H = {H} and I = {width - H}, so {key} must have "
                    f"shape {shape_text(expected)}."
                )
        return cls(
            W={g: numeric[WEIGHT_KEYS[g]] for g in GRU_GATES},
            b={g: numeric[BIAS_KEYS[g]] for g in GRU_GATES},
            b_hn=numeric[HIDDEN_BIAS_KEY],
            provenance=dict(provenance),
        )


def looks_like_gru(keys) -> bool:
    """A file with W_r and no W_f holds GRU weights: say so rather than 'lacks W_f'."""
    keys = set(keys)
    return "W_r" in keys and "W_f" not in keys
