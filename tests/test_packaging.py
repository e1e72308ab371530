"""The built wheel carries the scenario presets, so `--preset` works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_ships_presets_and_runs_from_elsewhere(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--quiet", "-w", str(tmp_path / "dist")],
        check=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("lstm_trace-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for preset in ("seed-question", "long-memory", "forget-everything", "concat-not-sum"):
        assert f"lstm_trace/presets/{preset}.json" in names
    for schema in ("trace", "stage"):  # the JSON contract's schemas (tests/test_json_schema.py)
        assert f"lstm_trace/schema/{schema}.schema.json" in names

    # A venv that sees the machine's numpy/typer/rich but not this checkout.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    python = env_dir / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)], check=True, timeout=300)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [python, "-m", "lstm_trace", "step", "--preset", "seed-question", "--stage", "forget", "--precision", "8"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**environment, "NO_COLOR": "1"},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "0.47502081" in done.stdout
    located = subprocess.run(
        [python, "-c", "import lstm_trace; print(lstm_trace.__file__)"], cwd=tmp_path, capture_output=True, text=True,
        env=environment,
    )  # fmt: skip
    assert str(env_dir) in located.stdout  # really the installed copy, not the checkout
