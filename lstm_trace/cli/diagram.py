"""`lstm-trace diagram`: the cell as the familiar figure, with this step's values on its wires."""

from __future__ import annotations

from typing import Annotated, Optional

from ..engine.step import trace_step
from ..stages import layout_for
from .export import ExportOption, check_export, recording_console, save_export
from .options import CellChoice, InputChoice, Precision, check_stage, option_groups, resolve_choice, stage_option


@option_groups
def diagram(
    given: InputChoice,
    cell: CellChoice,
    precision: Precision = 4,
    stage: Annotated[Optional[str], stage_option("Highlight this stage")] = None,
    export: ExportOption = None,
) -> None:
    """Draw the cell (LSTM, peephole, cifg, GRU, with their options) with the live values on every wire."""
    from ..render.diagram import DiagramOptions, diagram_view

    cell.options()  # a wrong cell option is reported first
    check_export(export)
    inputs = resolve_choice(given, cell)
    check_stage(stage, layout_for(inputs.cell).stage_names)  # a weights file may have chosen the cell
    trace = trace_step(inputs)
    console = recording_console(export)
    console.print(diagram_view(trace, DiagramOptions(precision, highlight=stage)))
    save_export(console, export)
