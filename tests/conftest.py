"""Shared fixtures: the CLI run in-process (Typer's CliRunner) and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent

# The fuzz tests draw the same examples on every run, so CI passes or fails on the code, not on luck.
# `python -m pytest --hypothesis-profile explore tests/test_fuzz_readers.py` draws new ones.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("deterministic")


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
