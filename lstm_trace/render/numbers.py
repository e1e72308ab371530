"""How numbers look: fixed decimals, scientific where fixed would mislead, colour by meaning."""

from __future__ import annotations

import math


def format_number(value: float, precision: int) -> str:
    """`precision` decimals; scientific for |v| ≥ 1e6 and for tiny non-zero values.

    A gate of 3e-9 printed as 0.0000 would claim a hard zero that a sigmoid never
    gives, so tiny values keep their exponent.
    """
    magnitude = abs(value)
    if value != 0 and (magnitude >= 1e6 or magnitude < 0.5 * 10.0**-precision):
        return f"{value:.{max(precision - 1, 1)}e}"
    text = f"{value:.{precision}f}"
    return "0." + "0" * precision if text.startswith("-") and float(text) == 0 else text


def format_vector(values, precision: int) -> str:
    return "[" + ", ".join(format_number(float(v), precision) for v in values) + "]"


def style_for(value: float, kind: str) -> str:
    """Colour carries meaning, never information alone: the digits are always there."""
    if not math.isfinite(value):
        return "bold red"
    if kind == "gate":  # a fraction in [0, 1]: near 0 blocks, near 1 passes
        if value < 0.1:
            return "red"
        if value > 0.9:
            return "green"
        return "yellow"
    if abs(value) < 1e-12:
        return "dim"
    return "cyan" if value < 0 else "magenta"


def gate_bar(value: float, width: int = 10) -> str:
    """A bar a gate fills from 0 to 1, so 'soft, not a switch' can be seen without colour."""
    filled = round(min(1.0, max(0.0, value)) * width)  # clamp first: 1e308 * width would overflow
    return "█" * filled + "░" * (width - filled)
