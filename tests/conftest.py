"""Shared fixtures: the CLI run in-process (Typer's CliRunner) and as a real subprocess; headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent

CHROMIUM_MISSING = "Chromium not found on PATH: install it (Debian: apt-get install chromium) to run the browser tests"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)  # fmt: skip

# The fuzz tests draw the same examples on every run, so CI passes or fails on the code, not on luck.
# `python -m pytest --hypothesis-profile explore tests/test_fuzz_readers.py` draws new ones.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("deterministic")


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own, which turns -n into workers
def pytest_cmdline_main(config):
    """`python -m pytest` runs on every core, as with -n auto; -n N, -n 0 and -p no:xdist still decide."""
    if config.pluginmanager.hasplugin("xdist") and config.option.numprocesses is None:
        if not hasattr(config, "workerinput"):  # a worker runs its share in its own process
            config.option.numprocesses = "auto"


@pytest.fixture
def cli():
    """Invoke the app in-process: `cli("step", "--preset", "seed-question")` -> Result."""
    from lstm_trace.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, env={"NO_COLOR": "1", "COLUMNS": "120"})

    return invoke


@pytest.fixture
def run_cli():
    """Run `python -m lstm_trace ARGS` as a real process, with this checkout first on the path."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
        return subprocess.run(
            [sys.executable, "-m", "lstm_trace", *args],
            input=input,
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
        )

    return run


@pytest.fixture
def chromium(tmp_path):
    """Open a page in headless Chromium: `chromium(page, "--dump-dom")` -> CompletedProcess.

    A test that uses it is marked `browser` (`-m browser` selects them) and is skipped where Chromium is not
    on PATH, so the suite runs on a machine without it; .ci/run installs it and checks that skip.
    """
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip(CHROMIUM_MISSING)
    profile = tmp_path / "chromium-profile"

    def run(page: Path, *options: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *options, page.as_uri()],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


def pytest_collection_modifyitems(items):
    for item in items:
        if "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


# Imported by the tests that use them, never while collecting (tests/frameworks.py); test_collection.py checks.
FRAMEWORKS = ("torch", "keras", "onnx", "onnxruntime", "h5py", "safetensors")
IMPORTED_WHILE_COLLECTING = pytest.StashKey[list]()


def pytest_collection_finish(session):
    session.config.stash[IMPORTED_WHILE_COLLECTING] = [name for name in FRAMEWORKS if name in sys.modules]


@pytest.fixture
def frameworks_imported_while_collecting(pytestconfig) -> list[str]:
    return pytestconfig.stash[IMPORTED_WHILE_COLLECTING]
