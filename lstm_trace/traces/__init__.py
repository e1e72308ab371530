"""Traces: every value the cell computed, by the registry's dotted names.

    step.py      `StepTrace` (one step of any cell), `BackwardTrace` (its gradients), `Trace` (steps with provenance)
    sequence.py  `SequenceTrace` (S steps of B sequences as arrays (S, B, size)), and a run's `SequenceInfo`

Computing makes traces and rendering only reads them, so `show` can draw a saved trace without the cell.
"""

from .step import BackwardTrace, StepTrace, Trace

__all__ = ["BackwardTrace", "StepTrace", "Trace"]  # and SequenceTrace from .sequence: `step` starts without it
