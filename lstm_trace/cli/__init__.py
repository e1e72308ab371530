"""The Typer app: thin commands, and the one place errors become exit codes.

Exit codes: 0 success, 2 usage errors (the command line is wrong), 1 other
errors (a file or value is bad). A user's mistake never shows a traceback.

Commands are imported and built only when they run: building every command's
options on each start cost ~20 ms, most of `step`'s own share of its run time.
"""

from __future__ import annotations

import importlib
from typing import NoReturn

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
    "run": ("run", "run"),
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
        import numpy as np  # already imported by every command; here only for its error state

        try:
            # A value that overflows (or an ∞ − ∞ after it) stops the command with a message rather than
            # flowing on as inf/NaN into tables and JSON files that could not be read back.
            with np.errstate(over="raise", invalid="raise"):
                return super().invoke(ctx)
        except FloatingPointError as error:
            _report(LSTMTraceError(
                f"The numbers grew beyond what floating point holds (NumPy: {error}). float64 holds magnitudes up "
                f"to about 1.8e308 and float32 up to about 3.4e38, and the cell's products and sums must stay "
                f"within them: give smaller inputs or weights (or --dtype float64)."
            ))  # fmt: skip
        except LSTMTraceError as error:
            _report(error)


def _report(error: LSTMTraceError) -> NoReturn:
    make_console(stderr=True).print(f"Error: {error}", markup=False, highlight=False, soft_wrap=True, style="bold red")
    raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_LazyCommands,
    name="lstm-trace",
    no_args_is_help=True,
    add_completion=True,  # --install-completion and --show-completion: bash, zsh, fish, PowerShell
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Show how an LSTM cell computes, one stage at a time, with real numbers."""


def main() -> None:
    app()
