"""Cell diagrams, one per cell variant: `diagram_view` draws the figure for a trace.

The plain LSTM's figure lives in `diagram_lstm.py`. A variant (peephole, cifg, gru, ...)
adds a module with its own `CellFigure` subclass (see `figure.py` for the shared parts:
value blocks, fitting to the width, highlight styles) and registers it here with one
line: `DIAGRAMS["gru"] = GRUDiagram`. `variant_of` reads which variant a trace is.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from rich.console import RenderableType

from ..errors import UsageError
from ..traces.step import StepTrace, Trace
from .diagram_cifg import CIFGDiagram
from .diagram_gru import GRUDiagram
from .diagram_lstm import LSTMDiagram
from .diagram_peephole import PeepholeDiagram
from .figure import DiagramOptions, stages_up_to

__all__ = ["DIAGRAMS", "DiagramOptions", "LSTMDiagram", "diagram_view", "register_diagram", "stages_up_to", "variant_of", "with_diagram"]

DiagramBuilder = Callable[[StepTrace, DiagramOptions], RenderableType]
# The plain LSTM's figure also draws the run-time options (forget bias, clips, projection,
# activations) where they act, and so do the peephole and cifg figures built on it.
DIAGRAMS: dict[str, DiagramBuilder] = {
    "lstm": LSTMDiagram, "peephole": PeepholeDiagram, "cifg": CIFGDiagram, "gru": GRUDiagram,
}  # fmt: skip


def register_diagram(variant: str) -> Callable[[DiagramBuilder], DiagramBuilder]:
    """`@register_diagram("gru")` on a `CellFigure` subclass (or any builder of a renderable)."""

    def register(builder: DiagramBuilder) -> DiagramBuilder:
        DIAGRAMS[variant] = builder
        return builder

    return register


def variant_of(trace: Trace) -> str:
    """The cell variant a trace was made with; plain LSTM traces say nothing and mean "lstm"."""
    return getattr(trace, "variant", None) or trace.weights.get("variant") or "lstm"


def diagram_view(trace: Trace, options: DiagramOptions = DiagramOptions(), step: StepTrace | None = None) -> RenderableType:
    variant = variant_of(trace)
    if variant not in DIAGRAMS:
        raise UsageError(f"There is no diagram for the {variant!r} cell yet; diagrams exist for: {', '.join(DIAGRAMS)}.")
    if options.cell is None:  # the figure reads the cell's options and its registry (symbols, stage names)
        options = replace(options, cell=getattr(trace, "cell", None))
    return DIAGRAMS[variant](step or trace.steps[0], options)


def with_diagram(views: list[RenderableType], trace: Trace, precision: int, stage: str | None) -> list[RenderableType]:
    """`step --diagram`: the figure right after the header (first when only one stage is shown)."""
    at = 0 if stage is not None else 1
    return [*views[:at], diagram_view(trace, DiagramOptions(precision, highlight=stage)), *views[at:]]
