"""`lstm-trace grad`: the backward pass of one step, or backpropagation through time over --xs."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Optional

import typer
from typing import Annotated

from ..engine.step import StepInputs
from ..errors import UsageError
from ..io.vectors import parse_sequence, parse_vector
from ..render.tables import TableOptions
from ..stages import BACKWARD_STAGE_NAMES, backward_layout
from ..traces.step import Trace
from .export import ExportOption, check_export, recording_console, save_export
from .options import (
    INPUTS, AllRows, CellChoice, InputChoice, MaxRows, Precision, check_cell_choice, check_stage,
    option_groups, resolve_choice, stage_option, table_options,
)  # fmt: skip

GRADIENTS = "Gradients"

# Options as module-level aliases, like `options.py`: Typer then resolves each annotation
# by a name lookup instead of evaluating the expression on every start-up.
DH = Annotated[
    Optional[str],
    typer.Option("--dh", help="∂L/∂h arriving at the last step (default ones: L = sum of h).", rich_help_panel=GRADIENTS),
]
DC = Annotated[
    Optional[str],
    typer.Option("--dc", help="∂L/∂C arriving from a next step (default zeros).", rich_help_panel=GRADIENTS),
]
XS = Annotated[
    Optional[str],
    typer.Option(
        "--xs",
        help="A sequence x_1 … x_T for backpropagation through time: '0.1,0.2;0.3,0.4', a file (.npy, .json, .csv, .txt) or - for stdin.",
        rich_help_panel=INPUTS,
    ),
]
CompareRNN = Annotated[
    bool,
    typer.Option("--compare-rnn", help="With --xs: a plain tanh RNN of the same sizes beside the LSTM.", rich_help_panel=GRADIENTS),
]
ForgetBiasIntoB = Annotated[
    float,
    typer.Option(
        "--forget-bias",
        help="Add this to every b_f (Keras starts b_f at 1). The same forward and gradients as step's run-time --forget-bias.",
        rich_help_panel=GRADIENTS,
    ),
]
BackwardStageOption = Annotated[Optional[str], stage_option("Show one backward stage only", BACKWARD_STAGE_NAMES)]
AsJSON = Annotated[bool, typer.Option("--json", help="Print the trace with its gradients as JSON.")]
Output = Annotated[Optional[Path], typer.Option("--output", "-o", help="Also write the JSON trace to this file (atomically).")]


@option_groups
def grad(
    given: InputChoice,
    cell: CellChoice,  # all but --forget-bias, which grad declares itself: it is folded into b_f
    dh: DH = None,
    dc: DC = None,
    xs: XS = None,
    compare_rnn: CompareRNN = False,
    forget_bias: ForgetBiasIntoB = 0.0,
    precision: Precision = 4,
    stage: BackwardStageOption = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    as_json: AsJSON = False,
    output: Output = None,
    export: ExportOption = None,
) -> None:
    """Trace the backward pass: every local gradient of one step, or gradient norms through time."""
    # The engine's backward pass and its renderers load here, not at the top: `lstm-trace --help` imports this module.
    from ..engine.grad import with_forget_bias

    # The forget bias is folded into b_f (see --forget-bias), so the cell itself carries none.
    cell.options()  # a wrong cell option is reported first
    check_export(export, with_json=as_json)
    if xs is None and compare_rnn:
        raise UsageError("--compare-rnn compares gradients through time: give a sequence with --xs.")
    if xs is not None and given.x is not None:
        raise UsageError("Give either --x (one step) or --xs (a sequence), not both.")
    d_h = None if dh is None else parse_vector(dh, "--dh")
    d_c = None if dc is None else parse_vector(dc, "--dc")
    shown = _Output(table_options(precision, max_rows, all_rows), stage, as_json, output, export)
    if xs is None:
        inputs = resolve_choice(given, cell)
        check_stage(stage, backward_layout(inputs.cell).stage_names)
        return _one_step(with_forget_bias(inputs, forget_bias), d_h, d_c, shown)
    check_cell_choice(given.weights, given.layer, given.direction)
    sequence = parse_sequence(xs, "--xs")
    # Sizes and weights are resolved as for one step, with the first row as x: every row has the same I.
    inputs = resolve_choice(given, cell, x=sequence[0], x_option="each step of --xs")
    check_stage(stage, backward_layout(inputs.cell).stage_names)
    _through_time(with_forget_bias(inputs, forget_bias), sequence, d_h, d_c, compare_rnn, given.seed, shown)


class _Output(NamedTuple):  # a NamedTuple: a dataclass would cost ~0.7 ms at every start-up
    options: TableOptions
    stage: str | None
    as_json: bool
    path: Path | None
    export: Path | None  # --export: the tables as SVG, HTML or text

    @property
    def writes_json(self) -> bool:
        return self.as_json or self.path is not None


def _one_step(inputs: StepInputs, d_h, d_c, shown: _Output) -> None:
    from ..engine.grad import resolve_upstream, trace_backward_step
    from ..render.grad import backward_report, backward_views

    upstream = resolve_upstream(d_h, d_c, inputs)
    trace = trace_backward_step(inputs, upstream)
    if _write_json(trace, shown):
        return
    if shown.stage is None:
        return _print(backward_report(trace, shown.options, upstream.loss), shown)
    _print(backward_views(trace, shown.options, shown.stage), shown)


def _through_time(inputs: StepInputs, sequence, d_h, d_c, compare_rnn: bool, seed: int, shown: _Output) -> None:
    from ..engine.grad import resolve_upstream, through_time_to_dict, trace_through_time
    from ..render.grad import backward_views
    from ..render.through_time import through_time_views

    upstream = resolve_upstream(d_h, d_c, inputs, last="_T")
    # ∂L/∂W_g costs 4·H·(H+I) numbers a step: kept only where they are shown or written.
    weight_grads = shown.writes_json or shown.stage == "weights"
    result = trace_through_time(inputs, sequence, upstream, compare_rnn, seed, weight_grads)
    if _write_json(result.trace, shown, {"through_time": through_time_to_dict(result)}):
        return
    if shown.stage is not None:
        views = backward_views(result.trace, shown.options, shown.stage)
    else:
        views = through_time_views(result, shown.options)
    _print(views, shown)


def _print(views, shown: _Output) -> None:
    console = recording_console(shown.export)
    for view in views:
        console.print(view)
    save_export(console, shown.export)


def _write_json(trace: Trace, shown: _Output, extra: dict | None = None) -> bool:
    """Write the JSON when asked; True when it replaces the tables."""
    if shown.writes_json:
        from ..io.trace_json import write_outputs  # JSON is only imported when asked for

        write_outputs(trace, to_stdout=shown.as_json, path=shown.path, extra=extra)
    return shown.as_json
