"""Rebuild the README's screenshots: lstm-trace's own --export SVGs, photographed by headless Chromium.

    python docs/make_screenshots.py        (needs Debian's chromium: apt-get install chromium)

Writes docs/diagram.png, docs/diagram-gru.png, docs/diagram-peephole.png, docs/walk.png and docs/diff.png. Each SVG is shown at its
natural size in a page of its own width; pages taller than MAX_HEIGHT are cut there
(the top of a long diff is the part worth showing).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
COLUMNS = "100"
MAX_HEIGHT = 1400
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
)  # fmt: skip


def lstm_trace(*args: str, input: str | None = None, cwd: Path | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": COLUMNS}
    subprocess.run([sys.executable, "-m", "lstm_trace", *args], input=input, text=True, env=env, check=True,
                   stdout=subprocess.DEVNULL, cwd=cwd)  # fmt: skip


def photograph(svg: Path, png: Path, work: Path) -> None:
    width, height = (float(v) for v in re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', svg.read_text()).groups())
    page = work / f"{svg.stem}.html"
    page.write_text(
        f'<html><body style="margin:0;background:#fff"><img src="{svg.as_uri()}" '
        f'style="display:block;width:{width}px;height:{height}px"></body></html>'
    )
    size = f"{round(width)},{min(round(height), MAX_HEIGHT)}"
    subprocess.run(
        [shutil.which("chromium") or "chromium", *CHROMIUM_FLAGS, f"--user-data-dir={work / 'profile'}",
         f"--window-size={size}", f"--screenshot={png}", page.as_uri()],
        check=True, capture_output=True,
    )  # fmt: skip
    print(f"{png.relative_to(ROOT)}  ({size.replace(',', ' x ')} px)")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        lstm_trace("diagram", "--preset", "seed-question", "--stage", "forget", "--export", str(work / "diagram.svg"))
        variant_figures(work)
        # Four Enters and q: the walk's fifth stage, the new cell state, is its final screen.
        lstm_trace("walk", "--preset", "seed-question", "--export", str(work / "walk.svg"), input="\n\n\n\nq\n")
        # What if x_t[1] were 0.9 instead of 0.3? Same random weights, so the gates react unequally.
        h = "0,0.5,0.1,0.2,0.6"
        lstm_trace("step", "--h", h, "--x=-0.1,0.3,0.1,-0.25,0.1", "-w", "random", "-o", "x1-0.3.json", cwd=work)
        lstm_trace("step", "--h", h, "--x=-0.1,0.9,0.1,-0.25,0.1", "-w", "random", "-o", "x1-0.9.json", cwd=work)
        lstm_trace("diff", "x1-0.3.json", "x1-0.9.json", "--export", "diff.svg", cwd=work)
        for name in ("diagram", "walk", "diff", *VARIANT_FIGURES):
            photograph(work / f"{name}.svg", DOCS / f"{name}.png", work)


VARIANT_FIGURES = ("diagram-gru", "diagram-peephole")


def variant_figures(work: Path) -> None:
    """The GRU with its new state highlighted; the peephole cell with a C_(t-1), so its peepholes carry values."""
    lstm_trace("diagram", "--preset", "seed-question", "--variant", "gru", "--stage", "new",
               "--export", str(work / "diagram-gru.svg"))  # fmt: skip
    lstm_trace("diagram", "--preset", "seed-question", "--variant", "peephole", "--c", "0.5,-0.5,1,0,2",
               "--stage", "output", "--export", str(work / "diagram-peephole.svg"))  # fmt: skip


if __name__ == "__main__":
    main()
