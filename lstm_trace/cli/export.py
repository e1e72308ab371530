"""`--export FILE.svg|.html|.txt`: what the terminal showed, as a file for a slide or a web page.

Commands print to a recording console (`make_console(record=True)`) and hand it to
`save_export` at the end; the walk, which redraws, exports only its final screen
(`export_screen`). Files are written atomically, like every output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

import typer
from typing import Annotated
from rich.console import Console, RenderableType

from ..errors import UsageError
from ..render.console import make_console

FORMATS = (".svg", ".html", ".txt")
TITLE = "lstm-trace"

ExportOption = Annotated[
    Optional[Path],
    typer.Option(
        "--export",
        metavar="FILE",
        help="Also save what is shown as FILE.svg, FILE.html or FILE.txt (Rich's console recording).",
        rich_help_panel="Display",
    ),
]


def check_export(path: Path | None, *, with_json: bool = False) -> None:
    """Refuse a bad --export before any work is done."""
    if path is None:
        return
    if path.is_dir():
        raise UsageError(f"--export '{path}' is a directory; give a file name such as {path / 'step.svg'}.")
    if path.suffix.lower() not in FORMATS:
        raise UsageError(
            f"--export '{path}' has the suffix {path.suffix or '(none)'!r}; it must end in "
            f"{', '.join(FORMATS)} (SVG and HTML keep the colours, text does not)."
        )
    if with_json:
        raise UsageError("--export saves the tables, and --json prints no tables; use --output FILE for the JSON.")
    if not path.parent.is_dir():
        raise UsageError(f"--export '{path}': the directory '{path.parent}' does not exist.")


def recording_console(path: Path | None) -> Console:
    """The command's console: it records only when something is to be exported."""
    return make_console(record=path is not None)


def save_export(console: Console, path: Path | None) -> None:
    """Write what `console` recorded to `path` (nothing to do without --export)."""
    if path is None:
        return
    from ..output_files import write_text_atomic  # only when there is a file to write

    suffix = path.suffix.lower()
    if suffix == ".svg":
        content = console.export_svg(title=TITLE)
    elif suffix == ".html":
        content = console.export_html(inline_styles=True)
    else:
        content = console.export_text()
    write_text_atomic(path, content)


def export_screen(views: Iterable[RenderableType], path: Path | None, width: int) -> None:
    """Render `views` afresh on a recording console of `width` columns and save them."""
    if path is None:
        return
    import io

    console = Console(record=True, file=io.StringIO(), width=width, highlight=False, force_terminal=True)
    for view in views:
        console.print(view)
    save_export(console, path)
