"""The one place Consoles are made; commands make one and pass it down."""

from __future__ import annotations

from rich.console import Console


def make_console(stderr: bool = False, width: int | None = None, record: bool = False) -> Console:
    # highlight=False: Rich's repr highlighter would colour digits at random
    # inside our tables; colour here always means something.
    # record=True keeps what was printed for --export (SVG, HTML, text).
    return Console(stderr=stderr, highlight=False, emoji=False, width=width, record=record)


def print_views(console: Console, views) -> None:
    """Print renderables in one call: a print per view costs more than the views themselves."""
    from rich.console import Group

    console.print(Group(*views))
