"""The walk's loop: read a command, step the `Walk`, draw the screen; the terminal is restored however it ends."""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.text import Text

from ..render.tables import TableOptions
from ..stages import GATE_BY_NAME, layout_for
from ..traces import Trace
from ..tracer import StepInputs
from ..walk import Kind, Screen, Walk, command_for
from .keys import KeySource

INTERRUPTED = 130  # the shell's code for a process stopped by Ctrl-C (128 + SIGINT)


class WalkSession:
    """Reads commands, steps the `Walk`, and draws each screen on the console."""

    def __init__(self, trace: Trace, inputs: StepInputs, options: TableOptions, seed: int, console: Console) -> None:
        self.trace, self.step = trace, trace.steps[0]
        self.inputs, self.options, self.seed, self.console = inputs, options, seed, console
        self.layout = layout_for(trace.cell)  # the stages, symbols and equations of the trace's cell
        self.last_screen: list[RenderableType] = []  # the last full screen drawn: what --export saves
        self.clears = False
        self._contrast = None

    def run(self, keys: KeySource, start: int = 0) -> int:
        """0 when the walk ends (finished, q or end of input); 130 on Ctrl-C. The terminal is restored either way."""
        walk = Walk(self.layout.stage_names, start)
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
        self.console.print(key_line(walk.stage, self.layout))

    def _views(self, screen: Screen, stage: str | None) -> list[RenderableType]:
        from ..render import walk as screens

        if screen.kind is Kind.SUMMARY or stage is None:
            return screens.summary_screen(self.trace, self.step, self.options)
        if screen.kind is Kind.EXPLAIN:
            return self._explanation(stage)
        if screen.kind is Kind.JSON:
            from ..stage_json import dumps_readable, stage_to_dict

            return [Text(dumps_readable(stage_to_dict(self.layout.stage_by_name[stage], self.step)))]
        return screens.stage_screen(self.trace, self.step, stage, self.options)

    def _explanation(self, stage: str) -> list[RenderableType]:
        """What `lstm-trace explain STAGE` shows, with this walk's numbers."""
        if not self.trace.cell.is_plain:
            return self._variant_explanation(stage)
        from ..render.explain import explain_view
        from ..weights import presets
        from ..worked import contrast, unit_sum

        weights = self.inputs.weights
        if self._contrast is None:
            random = presets.random(weights.hidden_size, weights.input_size, self.seed).astype(str(weights.dtype))
            self._contrast = contrast(self.step, random)
        unit = unit_sum(weights, self.step, stage) if stage in GATE_BY_NAME else None
        return explain_view(self.layout.stage_by_name[stage], self.trace, unit, self._contrast, self.options)

    def _variant_explanation(self, stage: str) -> list[RenderableType]:
        """What `lstm-trace explain STAGE --variant ...` shows: the variant's stage page, with this walk's numbers."""
        from ..render.variant_explain import variant_stage_view
        from ..variants.worked import projection_sum, worked_unit

        unit = worked_unit(self.step)
        projection = None if self.trace.variant == "gru" else projection_sum(self.inputs.weights, self.step, unit)
        return variant_stage_view(self.layout.stage_by_name[stage], self.trace, self.layout, projection, self.options, unit)

