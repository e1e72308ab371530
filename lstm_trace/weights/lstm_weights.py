"""`LSTMWeights`: the one canonical layout every reader returns.

Four gates in the order forget, input, candidate, output; each gate has its own
W_g (H × (H+I), columns [h_{t-1} | x_t]) and one bias b_g (H,). Frameworks with
two biases (PyTorch) have them summed by their reader, which says so in
`provenance`.

Optional parts for the cell options that need weights: peephole weights p_f,
p_i, p_o (each (H,), element-wise on the cell state, ONNX's `P`) and a
projection W_hr (P × H, PyTorch's `weight_hr_l0`). With a projection h has P
entries, so every W_g is H × (P+I).

Frameworks stack the gates' blocks of W_g apart, as a recurrent (H × H) and an
input (H × I) matrix: `from_blocks` joins them, `recurrent_blocks` and
`input_blocks` take them apart again.
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
    peepholes: Mapping[str, np.ndarray] | None = None  # "forget", "input", "output" -> (H,)
    projection: np.ndarray | None = None  # W_hr (P, H)

    @property
    def hidden_size(self) -> int:
        return int(self.b["forget"].shape[0])

    @property
    def h_size(self) -> int:
        """The length of h: P with a projection, else H."""
        return self.hidden_size if self.projection is None else int(self.projection.shape[0])

    @property
    def input_size(self) -> int:
        return int(self.W["forget"].shape[1]) - self.h_size

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
            peepholes=None if self.peepholes is None else {g: p.astype(dtype, copy=False) for g, p in self.peepholes.items()},
            projection=None if self.projection is None else self.projection.astype(dtype, copy=False),
        )

    def as_arrays(self) -> dict[str, np.ndarray]:
        """The native file layout: W_f, W_i, W_c, W_o, b_f, b_i, b_c, b_o."""
        arrays = {gate.weight_key: self.W[gate.name] for gate in GATES}
        arrays.update({gate.bias_key: self.b[gate.name] for gate in GATES})
        if self.peepholes is not None:
            arrays.update({PEEPHOLE_KEYS[gate]: p for gate, p in self.peepholes.items()})
        if self.projection is not None:
            arrays[PROJECTION_KEY] = self.projection
        return arrays

    def recurrent_blocks(self) -> dict[str, np.ndarray]:
        """Per gate, the block of W_g that multiplies h_{t-1}: (H, H), or (H, P) with a projection."""
        return {name: W[:, : self.h_size] for name, W in self.W.items()}

    def input_blocks(self) -> dict[str, np.ndarray]:
        """Per gate, the (H, I) block of W_g that multiplies x_t."""
        return {name: W[:, self.h_size :] for name, W in self.W.items()}

    @classmethod
    def from_blocks(
        cls,
        recurrent: Mapping[str, np.ndarray],
        inputs: Mapping[str, np.ndarray],
        bias: Mapping[str, np.ndarray],
        provenance: Mapping[str, Any],
        origin: str,
        peepholes: Mapping[str, np.ndarray] | None = None,
        projection: np.ndarray | None = None,
    ) -> "LSTMWeights":
        """Per gate, W_g = [recurrent block (H, H) | input block (H, I)] and b_g: the columns
        for h_{t-1} come first (with a projection the recurrent block is (H, P)). Peepholes
        (gate -> (H,)) and the projection W_hr (P, H) are kept when given. Shapes and values
        are checked by `from_arrays`."""
        arrays: dict[str, np.ndarray] = {}
        for gate in GATES:
            arrays[gate.weight_key] = np.hstack([recurrent[gate.name], inputs[gate.name]])  # (H, H+I)
            arrays[gate.bias_key] = bias[gate.name]
        if peepholes is not None:
            arrays.update({PEEPHOLE_KEYS[gate]: peepholes[gate] for gate in PEEPHOLE_KEYS})
        if projection is not None:
            arrays[PROJECTION_KEY] = projection
        return cls.from_arrays(arrays, provenance, origin)

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
                + (" These look like GRU weights (W_r, W_z, W_n): add --variant gru." if "W_r" in arrays else "")
            )
        numeric = {key: numeric_array(arrays[key], key, origin) for key in arrays if key[:2] in ("W_", "b_", "p_")}
        first = numeric["W_f"]
        projection = _projection(numeric, first, origin)
        P = None if projection is None else projection.shape[0]  # h has P entries, so W_g is (H, P+I)
        if first.ndim != 2 or first.shape[1] <= (P or first.shape[0]) or first.shape[0] == 0:
            expected = f"(H, P+I) = (H, {P}+I) beside the projection W_hr" if P else "(H, H+I)"
            raise DataError(
                f"In the {origin}, W_f has shape {shape_text(first.shape)}; expected a matrix of "
                f"shape {expected} with H ≥ 1 and I ≥ 1 (columns for h_(t-1) first, then x_t)."
            )
        H, width = first.shape
        for gate in GATES:
            for key, expected in ((gate.weight_key, (H, width)), (gate.bias_key, (H,))):
                if numeric[key].shape != expected:
                    raise DataError(
                        f"In the {origin}, {key} has shape {shape_text(numeric[key].shape)}, but "
                        f"W_f {shape_text(first.shape)} makes H = {H} and I = {width - (P or H)}, so "
                        f"{key} must have shape {shape_text(expected)}."
                    )
        if projection is not None and projection.shape[1] != H:
            raise DataError(
                f"In the {origin}, W_hr has shape {shape_text(projection.shape)}, but W_f "
                f"{shape_text(first.shape)} makes H = {H}, so W_hr must have shape ({P}, {H}) (P × H)."
            )
        return cls(
            W={gate.name: numeric[gate.weight_key] for gate in GATES},
            b={gate.name: numeric[gate.bias_key] for gate in GATES},
            provenance=dict(provenance),
            peepholes=_peepholes(numeric, H, origin),
            projection=projection,
        )


# Peephole weights are element-wise, one per unit: ONNX's P holds them as [p_i, p_o, p_f].
PEEPHOLE_KEYS = {"forget": "p_f", "input": "p_i", "output": "p_o"}
PROJECTION_KEY = "W_hr"


def _peepholes(numeric: Mapping[str, np.ndarray], H: int, origin: str) -> dict[str, np.ndarray] | None:
    present = [key for key in PEEPHOLE_KEYS.values() if key in numeric]
    if not present:
        return None
    missing = [key for key in PEEPHOLE_KEYS.values() if key not in numeric]
    if missing:
        raise DataError(
            f"The {origin} has {', '.join(present)} but lacks {', '.join(missing)}: peephole weights come as "
            f"the three vectors p_f, p_i, p_o (each H = {H} entries)."
        )
    for key in PEEPHOLE_KEYS.values():
        if numeric[key].shape != (H,):
            raise DataError(
                f"In the {origin}, {key} has shape {shape_text(numeric[key].shape)}; peephole weights are "
                f"element-wise, so {key} must have shape ({H},) (H = {H})."
            )
    return {gate: numeric[key] for gate, key in PEEPHOLE_KEYS.items()}


def _projection(numeric: Mapping[str, np.ndarray], first: np.ndarray, origin: str) -> np.ndarray | None:
    projection = numeric.get(PROJECTION_KEY)
    if projection is None:
        return None
    H = first.shape[0] if first.ndim == 2 else None
    if projection.ndim != 2 or projection.shape[0] == 0 or (H is not None and projection.shape[0] >= H):
        raise DataError(
            f"In the {origin}, W_hr has shape {shape_text(projection.shape)}; a projection is a matrix of "
            f"shape (P, H) with 1 ≤ P < H (here H = {H}, the rows of W_f)."
        )
    return projection


def numeric_array(value: Any, key: str, origin: str) -> np.ndarray:
    """`value` as a float64 array, or a DataError naming `key`: both weight types check every array so."""
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
