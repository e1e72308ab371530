"""Reading commands for the walk: single key presses in a terminal, one line at a time from a pipe.

In a terminal the keys are read without waiting for Enter: the terminal goes into
cbreak mode (no line editing, no echo) for the walk and is put back exactly as it
was on the way out, however the walk ends. Cbreak rather than full raw mode keeps
two things the walk relies on: output processing, so Rich's newlines still return
the carriage, and signals, so Ctrl-C still interrupts.
"""

from __future__ import annotations

import os
import select
import sys
from types import TracebackType
from typing import Protocol, TextIO

CTRL_C, CTRL_D, ESCAPE = "\x03", "\x04", "\x1b"
# The arrow keys send escape sequences; → and ← step like n and b.
ESCAPE_SEQUENCES = {"[C": "n", "OC": "n", "[D": "b", "OD": "b"}


class KeySource(Protocol):
    interactive: bool  # True: single keys from a terminal; False: lines from a pipe

    def read(self) -> str | None:
        """The next key or line; None at the end of input (EOF, Ctrl-D)."""

    def __enter__(self) -> KeySource: ...

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None: ...


def open_keys(stream: TextIO | None = None) -> KeySource:
    stream = sys.stdin if stream is None else stream
    if _is_terminal(stream):
        return TerminalKeys(stream.fileno())
    return LineCommands(stream)


def _is_terminal(stream: TextIO) -> bool:
    try:
        import termios  # noqa: F401  (absent on Windows: there the walk reads lines)

        return stream.isatty()
    except (ImportError, AttributeError, ValueError):
        return False


class LineCommands:
    """One command per line, so a walk can be scripted: `printf 'n\\nj\\nq\\n' | lstm-trace walk`."""

    interactive = False

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __enter__(self) -> LineCommands:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> str | None:
        line = self.stream.readline()
        return None if line == "" else line.rstrip("\r\n")


class TerminalKeys:
    interactive = True

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.saved: list | None = None

    def __enter__(self) -> TerminalKeys:
        import termios
        import tty

        self.saved = termios.tcgetattr(self.fd)
        tty.setcbreak(self.fd, termios.TCSANOW)
        return self

    def __exit__(self, *exc: object) -> None:
        import termios

        if self.saved is not None:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)
            self.saved = None

    def read(self) -> str | None:
        first = os.read(self.fd, 1)
        if not first:
            return None
        key = self._complete_character(first)
        if key == CTRL_D:  # cbreak mode delivers Ctrl-D as a character, not as end of file
            return None
        if key == CTRL_C:  # only when the terminal does not turn it into SIGINT itself
            raise KeyboardInterrupt
        if key == ESCAPE:
            return ESCAPE_SEQUENCES.get(self._pending(), ESCAPE)
        return key

    def _complete_character(self, first: bytes) -> str:
        """Read the rest of a multi-byte UTF-8 character, so a stray 'é' is one unknown key."""
        lead = first[0]
        extra = 3 if lead >= 0xF0 else 2 if lead >= 0xE0 else 1 if lead >= 0xC0 else 0
        data = first + (os.read(self.fd, extra) if extra else b"")
        return data.decode("utf-8", errors="replace")

    def _pending(self) -> str:
        """Whatever follows ESC within a moment: the rest of an escape sequence, or nothing."""
        data = b""
        while select.select([self.fd], [], [], 0.05)[0]:
            chunk = os.read(self.fd, 8)
            if not chunk:
                break
            data += chunk
        return data.decode("utf-8", errors="replace")
