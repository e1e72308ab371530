"""The walk's loop: read a command, step the `Walk`, draw the screen; the terminal is restored however it ends."""

from __future__ import annotations

from rich.console import Console, RenderableType
from rich.text import Text

from ..engine.step import StepInputs
from ..render.tables import TableOptions
from ..render.walk_state import Kind, Screen, Walk, command_for
from ..stages import layout_for
from ..traces.step import Trace
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
        self._worked = None

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
            from ..io.stage_json import dumps_readable, stage_to_dict

            return [Text(dumps_readable(stage_to_dict(self.layout.stage_by_name[stage], self.step)))]
        return screens.stage_screen(self.trace, self.step, stage, self.options)

    def _explanation(self, stage: str) -> list[RenderableType]:
        """What `lstm-trace explain STAGE` shows, with this walk's numbers."""
        from ..engine.examples import worked_example
        from ..render.explain import explain_view

        if self._worked is None:
            self._worked = worked_example(self.inputs, self.step, self.seed)
        return explain_view(self.layout.stage_by_name[stage], self.trace, self.layout, self._worked, self.options)


