"""The coupled input and forget gate (cifg) figure: no σ_i, no W_i; iₜ = 1 − fₜ.

The fₜ wire branches just above σ_f along a lane into a "[1−]" node; what leaves the
node is iₜ, which goes up to the ⊗ with C̃ₜ as in the plain figure.
"""

from __future__ import annotations

from .diagram_lstm import LSTMDiagram


class CIFGDiagram(LSTMDiagram):
    coupled = True
