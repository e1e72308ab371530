"""Output files: written atomically to regular files, straight into streams, and errors said in words."""

from __future__ import annotations

import errno
import json
import os
import threading
from pathlib import Path

import pytest

from tests.framework_models import one_line

STEP = ("step", "--preset", "seed-question")


def test_a_symbolic_link_keeps_pointing_at_its_target_which_gets_the_trace(cli, tmp_path):
    target, link = tmp_path / "target.json", tmp_path / "link.json"
    target.write_text("old")
    link.symlink_to(target)
    result = cli(*STEP, "--output", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert json.loads(target.read_text())["steps"][0]["h"] == json.loads(link.read_text())["steps"][0]["h"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "target.json"]  # no temporary left


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX feature")
def test_a_named_pipe_is_written_to_and_stays_a_pipe(cli, tmp_path):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_text()))
    reader.start()
    result = cli(*STEP, "--output", str(pipe))
    reader.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert not pipe.is_file() and pipe.exists()  # still a pipe, not replaced by a regular file
    assert json.loads(received[0])["format"] == "lstm-trace/2"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs Linux's /dev/full")
def test_a_device_that_is_full_is_a_clear_error_and_stays_a_device(cli):
    result = cli(*STEP, "--json", "--output", "/dev/full")
    assert result.exit_code == 1
    assert "Cannot write '/dev/full': No space left on device." in one_line(result.output)
    assert "Traceback" not in result.output and not Path("/dev/full").is_file()


def test_a_full_disk_during_an_atomic_write_leaves_the_old_file_and_no_temporary(cli, tmp_path, monkeypatch):
    out = tmp_path / "trace.json"
    out.write_text("the old trace")

    def full_disk(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    result = cli(*STEP, "--json", "--output", str(out))
    assert result.exit_code == 1
    assert f"Cannot write '{out}': No space left on device. Nothing was written to it." in one_line(result.output)
    assert out.read_text() == "the old trace"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.json"]
