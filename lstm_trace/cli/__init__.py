"""The Typer app: thin commands, and the one place errors become exit codes.

Exit codes: 0 success, 2 usage errors (the command line is wrong), 1 other
errors (a file or value is bad). A user's mistake never shows a traceback.

Commands are imported and built only when they run: building every command's
options on each start cost ~20 ms, most of `step`'s own share of its run time.
"""

from __future__ import annotations

import importlib

import typer
from typer.core import TyperGroup

from ..errors import LSTMTraceError
from ..render.console import make_console

# command name -> (module in lstm_trace.cli, the function or Typer app in it), in the order `--help` lists them
COMMANDS: dict[str, tuple[str, str]] = {
    "step": ("step", "step"),
    "show": ("show", "show"),
    "explain": ("explain", "explain"),
    "presets": ("presets", "list_presets"),
    "diagram": ("diagram", "diagram"),
    "walk": ("walk", "walk"),
    "diff": ("diff", "diff"),
    "grad": ("grad", "grad"),
    "weights": ("weights", "weights_app"),
}


class _LazyCommands(TyperGroup):
    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, name: str):
        if name not in COMMANDS:
            return None
        module, attribute = COMMANDS[name]
        target = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
        if not isinstance(target, typer.Typer):  # a function: a Typer of its own makes it a command
            function, target = target, typer.Typer(add_completion=False, pretty_exceptions_show_locals=False)
            target.command(name)(function)
        command = typer.main.get_command(target)
        command.name = name
        return command

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except LSTMTraceError as error:
            make_console(stderr=True).print(
                f"Error: {error}", markup=False, highlight=False, soft_wrap=True, style="bold red"
            )
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_LazyCommands,
    name="lstm-trace",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Show how an LSTM cell computes, one stage at a time, with real numbers."""


def main() -> None:
    app()
