"""The peephole LSTM's figure: the plain one plus three wires from the cell-state line.

Cₜ₋₁ drops from the line before the forget ⊗ into σ_f, and along a lane just above the
blocks into σ_i (crossing the fₜ wire); the new Cₜ drops after the ⊕ into σ_o. Each
wire carries its term p ⊙ C, the values printed beside it, and joins its block on the
line where it is added, before the activation.
"""

from __future__ import annotations

from .diagram_lstm import LSTMDiagram


class PeepholeDiagram(LSTMDiagram):
    peephole = True
