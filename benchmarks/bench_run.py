"""The sequence engine against torch.nn.LSTM and an nn.LSTMCell loop, and `run --jsonl` throughput.

    python benchmarks/bench_run.py                  # every size, 7 pairs, plus the JSONL run
    python benchmarks/bench_run.py --pairs 9 --skip-jsonl

Each side runs in its own process: in one process NumPy's BLAS threads and torch's
threads slow each other down and the figures lie. A pair is one NumPy process (the
engine's Python API: states only, then with the full trace kept) and one torch process
(torch.nn.LSTM under no_grad, and an nn.LSTMCell Python loop), started alternately
A B, B A, A B, ... Each process times its two variants in turns, `--repeats` times
each after a warm-up, and keeps the best of each; the ratio of a pair is ours / theirs, and the figure quoted is the
median of the per-pair ratios. Both sides use the same float32 weights and inputs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = [  # (H, I, T, B)
    (256, 128, 1000, 1),
    (256, 128, 1000, 32),
    (1024, 512, 200, 1),
    (64, 32, 1000, 1),
]
TARGETS = {"states": {(64, 32, 1000, 1): 3.0}, "trace": {}}  # else 1.5 (states) and 2.0 (trace)


def inputs(H: int, I: int, T: int, B: int):
    """The same float32 weights and inputs on both sides, from NumPy's generator."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from lstm_trace import presets

    weights = presets.random(H, I, seed=0).astype("float32")
    xs = np.random.default_rng(1).normal(size=(T, B, I)).astype(np.float32)
    return weights, xs


def best_of(functions: dict, repeats: int) -> dict[str, float]:
    """The best time of each function, timed in turns (A B A B ...) so that both see the same load."""
    for function in functions.values():
        function()  # warm-up: first-touch page faults, BLAS thread start, torch's kernel selection
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - start)
    return {name: min(values) for name, values in times.items()}


def numpy_worker(H: int, I: int, T: int, B: int, repeats: int) -> dict:
    from lstm_trace.engine.sequence import pack, run_cell, trace_cell

    weights, xs = inputs(H, I, T, B)
    cell = pack(weights)  # laid out once, as an nn.LSTM module keeps its weights
    result = best_of({"states": lambda: run_cell(cell, xs), "trace": lambda: trace_cell(cell, xs)}, repeats)
    result["h_T"] = run_cell(cell, xs).outputs[-1, 0, :4].tolist()
    return result


def torch_worker(H: int, I: int, T: int, B: int, repeats: int) -> dict:
    import numpy as np
    import torch

    weights, xs = inputs(H, I, T, B)
    lstm, cell = torch.nn.LSTM(I, H), torch.nn.LSTMCell(I, H)
    W = np.vstack([weights.W[g] for g in ("input", "forget", "candidate", "output")])  # PyTorch's i, f, g, o
    b = np.concatenate([weights.b[g] for g in ("input", "forget", "candidate", "output")])
    with torch.no_grad():
        for ih, hh, bias_ih, bias_hh in ((lstm.weight_ih_l0, lstm.weight_hh_l0, lstm.bias_ih_l0, lstm.bias_hh_l0),
                                         (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)):  # fmt: skip
            ih.copy_(torch.from_numpy(W[:, H:]))
            hh.copy_(torch.from_numpy(W[:, :H]))
            bias_ih.copy_(torch.from_numpy(b))
            bias_hh.zero_()
        x = torch.from_numpy(xs)

        def cell_loop():
            h = torch.zeros(B, H)
            c = torch.zeros(B, H)
            for x_t in x:
                h, c = cell(x_t, (h, c))
            return h

        result = best_of({"lstm": lambda: lstm(x), "cell_loop": cell_loop}, repeats)
        result["h_T"] = lstm(x)[0][-1, 0, :4].tolist()
    return result


