"""One unit of a stage written out with its numbers: `fₜ[0] = σ(-0.1000 + 0.0000 + 1.0000) = ...`.

Every symbol comes from the cell's layout; every number from the trace (and,
for the projection, from `examples.ProjectionSum`). Nothing is computed.
"""

from __future__ import annotations

from rich.text import Text

from ..stages import Layout, Stage
from .numbers import format_number

_GATE_TERMS = ("wz", "wx", "wh", "peephole", "bias", "forget_bias")  # summed, in this order, into preact


def unit_line(stage: Stage, step, layout: Layout, precision: int, projection=None, unit: int = 0) -> Text | None:
    """The stage's equation for one unit with real numbers, or None where there is nothing to spell out."""
    n = lambda value: format_number(float(value), precision)  # noqa: E731
    j, q = unit, layout.quantities
    name = stage.name
    if name == "new" and layout.variant == "gru":
        line = _new_state(step, q, j, n)
    elif name in layout.gates and f"{name}.preact" in q:
        line = gate_line(name, step, q, j, precision)
    elif name == "input":  # cifg
        line = f"iₜ[{j}] = 1 − fₜ[{j}] = 1 − {n(step.forget.act[j])} = {n(step.input.act[j])}"
    elif name == "cell":
        line = _cell(step, q, j, n)
    elif name == "hidden" and layout.variant == "gru":
        z, new, h = step.update.act[j], step.new.act[j], step.h_prev[j]
        line = (f"hₜ[{j}] = (1 − zₜ[{j}])·nₜ[{j}] + zₜ[{j}]·hₜ₋₁[{j}] = (1 − {n(z)})×{n(new)} + {n(z)}×{n(h)} = "
                f"{n(step.write[j])} + {n(step.keep[j])} = {n(step.h[j])}")  # fmt: skip
    elif name == "hidden":
        unprojected = getattr(step, "h_unprojected", None)
        target, result = ("hₜ", step.h) if unprojected is None else ("mₜ", unprojected)
        act = q["c_tanh"].symbol.replace("(Cₜ)", "")
        line = (f"{target}[{j}] = oₜ[{j}]·{act}(Cₜ[{j}]) = {n(step.output.act[j])}×{act}({n(step.c[j])}) = "
                f"{n(step.output.act[j])}×{n(step.c_tanh[j])} = {n(result[j])}")  # fmt: skip
    elif name == "projection" and projection is not None:
        terms = [f"{n(w)}×{n(m)}" for w, m in zip(projection.weights, projection.inputs)]
        shown = terms[:6] + ([f"… {len(terms) - 6} more terms"] if len(terms) > 6 else [])
        line = f"hₜ[{projection.unit}] = W_hr[{projection.unit}, :]·mₜ = {' + '.join(shown)} = {n(projection.h)}"
    else:
        return None
    return Text(f"Unit {j}: {line}\n", style="bold")


def gate_line(name: str, step, q, j: int, precision: int) -> str:
    """`fₜ[j] = σ(W_f·z + p_f ⊙ Cₜ₋₁ + b_f + B) = σ(preact) = fₜ[j]`, with this unit's numbers."""
    n = lambda value: format_number(float(value), precision)  # noqa: E731
    gate = step.gate(name)
    act = q[f"{name}.act"].formula.replace("(…)", "")
    terms = [n(getattr(gate, part)[j]) for part in _GATE_TERMS if getattr(gate, part, None) is not None]
    line = f"{q[f'{name}.act'].symbol}[{j}] = {act}({' + '.join(terms)})"
    return line + _clipped(name, gate, q, act, j, n) + f" = {n(gate.act[j])}"


def _clipped(name: str, gate, q, act: str, j: int, n) -> str:
    """`= σ(0.9000)`, or with --preact-clip `= σ(clip(0.9000, ±0.5)) = σ(0.5000)`."""
    if getattr(gate, "clipped", None) is None:
        return f" = {act}({n(gate.preact[j])})"
    clip = q[f"{name}.clipped"].symbol.replace("…", n(gate.preact[j]))
    return f" = {act}({clip}) = {act}({n(gate.clipped[j])})"


def _new_state(step, q, j: int, n) -> str:
    new, act = step.new, q["new.act"].formula.replace("(…)", "")
    if step.reset_h is not None:  # r scaled h_{t-1} before W_hn
        inside = f"{n(new.wx[j])} + {n(new.bias[j])} + {n(new.wh[j])} + {n(new.bias_h[j])}"
    else:
        inside = f"{n(new.wx[j])} + {n(new.bias[j])} + {n(step.reset.act[j])}×({n(new.wh[j])} + {n(new.bias_h[j])})"
    return f"nₜ[{j}] = {act}({inside})" + _clipped("new", new, q, act, j, n) + f" = {n(new.act[j])}"


def _cell(step, q, j: int, n) -> str:
    f, c_prev, i, g = step.forget.act[j], step.c_prev[j], step.input.act[j], step.candidate.act[j]
    line = (f"Cₜ[{j}] = fₜ[{j}]·Cₜ₋₁[{j}] + iₜ[{j}]·C̃ₜ[{j}] = {n(f)}×{n(c_prev)} + {n(i)}×{n(g)} = "
            f"{n(step.keep[j])} + {n(step.write[j])}")  # fmt: skip
    if getattr(step, "c_unclipped", None) is not None:
        bound = q["c"].formula.removeprefix("clip(…, ").removesuffix(")")
        return line + f" = {n(step.c_unclipped[j])}, clip({n(step.c_unclipped[j])}, {bound}) = {n(step.c[j])}"
    return line + f" = {n(step.c[j])}"
