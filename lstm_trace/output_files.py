"""Writing output files atomically: a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterator, TextIO

from .errors import DataError, UsageError


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it into place."""
    write_atomic(path, lambda stream: stream.write(text))


def write_atomic(path: Path, write: Callable[[TextIO], object], binary: bool = False) -> None:
    """Let `write` fill a temporary file beside `path`, then rename it into place.

    With `binary=True`, `write` gets a readable binary stream (h5py reads back what it writes).

    A reader never sees half a file: an error or an interrupt leaves `path` as it was.
    """
    with open_atomic(path, binary) as stream:
        write(stream)


@contextmanager
def open_atomic(path: Path, binary: bool = False) -> Iterator[IO]:
    """A temporary file beside `path` to stream into; it is renamed to `path` once the block ends
    without error (`run --jsonl -o` writes step by step through it).

    A symbolic link is followed, so its target is replaced and the link kept. A path that is
    not a regular file (/dev/stdout, a named pipe) is a stream that cannot be swapped for
    another file: it is written to directly.
    """
    path = Path(os.path.realpath(path)) if path.is_symlink() else path
    if path.is_dir():
        raise UsageError(f"The output path '{path}' is a directory; give a file name.")
    if path.exists() and not path.is_file():
        with _reported(path, atomic=False), open(path, "wb") if binary else open(path, "w", encoding="utf-8") as stream:
            yield stream
        return
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"Cannot write '{path}': the directory '{directory}' does not exist.")
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"Cannot write '{path}': {error.strerror}.") from None
    try:
        with _reported(path, atomic=True):
            # mkstemp makes the file private (0600); give it the mode a plain open() would.
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
            with os.fdopen(handle, "w+b") if binary else os.fdopen(handle, "w", encoding="utf-8") as stream:
                yield stream
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _reported(path: Path, atomic: bool) -> Iterator[None]:
    """An OSError while writing (a full disk, a device's error) as the project's error, naming the file.

    A closed pipe is left to the caller, which stops quietly (`run --jsonl | head`)."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as error:
        kept = " Nothing was written to it." if atomic else ""
        raise DataError(f"Cannot write '{path}': {error.strerror or error}.{kept}") from None
