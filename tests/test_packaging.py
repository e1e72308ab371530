"""The built wheel carries the scenario presets, so `--preset` works from any directory."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

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

    # A venv that sees this run's numpy/typer/rich but not this checkout. (system_site_packages=True would show
    # the base interpreter's packages, which are not this run's when the tests run in a venv.) The .pth file
    # lists this run's site-packages as plain paths: their own .pth files, such as an editable install of this
    # checkout, are not read, and they come after the venv's own site-packages, which hold the wheel.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-deps", "--no-index", wheel],
        check=True, timeout=300,
    )  # fmt: skip
    paths = [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    venv_site = Path(subprocess.run(paths, capture_output=True, text=True, check=True).stdout.strip())
    ours = site.getsitepackages() + ([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])
    (venv_site / "this-run-site-packages.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
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