def run_worker(side: str, size: tuple, repeats: int) -> dict:
    command = [sys.executable, __file__, "--worker", side, *map(str, size), "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_size(size: tuple, pairs: int, repeats: int) -> dict:
    ratios: dict[str, list[float]] = {"states/lstm": [], "trace/lstm": [], "states/cell_loop": [], "trace/cell_loop": []}
    times: dict[str, list[float]] = {"states": [], "trace": [], "lstm": [], "cell_loop": []}
    agreement = 0.0
    for pair in range(pairs):
        order = ("numpy", "torch") if pair % 2 == 0 else ("torch", "numpy")
        results = {side: run_worker(side, size, repeats) for side in order}
        ours, theirs = results["numpy"], results["torch"]
        for key in ratios:
            mine, other = key.split("/")
            ratios[key].append(ours[mine] / theirs[other])
        for key in times:
            times[key].append((ours | theirs)[key])
        agreement = max(agreement, max(abs(a - b) for a, b in zip(ours["h_T"], theirs["h_T"])))
    return {
        "ratios": {key: statistics.median(values) for key, values in ratios.items()},
        "all_ratios": ratios,
        "median_ms": {key: 1e3 * statistics.median(values) for key, values in times.items()},
        "max_abs_diff_h_T": agreement,
    }


def jsonl_run(T: int, H: int, I: int, serializer: str, workdir: Path, mode: str = "--jsonl") -> dict:
    """`python -m lstm_trace run --jsonl` on a (T, I) .npy, output to /dev/null: wall time and peak RSS.

    The peak comes from /usr/bin/time (GNU time's %M), which runs the command as its own
    small child: a child forked from this script would report this script's memory too."""
    xs_path = workdir / f"xs_{T}_{I}.npy"
    if not xs_path.exists():  # made in a child process, so this one stays small
        subprocess.run([sys.executable, "-c", f"import numpy as np; np.save({str(xs_path)!r}, "
                        f"np.random.default_rng(0).normal(size=({T}, {I})).astype(np.float32))"], check=True)  # fmt: skip
    command = ["/usr/bin/time", "-f", "%M %e", sys.executable, "-m", "lstm_trace", "run", "--xs", f"@{xs_path}",
               "--weights", "random", "--hidden-size", str(H), "--dtype", "float32", mode]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "LSTM_TRACE_JSON": serializer}
    with open(os.devnull, "wb") as sink:
        done = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, env=env, text=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()}")
    peak_kb, elapsed = done.stderr.decode().strip().splitlines()[-1].split()
    return {"T": T, "H": H, "serializer": serializer, "mode": mode, "seconds": float(elapsed),
            "steps_per_second": T / float(elapsed), "peak_rss_mb": int(peak_kb) / 1024}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worker", nargs=5, metavar=("SIDE", "H", "I", "T", "B"))
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="all", help="all, or indexes into SIZES such as 0,3")
    parser.add_argument("--skip-engine", action="store_true")
    parser.add_argument("--skip-jsonl", action="store_true")
    parser.add_argument("--jsonl-steps", type=int, default=100_000)
    args = parser.parse_args()
    if args.worker:
        side, *size = args.worker
        worker = numpy_worker if side == "numpy" else torch_worker
        print(json.dumps(worker(*map(int, size), args.repeats)))
        return

    report: dict = {"engine": {}, "jsonl": []}
    sizes = SIZES if args.sizes == "all" else [SIZES[int(k)] for k in args.sizes.split(",")]
    if not args.skip_engine:
        print(f"Engine vs torch: median of {args.pairs} per-pair ratios (ours / theirs), float32")
        print(f"{'H, I, T, B':>22}  {'states/LSTM':>11} {'trace/LSTM':>10} {'states/cell':>11} {'trace/cell':>10}"
              f"   median ms: states trace LSTM cell-loop")  # fmt: skip
        for size in sizes:
            result = bench_size(size, args.pairs, args.repeats)
            report["engine"][str(size)] = result
            r, ms = result["ratios"], result["median_ms"]
            verdict = _verdict(size, r)
            print(f"{str(size):>22}  {r['states/lstm']:>11.2f} {r['trace/lstm']:>10.2f} {r['states/cell_loop']:>11.2f} "
                  f"{r['trace/cell_loop']:>10.2f}   {ms['states']:.1f} {ms['trace']:.1f} {ms['lstm']:.1f} "
                  f"{ms['cell_loop']:.1f}  {verdict}", flush=True)  # fmt: skip
    if not args.skip_jsonl:
        with tempfile.TemporaryDirectory() as workdir:
            runs = [
                jsonl_run(args.jsonl_steps, 256, 128, "orjson", Path(workdir)),
                jsonl_run(5_000, 256, 128, "orjson", Path(workdir)),
                jsonl_run(5_000, 256, 128, "json", Path(workdir)),
                jsonl_run(5_000, 256, 128, "orjson", Path(workdir), mode="--summary-only"),
            ]
        for run in runs:
            report["jsonl"].append(run)
            print(f"run {run['mode']} T={run['T']} H={run['H']} ({run['serializer']}): {run['seconds']:.1f} s, "
                  f"{run['steps_per_second']:.0f} steps/s, peak RSS {run['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
    print(json.dumps(report))


def _verdict(size: tuple, ratios: dict) -> str:
    states_target = TARGETS["states"].get(size, 1.5)
    trace_target = TARGETS["trace"].get(size, 2.0)
    checks = [
        f"states {'ok' if ratios['states/lstm'] <= states_target else 'MISS'} (<= {states_target})",
        f"trace {'ok' if ratios['trace/lstm'] <= trace_target else 'MISS'} (<= {trace_target})",
        f"vs cell loop {'ok' if max(ratios['states/cell_loop'], ratios['trace/cell_loop']) < 1 else 'MISS'}",
    ]
    return "; ".join(checks)


if __name__ == "__main__":
    main()
