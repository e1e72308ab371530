"""`lstm-trace explain`: a stage in words, equations and a worked example with real numbers."""

from __future__ import annotations

import typer
from typing import Annotated

from ..engine.step import StepInputs, trace_step
from ..errors import UsageError
from ..render.console import print_views
from ..stages import GRAD_TOPICS, STAGE_NAMES, layout_for
from .export import ExportOption, check_export, recording_console, save_export
from .options import (
    AllRows, CellChoice, InputChoice, MaxRows, Precision, check_stage, option_groups, resolve_choice, table_options,
)  # fmt: skip

DEFAULT_PRESET = "seed-question"
VARIANT_PAGES = ("peephole", "cifg", "gru")  # `explain gru` is the GRU's page


@option_groups
def explain(
    stage: Annotated[
        str,
        typer.Argument(
            help=f"One of {', '.join(STAGE_NAMES)}, or all; or variant (the page of --variant), peephole, cifg, gru; "
            f"or {', '.join(GRAD_TOPICS)} for the backward pass."
        ),
    ] = "all",
    given: InputChoice = InputChoice(),
    cell: CellChoice = CellChoice(),
    precision: Precision = 4,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    export: ExportOption = None,
) -> None:
    """Explain a stage: what it does, why, its equation, a common mistake, and your numbers.

    The worked example uses the seed-question preset unless you give --preset or --x.
    With --variant (or `explain peephole`, `explain gru`, ...) it explains that cell.
    """
    if stage in VARIANT_PAGES:
        if cell.variant not in ("lstm", stage):
            raise UsageError(f"`explain {stage}` shows the {stage} page; it cannot be combined with --variant {cell.variant}.")
        cell, stage = cell._replace(variant=stage, typed=cell.typed | {"variant"}), "variant"
    cell.options()  # a wrong cell option is reported first
    check_export(export)
    if given.preset is None and given.x is None:
        given = given._replace(preset=DEFAULT_PRESET)
    inputs = resolve_choice(given, cell)
    # The stage is checked against the cell that runs, which a weights file may have chosen.
    check_stage(stage, (*layout_for(inputs.cell).stage_names, "all", "variant", *VARIANT_PAGES, *GRAD_TOPICS))
    options = table_options(precision, max_rows, all_rows)
    console = recording_console(export)
    if stage in GRAD_TOPICS:  # the backward pass: `explain grad`, `explain carousel`
        from .explain_grad import explain_backward

        views = explain_backward(stage, inputs, options)
    else:
        views = _explain(stage, inputs, given.seed, options)
    print_views(console, views)
    save_export(console, export)


def _explain(stage: str, inputs: StepInputs, seed: int, options) -> list:
    """The cell's page (for `variant`, and for `all` when the cell has options), then its stages (`all` or one)."""
    from ..engine.examples import worked_example
    from ..render.explain import cell_page, explain_view
    from ..render.step import names_the_cell
    from ..stages.pages import pages_for

    trace = trace_step(inputs)
    layout = layout_for(inputs.cell)
    worked = worked_example(inputs, trace.steps[0], seed)
    views = []
    if stage == "variant" or (stage == "all" and names_the_cell(trace)):
        views += cell_page(trace, layout, pages_for(inputs.cell), worked, options)
    if stage != "variant":
        for each in layout.stages if stage == "all" else (layout.stage_by_name[stage],):
            views += explain_view(each, trace, layout, worked, options)
    return views
