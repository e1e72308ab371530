"""`lstm-trace run`: a cell over a whole sequence, as a per-step table, heatmaps and gate behaviour,
or as a JSON / JSON Lines trace."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from typing import Annotated

from ..engine.report import ReportBuilder, ReportPlan
from ..engine.sequence import chunk_steps_for
from ..engine.sequence_inputs import SequenceRequest, resolve_sequence_inputs
from ..engine.stack import SequenceStream
from ..errors import UsageError
from ..io.sequence_json import TraceWriter, outputs_dict
from ..io.vectors import parse_sequence
from ..output_files import open_atomic
from ..render.sequence import SequenceViewOptions, sequence_view
from ..weights.layers import DIRECTIONS
from .export import ExportOption, check_export, recording_console, save_export
from .options import (
    DISPLAY, INPUTS, WEIGHTS, AllRows, CellChoice, CPrev, Dtype, HiddenSize, HPrev, MaxRows, Precision, Preset, Seed,
    Weights, check_cell_choice, choices, option_groups, table_options,
)  # fmt: skip

OUTPUT = "Output"
HEATMAP_STYLES = ("blocks", "digits")
HEATMAP_UNITS = 32  # columns of a heatmap by default: 2 characters each, two maps side by side in 140 columns

Xs = Annotated[Optional[str], typer.Option(
    "--xs", help="The input sequence: '0.1,0.2;0.3,0.4' (steps split by ;), a file x.npy ((T, I), or (T, B, I) / "
    "(B, T, I) with --batch-first), x.json (list of lists), x.csv / x.txt (a step per line), or - for stdin.",
    rich_help_panel=INPUTS)]
BatchFirst = Annotated[bool, typer.Option(
    "--batch-first", help="A 3-D --xs is (B, T, I), as PyTorch's batch_first.", rich_help_panel=INPUTS)]
Layer = Annotated[Optional[str], typer.Option(
    "--layer", help="Run only this layer's cell of a weights file with several.", rich_help_panel=WEIGHTS)]
Direction = Annotated[Optional[str], typer.Option(
    "--direction", help="Run only that direction's cell.", rich_help_panel=WEIGHTS, **choices(DIRECTIONS))]
BatchIndex = Annotated[int, typer.Option(
    "--b", min=0, help="Which sequence of a batch the tables and heatmaps show.", rich_help_panel=DISPLAY)]
Detail = Annotated[Optional[str], typer.Option(
    "--detail", help="Steps to show stage by stage, like `step`: e.g. 1,10.", rich_help_panel=DISPLAY)]
SummaryOnly = Annotated[bool, typer.Option(
    "--summary-only", help="Only heatmaps and gate behaviour, from running totals: no per-step table "
    "(for long sequences).", rich_help_panel=DISPLAY)]
HeatmapRows = Annotated[int, typer.Option(
    "--heatmap-rows", min=1, help="Rows per heatmap; longer sequences are averaged over runs of steps.",
    rich_help_panel=DISPLAY)]
Units = Annotated[Optional[str], typer.Option(
    "--units", help=f"Heatmap columns as START:STOP (default: the first {HEATMAP_UNITS} units).",
    rich_help_panel=DISPLAY)]
HeatmapStyle = Annotated[str, typer.Option(
    "--heatmap-style", help="Shades, or digits 0 to 9 (tenths).", rich_help_panel=DISPLAY, **choices(HEATMAP_STYLES))]
AsJson = Annotated[bool, typer.Option(
    "--json", help="Print the trace as one JSON document instead of tables.", rich_help_panel=OUTPUT)]
AsJsonLines = Annotated[bool, typer.Option(
    "--jsonl", help="Print the trace as JSON Lines, a step per line as computed.", rich_help_panel=OUTPUT)]
Output = Annotated[Optional[Path], typer.Option(
    "--output", "-o", help="Also write the trace to this file (JSON Lines with --jsonl or a .jsonl name).",
    rich_help_panel=OUTPUT)]  # fmt: skip


@option_groups
def run(
    xs: Xs = None,
    preset: Preset = None,
    h: HPrev = None,
    c: CPrev = None,
    hidden_size: HiddenSize = None,
    weights: Weights = None,
    seed: Seed = 0,
    dtype: Dtype = "float64",
    layer: Layer = None,
    direction: Direction = None,
    batch_first: BatchFirst = False,
    cell: CellChoice = CellChoice(),
    batch_index: BatchIndex = 0,
    detail: Detail = None,
    summary_only: SummaryOnly = False,
    heatmap_rows: HeatmapRows = 24,
    units: Units = None,
    heatmap_style: HeatmapStyle = "blocks",
    precision: Precision = 4,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    as_json: AsJson = False,
    as_jsonl: AsJsonLines = False,
    output: Output = None,
    export: ExportOption = None,
) -> None:
    """Run an LSTM (or a variant, or a GRU) over a sequence: every step traced, shown as a table, heatmaps and
    gate behaviour."""
    cell.options()  # a wrong cell option is reported first
    if as_json and as_jsonl:
        raise UsageError("--json and --jsonl both print the trace; choose one.")
    if summary_only and (as_json or as_jsonl or output is not None):
        raise UsageError("--summary-only keeps no per-step trace, so it cannot write one; drop --json/--jsonl/--output.")
    if heatmap_style not in HEATMAP_STYLES:
        raise UsageError(f"--heatmap-style {heatmap_style!r}: choose one of {', '.join(HEATMAP_STYLES)}.")
    if xs is None:
        raise UsageError("No input sequence: give --xs, e.g. --xs '0.1,0.2;0.3,0.4' or --xs x.npy (T × I).")
    check_export(export, with_json=as_json or as_jsonl)
    check_cell_choice(weights, layer, direction)
    inputs = resolve_sequence_inputs(SequenceRequest(
        xs=parse_sequence(xs, "--xs", allow_batch=True), h=h, c=c, preset=preset, weights=weights, seed=seed,
        hidden_size=hidden_size, dtype=dtype, layer=layer, direction=direction, batch_first=batch_first,
        cell=cell.options(), given_options=cell.typed,
    ))  # fmt: skip
    info = inputs.info
    plan = ReportPlan(
        batch_index=_batch_index(batch_index, info.batch),
        heatmap_rows=heatmap_rows,
        units=_units(units, info.hidden_size),
        table_rows=None if all_rows else max_rows,
        details=_details(detail, info.sequence_length),
        with_table=not summary_only,
    )
    builder = None if as_json or as_jsonl else ReportBuilder(info, plan)
    lines = as_jsonl or (output is not None and not as_json and output.suffix.lower() == ".jsonl")
    _compute(inputs, builder, to_stdout=as_json or as_jsonl, output=output, lines=lines)
    if builder is not None:
        console = recording_console(export)
        _print(console, info, builder, plan, precision, heatmap_style, table_options(precision, max_rows, all_rows))
        save_export(console, export)


def _compute(inputs, builder, to_stdout: bool, output: Path | None, lines: bool) -> None:
    """Run the cells chunk by chunk, feeding every chunk to the terminal report and the trace writers."""
    info = inputs.info
    writes_outputs = (to_stdout or output is not None) and not lines  # JSON Lines leave the outputs out
    chunk_steps = chunk_steps_for(info.hidden_size, info.batch, inputs.xs.dtype, info.cell)
    stream = SequenceStream(inputs.cells, inputs.xs, inputs.h0, inputs.c0, cell=info.cell, chunk_steps=chunk_steps,
                            label_layers=info.stacked, keep_output=writes_outputs)  # fmt: skip
    with _pipe_closed_quietly(), contextlib.ExitStack() as files:
        writers = _writers(files, info, to_stdout, output, lines)
        for writer in writers:
            writer.begin()
        for chunk in stream:
            if builder is not None:
                builder.update(chunk)
            for writer in writers:
                writer.write(chunk)
        outputs = outputs_dict(stream.output, stream.h_n, stream.c_n, info) if writes_outputs else None
        for writer in writers:
            writer.end(outputs)


def _print(console, info, builder, plan, precision: int, style: str, detail) -> None:
    options = SequenceViewOptions(precision=precision, heatmap_style=style, batch_index=plan.batch_index, detail=detail)
    for view in sequence_view(info, builder.reports(), options):
        console.print(view)


def show_sequence(recorded, console, stage: str | None, options) -> None:
    """`show` of a sequence trace: the view `run` prints, rebuilt from the file without recomputing."""
    if stage is not None:
        raise UsageError("--stage shows one stage of a step trace; a sequence trace shows all of its steps at once.")
    plan = ReportPlan(table_rows=options.max_rows, units=_units(None, recorded.info.hidden_size))
    builder = ReportBuilder(recorded.info, plan)
    for chunk in recorded.chunks:
        builder.update(chunk)
    view_options = SequenceViewOptions(precision=options.precision, detail=options)
    for view in sequence_view(recorded.info, builder.reports(), view_options):
        console.print(view)


def _writers(files: contextlib.ExitStack, info, to_stdout: bool, output: Path | None, lines: bool) -> list:
    writers = []
    if output is not None:
        writers.append(TraceWriter(files.enter_context(open_atomic(output, binary=True)), info, lines))
    if to_stdout:
        sys.stdout.flush()
        writers.append(TraceWriter(sys.stdout.buffer, info, lines))
    return writers


@contextlib.contextmanager
def _pipe_closed_quietly():
    """`run --jsonl | head` closes the pipe early: stop writing, without a traceback."""
    try:
        yield
    except BrokenPipeError:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        raise typer.Exit(0) from None


def _batch_index(index: int, batch: int) -> int:
    if index >= batch:
        raise UsageError(f"--b {index}: the input holds {batch} sequence(s), numbered 0 to {batch - 1}.")
    return index


def _details(text: str | None, sequence_length: int) -> tuple[int, ...]:
    if text is None:
        return ()
    steps = []
    for token in text.replace(" ", "").split(","):
        if not token.isdigit() or not 1 <= int(token) <= sequence_length:
            raise UsageError(
                f"--detail {text!r}: {token!r} is not a step; give positions between 1 and T = {sequence_length}, "
                f"separated by commas (e.g. --detail 1,{sequence_length})."
            )
        steps.append(int(token))
    return tuple(steps)


def _units(text: str | None, hidden_size: int) -> slice:
    if text is None:
        return slice(0, min(hidden_size, HEATMAP_UNITS))
    start, colon, stop = text.partition(":")
    try:
        first, last = int(start or 0), int(stop or hidden_size)
    except ValueError:
        first, last = -1, -1
    if not colon or not 0 <= first < last <= hidden_size:
        raise UsageError(f"--units {text!r}: expected START:STOP with 0 ≤ START < STOP ≤ H = {hidden_size}, e.g. 0:16.")
    return slice(first, last)
