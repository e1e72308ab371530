"""`CellOptions`: which cell a step runs, and the run-time options frameworks add to it.

One configuration type for the whole cell family: the plain LSTM is `LSTM()`,
every option at its default; `LSTM(peephole=True, forget_bias=1.0)` and
`GRU(reset_before=True)` are other configurations of the same type. Nothing here
computes: the options are plain data that the trace keeps (its JSON
`"cell_options"` block), so `show` can draw a saved trace without recomputing.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

from .errors import DataError, UsageError

VARIANT_NAMES = ("lstm", "peephole", "cifg", "gru")
GATE_ACTIVATION_NAMES = ("sigmoid", "hard_sigmoid")
CELL_ACTIVATION_NAMES = ("tanh", "relu", "softsign")
LSTM_FAMILY = ("lstm", "peephole", "cifg")  # the variants that keep a cell state C


@dataclass(frozen=True)
class CellOptions:
    """One kind of cell. The defaults are the plain LSTM of `lstm_trace.cell`.

    variant           lstm | peephole (Gers & Schmidhuber 2000) | cifg (i = 1 - f) | gru (PyTorch's r, z, n)
    forget_bias       added inside the forget sigmoid at run time, not stored (TensorFlow's LSTMCell: 1.0)
    cell_clip         clip C_t to [-V, V] (TensorFlow's cell_clip)
    preact_clip       clip every pre-activation to [-V, V] before its activation (ONNX's clip)
    proj_size         h_t = W_hr (o ⊙ tanh(C_t)) with P < H entries (PyTorch's proj_size)
    gate_activation   the gates' squashing function (ONNX's f, Keras' recurrent_activation)
    cell_activation   for the candidate and for C_t (ONNX's g and h, Keras' activation)
    gru_reset_before  GRU only: r multiplies h_{t-1} before W_hn (Cho et al. 2014; ONNX linear_before_reset=0)
    """

    variant: str = "lstm"
    forget_bias: float = 0.0
    cell_clip: float | None = None
    preact_clip: float | None = None
    proj_size: int | None = None
    gate_activation: str = "sigmoid"
    cell_activation: str = "tanh"
    gru_reset_before: bool = False

    @property
    def has_cell_state(self) -> bool:
        return self.variant in LSTM_FAMILY

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, content: Any, origin: str = "trace") -> "CellOptions":
        """Read the JSON `"cell_options"` block back, checking every value (DataError when bad)."""
        if not isinstance(content, Mapping):
            raise DataError(f'In the {origin}, "cell_options" must be an object, found {type(content).__name__}.')
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(content) - known)
        if unknown:
            raise DataError(f'In the {origin}, "cell_options" has unknown keys {unknown}; known: {sorted(known)}.')
        try:
            options = cls(**content)
            options.check()
        except (UsageError, TypeError) as error:
            raise DataError(f'In the {origin}, "cell_options" is invalid: {error}') from None
        return options

    def check(self) -> "CellOptions":
        """Reject names and values that mean nothing, and options the variant does not have."""
        _choice(self.variant, VARIANT_NAMES, "--variant")
        _choice(self.gate_activation, GATE_ACTIVATION_NAMES, "--gate-activation")
        _choice(self.cell_activation, CELL_ACTIVATION_NAMES, "--cell-activation")
        if not _is_number(self.forget_bias):
            raise UsageError(f"--forget-bias must be a finite number, found {self.forget_bias!r}.")
        for option, value in (("--cell-clip", self.cell_clip), ("--preact-clip", self.preact_clip)):
            if value is not None and not (_is_number(value) and value > 0):
                raise UsageError(f"{option} must be a positive number (the bound V of [-V, V]), found {value!r}.")
        if self.proj_size is not None and (
            not isinstance(self.proj_size, int) or isinstance(self.proj_size, bool) or self.proj_size < 1
        ):
            raise UsageError(f"--proj-size must be a positive whole number, found {self.proj_size!r}.")
        if not isinstance(self.gru_reset_before, bool):
            raise UsageError(f"gru_reset_before must be true or false, found {self.gru_reset_before!r}.")
        if self.variant == "gru":
            lstm_only = [name for name, used in self._lstm_only_options() if used]
            if lstm_only:
                raise UsageError(
                    f"{', '.join(lstm_only)} {'does' if len(lstm_only) == 1 else 'do'} not apply to --variant gru: "
                    f"a GRU has no forget gate, no cell state C and no projection. Drop "
                    f"{'it' if len(lstm_only) == 1 else 'them'}, or use --variant lstm, peephole or cifg."
                )
        elif self.gru_reset_before:
            raise UsageError(f"--gru-reset-before only applies to --variant gru (this is --variant {self.variant}).")
        return self

    def check_sizes(self, hidden_size: int) -> None:
        """The projection must be smaller than the cell, as in PyTorch (proj_size < hidden_size)."""
        if self.proj_size is not None and self.proj_size >= hidden_size:
            raise UsageError(
                f"--proj-size {self.proj_size} must be smaller than the hidden size H = {hidden_size}: the "
                f"projection W_hr (P × H) maps o ⊙ tanh(Cₜ) with H entries down to hₜ with P < H entries."
            )

    def _lstm_only_options(self):
        return (
            ("--forget-bias", self.forget_bias != 0),
            ("--cell-clip", self.cell_clip is not None),
            ("--proj-size", self.proj_size is not None),
        )


PLAIN = CellOptions()


def LSTM(
    *,
    peephole: bool = False,
    cifg: bool = False,
    forget_bias: float = 0.0,
    cell_clip: float | None = None,
    preact_clip: float | None = None,
    proj_size: int | None = None,
    gate_activation: str = "sigmoid",
    cell_activation: str = "tanh",
) -> CellOptions:
    """An LSTM cell; `LSTM()` is the plain one of the seven equations.

    peephole (Gers & Schmidhuber 2000) and cifg (i = 1 - f) are the two variants
    of its equations; the other options are those frameworks add at run time.
    """
    if peephole and cifg:
        raise UsageError("An LSTM is either a peephole or a cifg cell here, not both.")
    variant = "peephole" if peephole else "cifg" if cifg else "lstm"
    return CellOptions(
        variant, forget_bias, cell_clip, preact_clip, proj_size, gate_activation, cell_activation
    ).check()


def GRU(
    *,
    reset_before: bool = False,
    preact_clip: float | None = None,
    gate_activation: str = "sigmoid",
    cell_activation: str = "tanh",
) -> CellOptions:
    """A GRU cell in PyTorch's convention; `reset_before=True` is Cho et al.'s (ONNX linear_before_reset=0)."""
    return CellOptions(
        "gru", preact_clip=preact_clip, gate_activation=gate_activation,
        cell_activation=cell_activation, gru_reset_before=reset_before,
    ).check()  # fmt: skip


def _choice(value: Any, allowed: tuple[str, ...], option: str) -> None:
    if value not in allowed:
        raise UsageError(f"{option} {value!r} is not known; choose one of {', '.join(allowed)}.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
