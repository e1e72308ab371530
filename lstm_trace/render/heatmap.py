"""Heatmaps: time runs down, units run across, two characters per value.

The characters carry the value, so a heatmap reads the same with NO_COLOR or in a
pipe; colour only repeats it. A gate (a value in [0, 1]) is drawn as a shade
repeated twice, `··` for near 0 up to `██` for near 1; a signed value as its sign
and a shade of its size against the map's scale (`+▓`, `-░`). The `digits` style
writes tenths instead: ` 7` for a gate of 0.7x, `-3` for -0.3x of the scale.
"""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.panel import Panel
from rich.text import Text

from ..engine.summary import Heatmaps

SHADES = "·░▒▓█"  # fifths: [0, 0.2), [0.2, 0.4), ..., [0.8, 1]
STYLES = ("blocks", "digits")
TITLES = {
    "forget.act": "forget",
    "input.act": "input",
    "output.act": "output",
    "candidate.act": "candidate",
    "c": "cell",
    "h": "hidden",
    "reset.act": "reset",  # the GRU's
    "update.act": "update",
    "new.act": "new",
}


def glyph(value: float, kind: str, scale: float, style: str) -> str:
    """Two characters for one value: `kind` "gate" for [0, 1], "signed" for [-scale, scale]."""
    share = min(1.0, abs(value) / scale) if kind == "signed" else min(1.0, max(0.0, value))
    if style == "digits":
        mark = str(min(9, int(share * 10)))
    else:
        mark = SHADES[min(len(SHADES) - 1, int(share * len(SHADES)))]
    if kind == "gate":
        return mark * 2 if style == "blocks" else " " + mark
    sign = " " if share < 0.05 else ("-" if value < 0 else "+")
    return sign + mark


def colour(value: float, kind: str, scale: float) -> str:
    if kind == "gate":
        return "red" if value < 0.1 else "green" if value > 0.9 else "yellow"
    if abs(value) < 0.05 * scale:
        return "dim"
    return "cyan" if value < 0 else "magenta"


def heatmap_panel(name: str, heatmaps: Heatmaps, style: str, quantities) -> Panel:
    """`quantities`: the cell's registry (`stages.layout_for(cell).quantities`), for the symbol and kind of `name`."""
    values = heatmaps.values[name]  # (rows, units); fewer units for a projected h (P < H entries)
    kind = "gate" if quantities[name].kind == "gate" else "signed"
    scale = 1.0
    if name == "c":  # C is unbounded: shades are relative to the largest |C| drawn
        scale = max(float(np.abs(values).max(initial=0.0)), 1e-12)
    labels = [f"t {first}" if first == last else f"t {first}–{last}" for first, last in heatmaps.row_spans]
    width = max(len(label) for label in labels)
    lines = [Text(" " * (width + 1) + _unit_ruler(heatmaps.units[: values.shape[1]]), style="dim")]
    for label, row in zip(labels, values):
        line = Text(label.rjust(width) + " ", style="dim")
        for value in row:
            line.append(glyph(float(value), kind, scale, style), style=colour(float(value), kind, scale))
        lines.append(line)
    if values.shape[1] == 0:  # a projected h has P < H entries, and the window starts at P or beyond
        lines = [Text(f"h has no unit ≥ {int(heatmaps.units[0])}", style="dim")]
    symbol = quantities[name].symbol
    title = f"{symbol} {TITLES[name]}" + (f" ±{scale:.3g}" if name == "c" else "")
    return Panel(Group(*lines), title=title, title_align="left", padding=(0, 1))


def _unit_ruler(units: np.ndarray) -> str:
    """Unit numbers over their columns, every fifth unit (and the first) where they fit."""
    ruler = [" "] * (2 * len(units))
    free_from = 0
    for column, unit in enumerate(units.tolist()):
        label = str(unit)
        start = 2 * column
        if (unit % 5 == 0 or column == 0) and start >= free_from and start + len(label) <= len(ruler):
            ruler[start : start + len(label)] = label
            free_from = start + len(label) + 1
    return "".join(ruler)


def legend(style: str) -> Text:
    if style == "digits":
        return Text(
            "Each value is two characters: a gate's tenths (' 7' = 0.7…0.8); a signed value's sign and "
            "tenths of the map's scale ('-3' = -0.3…-0.4 × scale). Rows are steps, or the mean over a run of steps.",
            style="italic dim",
        )
    return Text(
        f"Shades: {SHADES[0]} < 0.2 ≤ {SHADES[1]} < 0.4 ≤ {SHADES[2]} < 0.6 ≤ {SHADES[3]} < 0.8 ≤ {SHADES[4]} "
        "(a gate's value; for C̃, h and C the size against 1, or against the ± scale of C, after a + or - sign). "
        "Rows are steps, or the mean over a run of steps.",
        style="italic dim",
    )
