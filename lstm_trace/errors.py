"""The project's error types: each carries a message written for a person.

The CLI turns them into exit codes in one place (`lstm_trace.cli`); nothing else
catches them.
"""

from __future__ import annotations


class LSTMTraceError(Exception):
    """Something the user can fix; `str(error)` is the whole explanation."""

    exit_code = 1


class UsageError(LSTMTraceError):
    """The command line itself is wrong: an unknown name, a malformed vector, a missing file."""

    exit_code = 2


class DataError(LSTMTraceError):
    """A file or a value was read but does not hold what was expected."""

    exit_code = 1


def shape_text(shape: tuple[int, ...]) -> str:
    """`(5, 10)` for a matrix, `(5,)` for a vector: the way NumPy prints shapes."""
    return str(tuple(int(n) for n in shape))
