"""The Typer app: thin commands, and the one place errors become exit codes.

Exit codes: 0 success, 2 usage errors (the command line is wrong), 1 other
errors (a file or value is bad). A user's mistake never shows a traceback.
"""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from ..errors import LSTMTraceError
from ..render.console import make_console
from .explain import explain
from .grad import grad
from .presets import list_presets
from .show import show
from .step import step
from .diagram import diagram
from .diff import diff
from .walk import walk
from .weights import weights_app


class _ErrorsToExitCodes(TyperGroup):
    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except LSTMTraceError as error:
            make_console(stderr=True).print(
                f"Error: {error}", markup=False, highlight=False, soft_wrap=True, style="bold red"
            )
            raise typer.Exit(error.exit_code) from None


app = typer.Typer(
    cls=_ErrorsToExitCodes,
    name="lstm-trace",
    help="Show how an LSTM cell computes, one stage at a time, with real numbers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
app.command("step")(step)
app.command("show")(show)
app.command("explain")(explain)
app.command("presets")(list_presets)
app.command("diagram")(diagram)
app.command("walk")(walk)
app.command("diff")(diff)
app.add_typer(weights_app, name="weights")
app.command("grad")(grad)


def main() -> None:
    app()
