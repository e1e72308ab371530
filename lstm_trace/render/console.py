"""The one place Consoles are made; commands make one and pass it down."""

from __future__ import annotations

from rich.console import Console


def make_console(stderr: bool = False, width: int | None = None, record: bool = False) -> Console:
    # highlight=False: Rich's repr highlighter would colour digits at random
    # inside our tables; colour here always means something.
    # record=True keeps what was printed for --export (SVG, HTML, text).
    return Console(stderr=stderr, highlight=False, emoji=False, width=width, record=record)
