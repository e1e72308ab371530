"""`VariantSequenceTrace`: a `SequenceTrace` of a variant cell (peephole, cifg, options, GRU).

The arrays are named by the variant's layout (`stages.layout_for(cell).quantities`):
a GRU's are x, h_prev, reset.*, update.*, new.*, keep, write, h (no cell state);
a projected LSTM's h and h_prev have P entries while C keeps H. `step(k, b)` hands
out the variant's own step trace (`VariantStepTrace` or `GRUStepTrace`) of views,
so `--detail`, `show` and the JSON writer reuse the variant's step renderers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..sequence_trace import SequenceTrace
from ..stages import layout_for
from ..cells.options import PLAIN, CellOptions
from ..traces import StepTrace


@dataclass(frozen=True)
class VariantSequenceTrace(SequenceTrace):
    cell: CellOptions = PLAIN

    @property
    def hidden_size(self) -> int:
        """H, the cell's units: C's length (h has P < H entries with a projection); a GRU's h."""
        return int(self.arrays["c" if "c" in self.arrays else "h"].shape[2])

    def step(self, k: int, b: int = 0):
        """The k-th computed step of batch element b, as the variant's step trace of views."""
        vector = {name: self.arrays[name][k, b] for name in self.arrays}
        if "concat" in layout_for(self.cell).quantities:
            vector["concat"] = np.concatenate([vector["h_prev"], vector["x"]])  # (P+I,) or (H+I,)
        return StepTrace(vector, self.cell, int(self.times[k]))


def stored_variant_quantities(cell: CellOptions) -> tuple[str, ...]:
    """Every quantity a variant's sequence trace stores: its layout's, but the derived concatenation."""
    return tuple(name for name in layout_for(cell).quantities if name != "concat")


def variant_from_steps(steps: list, batch_size: int, cell: CellOptions, layer: int | None = None,
                       direction: str = "forward") -> VariantSequenceTrace:  # fmt: skip
    """Stack variant step traces (step-major, then batch element) back into arrays (S, B, size)."""
    count = len(steps) // batch_size
    arrays: dict[str, np.ndarray] = {}
    for name in stored_variant_quantities(cell):
        values = [step[name] for step in steps]
        if any(value is None for value in values):
            continue  # optional parts (wz, bias, wx, wh) absent from some writers' traces
        arrays[name] = np.stack(values).reshape(count, batch_size, -1)
    times = np.array([step.t for step in steps[::batch_size]])
    return VariantSequenceTrace(times=times, arrays=arrays, layer=layer, direction=direction, cell=cell)
