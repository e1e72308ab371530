"""`lstm-trace walk` (and `step --interactive`): one stage at a time, at the learner's pace."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated
from rich.console import Console, RenderableType
from rich.text import Text

from ..render.console import make_console
from ..render.tables import TableOptions
from ..stages import GATE_BY_NAME, STAGE_BY_NAME, STAGE_NAMES
from ..trace import Trace
from ..tracer import StepInputs, trace_step
from ..walk import Kind, Screen, Walk, command_for
from .export import ExportOption, check_export, export_screen
from .keys import KeySource, open_keys
from .options import (
    DISPLAY, AllRows, CPrev, Dtype, HiddenSize, HPrev, MaxRows, Precision, Preset, Seed, Weights, X,
    check_stage, inputs_from_options, table_options,
)  # fmt: skip

INTERRUPTED = 130  # the shell's code for a process stopped by Ctrl-C (128 + SIGINT)


def walk(
    preset: Preset = None,
    h: HPrev = None,
    x: X = None,
    c: CPrev = None,
    hidden_size: HiddenSize = None,
    weights: Weights = None,
    seed: Seed = 0,
    dtype: Dtype = "float64",
    precision: Precision = 4,
    stage: Annotated[
        Optional[str], typer.Option("--stage", "-s", help="Start at this stage.", rich_help_panel=DISPLAY)
    ] = None,
    max_rows: MaxRows = 24,
    all_rows: AllRows = False,
    export: ExportOption = None,
) -> None:
    """Walk through one step a stage at a time: the cell diagram, the stage's table, and why.

    Keys: Enter or n next, b back, e explain, j JSON, q quit. With piped input, one command per line.
    """
    check_stage(stage)
    check_export(export)
    inputs = inputs_from_options(preset, h, x, c, hidden_size, weights, seed, dtype)
    session = WalkSession(trace_step(inputs), inputs, table_options(precision, max_rows, all_rows), seed, make_console())
    code = session.run(open_keys(), STAGE_NAMES.index(stage) if stage else 0)
    export_screen(session.last_screen, export, session.console.width)
    if code:
        raise typer.Exit(code)


class WalkSession:
    """Reads commands, steps the `Walk`, and draws each screen on the console."""

    def __init__(self, trace: Trace, inputs: StepInputs, options: TableOptions, seed: int, console: Console) -> None:
        self.trace, self.step = trace, trace.steps[0]
        self.inputs, self.options, self.seed, self.console = inputs, options, seed, console
        self.last_screen: list[RenderableType] = []  # the last full screen drawn: what --export saves
        self.clears = False
        self._contrast = None

    def run(self, keys: KeySource, start: int = 0) -> int:
        """0 when the walk ends (finished, q or end of input); 130 on Ctrl-C. The terminal is restored either way."""
        walk = Walk(STAGE_NAMES, start)
        try:
            with keys:
                self.clears = keys.interactive and self.console.is_terminal
                self.draw(walk.screen, walk)
                while (key := keys.read()) is not None:
                    if not keys.interactive:
                        self.console.print(Text(f"› {key or '(Enter)'}", style="dim"))
                    screen = walk.apply(command_for(key))
                    if screen is None:
                        return 0
                    self.draw(screen, walk)
                self.console.print()
                return 0
        except KeyboardInterrupt:
            self.console.print()
            return INTERRUPTED

    def draw(self, screen: Screen, walk: Walk) -> None:
        from ..render.walk import help_text, key_line, notice

        if screen.kind is Kind.NOTICE:
            self.console.print(notice(screen.notice or ""))
        elif screen.kind is Kind.HELP:
            self.console.print(help_text())
        else:
            self.last_screen = self._views(screen, walk.stage)
            if self.clears:
                self.console.clear()
            for view in self.last_screen:
                self.console.print(view, soft_wrap=screen.kind is Kind.JSON)
        self.console.print(key_line(walk.stage))

    def _views(self, screen: Screen, stage: str | None) -> list[RenderableType]:
        from ..render import walk as screens

        if screen.kind is Kind.SUMMARY or stage is None:
            return screens.summary_screen(self.trace, self.step, self.options)
        if screen.kind is Kind.EXPLAIN:
            return self._explanation(stage)
        if screen.kind is Kind.JSON:
            from ..stage_json import dumps_readable, stage_to_dict

            return [Text(dumps_readable(stage_to_dict(STAGE_BY_NAME[stage], self.step)))]
        return screens.stage_screen(self.trace, self.step, stage, self.options)

    def _explanation(self, stage: str) -> list[RenderableType]:
        """What `lstm-trace explain STAGE` shows, with this walk's numbers."""
        from ..render.explain import explain_view
        from ..weights import presets
        from ..worked import contrast, unit_sum

        weights = self.inputs.weights
        if self._contrast is None:
            random = presets.random(weights.hidden_size, weights.input_size, self.seed).astype(str(weights.dtype))
            self._contrast = contrast(self.step, random)
        unit = unit_sum(weights, self.step, stage) if stage in GATE_BY_NAME else None
        return explain_view(STAGE_BY_NAME[stage], self.trace, unit, self._contrast, self.options)

