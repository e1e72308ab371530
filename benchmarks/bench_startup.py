"""Start-up cost of `lstm-trace step --preset seed-question`, as a ratio to the bare imports.

The reference is `python -c "import numpy, typer, rich.console, rich.table"`: the
libraries the job needs anyway. Runs alternate (reference, ours, reference, ours, ...)
so that machine load hits both alike; the figure is the median of the per-pair
ratios. Target: <= 1.25.

    python benchmarks/bench_startup.py [--pairs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET = 1.25
HEAVY = ("torch", "keras", "h5py", "onnx", "onnxruntime", "tensorflow", "safetensors")


def lstm_trace_command() -> list[str]:
    # The console script beside this interpreter, not a shell shim in front of it
    # (pyenv's shim alone costs more than the whole job).
    script = Path(sys.executable).parent / "lstm-trace"
    if not script.exists():
        found = shutil.which("lstm-trace")
        if found is None:
            sys.exit("lstm-trace is not installed: pip install -e .")
        script = Path(found)
    return [str(script), "step", "--preset", "seed-question"]


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env={**os.environ, "NO_COLOR": "1"})
    return time.perf_counter() - start


def heavy_imports(command: list[str]) -> list[str]:
    """Modules from HEAVY that the step path imports (must be none)."""
    probe = (
        "import runpy, sys; sys.argv = {argv!r}; "
        "import io, contextlib\n"
        "try:\n"
        "    with contextlib.redirect_stdout(io.StringIO()): runpy.run_path({script!r}, run_name='__main__')\n"
        "except SystemExit: pass\n"
        "print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))))"
    ).format(argv=command, script=command[0], heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    args = parser.parse_args()
    reference = [sys.executable, "-c", "import numpy, typer, rich.console, rich.table"]
    ours = lstm_trace_command()
    # pip compiles a regular install to bytecode; an editable checkout under
    # PYTHONDONTWRITEBYTECODE=1 would recompile every module on every run.
    import compileall

    import lstm_trace

    compileall.compile_dir(Path(lstm_trace.__file__).parent, quiet=1)
    for command in (reference, ours):  # warm the file system caches
        wall_time(command)
    ratios, ours_times, reference_times = [], [], []
    for _ in range(args.pairs):
        r, o = wall_time(reference), wall_time(ours)
        reference_times.append(r)
        ours_times.append(o)
        ratios.append(o / r)
    heavy = heavy_imports(ours)
    ratio = statistics.median(ratios)
    print(f"reference imports  median {1000 * statistics.median(reference_times):6.1f} ms")
    print(f"lstm-trace step    median {1000 * statistics.median(ours_times):6.1f} ms")
    print(f"ratio (median of {args.pairs} paired runs): {ratio:.3f}  target <= {TARGET}  "
          f"{'OK' if ratio <= TARGET else 'OVER TARGET'}")
    print(f"heavy packages imported on this path: {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
