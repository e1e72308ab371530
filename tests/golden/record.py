"""Record what the CLI prints for every case of `cases.py` into `cases/<name>.txt`.

    PYTHONPATH=/path/to/the/checkout/to/record python tests/golden/record.py [NAME ...]

Records every case (or only the named ones) with whichever `lstm_trace` comes first on the path: record
from the code whose outputs are right. tests/test_golden_outputs.py imports this module to run the same
cases the same way against the package under test and compares.

How a case runs: in-process with Typer's CliRunner (`from lstm_trace.cli import app`), with NO_COLOR=1 and
COLUMNS=100 (and the variables that would force colour or another width removed), the working directory
set to a temporary directory that holds the case's input files, created here deterministically (NumPy
arrays from fixed formulas; traces written by the CLI itself). Cases name their files relatively, and any
mention of the temporary directory is replaced by `<TMP>`.

A recording holds the command, the exit code, stdout, stderr (the runner keeps them apart) and every
output file the case lists (JSON as written, .npz and .safetensors as a listing of their arrays).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import shlex
import struct
import sys
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script: make `golden` importable
    sys.path.insert(0, str(HERE.parent))

from golden.cases import CASES, Case  # noqa: E402

CASES_DIR = HERE / "cases"
TMP_TOKEN = "<TMP>"

# No colour, 100 columns. None removes a variable while the case runs, so that a CI runner's FORCE_COLOR or
# a notebook's width cannot change what is printed.
ENV: dict[str, str | None] = {
    "NO_COLOR": "1",
    "COLUMNS": "100",
    "LINES": "50",
    "FORCE_COLOR": None,
    "PY_COLORS": None,
    "CLICOLOR_FORCE": None,
    "TTY_COMPATIBLE": None,
    "TTY_INTERACTIVE": None,
    "JUPYTER_COLUMNS": None,
    "JUPYTER_LINES": None,
    "TERMINAL_WIDTH": None,
    "GITHUB_ACTIONS": None,
}

MARK = "##### golden: {} #####"
MARK_PATTERN = re.compile(r"^##### golden: (.+) #####$", re.MULTILINE)


# ---------------------------------------------------------------------------------------------------------
# Input files. Every value comes from a fixed formula (no random generator whose stream could change), and
# traces come from the CLI itself, so a recording and a later run see the same inputs.


def _values(count: int, seed: float, scale: float = 0.6) -> list[float]:
    return [round(scale * math.sin(1.7 * k + seed), 3) for k in range(count)]


def _matrix(rows: int, columns: int, seed: float, scale: float = 0.6) -> list[list[float]]:
    flat = _values(rows * columns, seed, scale)
    return [flat[r * columns : (r + 1) * columns] for r in range(rows)]


def _lstm_arrays(hidden: int, inputs: int, seed: float, recurrent: int | None = None) -> dict[str, object]:
    width = (hidden if recurrent is None else recurrent) + inputs
    arrays: dict[str, object] = {}
    for k, gate in enumerate("fico"):
        arrays[f"W_{gate}"] = _matrix(hidden, width, seed + k)
    for k, gate in enumerate("fico"):
        arrays[f"b_{gate}"] = _values(hidden, seed + 10 + k, 0.3)
    return arrays


def _gru_arrays(hidden: int, inputs: int, seed: float) -> dict[str, object]:
    arrays: dict[str, object] = {}
    for k, gate in enumerate("rzn"):
        arrays[f"W_{gate}"] = _matrix(hidden, hidden + inputs, seed + k)
    for k, name in enumerate(("b_r", "b_z", "b_in", "b_hn")):
        arrays[name] = _values(hidden, seed + 10 + k, 0.3)
    return arrays


def _save_npz(path: Path, arrays: dict[str, object]) -> None:
    import numpy as np

    np.savez(path, **{key: np.asarray(value) for key, value in arrays.items()})


def _save_safetensors(path: Path, arrays: dict[str, object]) -> None:
    """The safetensors layout written by hand (little-endian float32), so no package is needed to make it."""
    import numpy as np

    header: dict[str, object] = {}
    blobs: list[bytes] = []
    offset = 0
    for key in sorted(arrays):
        data = np.asarray(arrays[key], dtype="<f4")
        blob = data.tobytes()
        header[key] = {"dtype": "F32", "shape": list(data.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def _pytorch_stack(hidden: int, inputs: int, layers: int) -> dict[str, object]:
    arrays: dict[str, object] = {}
    for layer in range(layers):
        width = inputs if layer == 0 else 2 * hidden
        for d, suffix in enumerate(("", "_reverse")):
            seed = 100 + 10 * layer + 5 * d
            arrays[f"weight_ih_l{layer}{suffix}"] = _matrix(4 * hidden, width, seed)
            arrays[f"weight_hh_l{layer}{suffix}"] = _matrix(4 * hidden, hidden, seed + 1)
            arrays[f"bias_ih_l{layer}{suffix}"] = _values(4 * hidden, seed + 2, 0.3)
            arrays[f"bias_hh_l{layer}{suffix}"] = _values(4 * hidden, seed + 3, 0.3)
    return arrays


def _write_json(path: Path, content: object) -> None:
    path.write_text(json.dumps(content) + "\n", encoding="utf-8")


def _rows_text(rows: list[list[float]], separator: str) -> str:
    return "".join(separator.join(repr(v) for v in row) + "\n" for row in rows)


def _make_numpy_file(name: str, work: Path) -> None:
    import numpy as np

    path = work / name
    if name == "h3.npy":
        np.save(path, np.array([0.1, -0.2, 0.3]))
    elif name == "x2.json":
        _write_json(path, [0.5, -1.0])
    elif name == "c3.txt":
        path.write_text("0.4 0 -0.8\n", encoding="utf-8")
    elif name == "xs.npy":  # T = 4, I = 2
        np.save(path, np.array(_matrix(4, 2, 3.0, 1.0)))
    elif name == "xs.json":  # T = 5, I = 2
        _write_json(path, _matrix(5, 2, 4.0, 1.0))
    elif name == "xs3.csv":  # T = 5, I = 3
        path.write_text(_rows_text(_matrix(5, 3, 5.0, 1.0), ","), encoding="utf-8")
    elif name == "xs4.txt":  # T = 3, I = 4 (what layer 1 of the stack reads)
        path.write_text(_rows_text(_matrix(3, 4, 6.0, 0.5), " "), encoding="utf-8")
    elif name == "xs-batch.npy":  # (T, B, I) = (3, 2, 2)
        np.save(path, np.array(_values(12, 7.0, 1.0)).reshape(3, 2, 2))
    elif name == "h0-batch.npy":  # (cells, B, H) = (1, 2, 3)
        np.save(path, np.array(_values(6, 8.0, 0.5)).reshape(1, 2, 3))
    elif name == "w-lstm.npz":  # H = 3, I = 2
        _save_npz(path, _lstm_arrays(3, 2, 1.0))
    elif name == "w-lstm.json":  # H = 3, I = 2
        _write_json(path, {"format": "lstm-trace-weights/1", **_lstm_arrays(3, 2, 2.0)})
    elif name == "w-identity.json":  # the identity preset written out by NumPy: H = 3, I = 2
        eye = np.hstack([np.eye(3), np.eye(3, 2)]).tolist()
        _write_json(path, {**{f"W_{g}": eye for g in "fico"}, **{f"b_{g}": [0.0] * 3 for g in "fico"}})
    elif name == "w-peephole.npz":  # H = 3, I = 2
        arrays = _lstm_arrays(3, 2, 3.0)
        arrays.update(p_f=_values(3, 20.0), p_i=_values(3, 21.0), p_o=_values(3, 22.0))
        _save_npz(path, arrays)
    elif name == "w-proj.npz":  # H = 4, P = 2, I = 2
        arrays = _lstm_arrays(4, 2, 4.0, recurrent=2)
        arrays["W_hr"] = _matrix(2, 4, 23.0)
        _save_npz(path, arrays)
    elif name == "w-cifg.npz":  # H = 3, I = 2, the cell stated in cell_options
        arrays = _lstm_arrays(3, 2, 5.0)
        arrays["cell_options"] = json.dumps({"variant": "cifg", "preact_clip": 2.0})
        _save_npz(path, arrays)
    elif name == "w-gru.json":  # H = 3, I = 2
        _write_json(path, _gru_arrays(3, 2, 6.0))
    elif name == "w-bad-shape.npz":  # W_i has one column too few
        arrays = _lstm_arrays(3, 2, 1.0)
        arrays["W_i"] = _matrix(3, 4, 9.0)
        _save_npz(path, arrays)
    elif name == "w-garbage.json":
        path.write_text("W_f = [[1, 2]]\n", encoding="utf-8")
    elif name == "stack.safetensors":  # torch.nn.LSTM(2, 2, num_layers=2, bidirectional=True)'s keys
        _save_safetensors(path, _pytorch_stack(2, 2, 2))
    else:
        raise KeyError(name)


# Inputs made by the CLI: the file name -> the command that writes it (in the same working directory).
CLI_FILES: dict[str, tuple[str, ...]] = {
    "trace-a.json": ("step", "--h", "0,0.5,0.1,0.2,0.6", "--x=-0.1,0.3,0.1,-0.25,0.1", "-w", "random",
                     "-o", "trace-a.json"),
    "trace-b.json": ("step", "--h", "0,0.5,0.1,0.2,0.6", "--x=-0.1,0.9,0.1,-0.25,0.1", "-w", "random",
                     "-o", "trace-b.json"),
    "trace-small.json": ("step", "--preset", "concat-not-sum", "-o", "trace-small.json"),
    "trace-gru.json": ("step", "--preset", "concat-not-sum", "--variant", "gru", "-o", "trace-gru.json"),
    "trace-peephole.json": ("step", "--preset", "long-memory", "--variant", "peephole", "--cell-clip", "1",
                            "-o", "trace-peephole.json"),
    "trace-grad.json": ("grad", "--preset", "concat-not-sum", "-o", "trace-grad.json"),
    "seq.json": ("run", "--xs", "0.5,-0.2;0.1,0.9;-0.7,0.3;0.2,0.2", "--hidden-size", "3", "-w", "random",
                 "-o", "seq.json"),
    "seq-gru.jsonl": ("run", "--xs", "0.5,-0.2;0.1,0.9;-0.7,0.3", "--hidden-size", "2", "-w", "random",
                      "--variant", "gru", "--jsonl", "-o", "seq-gru.jsonl"),
    "w-converted.npz": ("weights", "convert", "w-lstm.json", "--to", "npz", "-o", "w-converted.npz"),
}  # fmt: skip
CLI_FILE_INPUTS = {"w-converted.npz": ("w-lstm.json",)}


# ---------------------------------------------------------------------------------------------------------
# Running a case.


@dataclass
class Outcome:
    """What a case printed and wrote, normalised, as a recording holds it."""

    command: str
    exit_code: int
    sections: dict[str, str] = field(default_factory=dict)  # "stdout", "stderr", "file NAME" -> content
    exception: str | None = None  # an exception other than SystemExit that escaped the command
    details: str | None = None  # its traceback, for a failing test's message (never recorded)


class Workspace:
    """A temporary working directory; input files are made on first use."""

    def __init__(self, path: Path):
        self.path = path
        self._made: set[str] = set()

    def need(self, name: str) -> None:
        if name in self._made:
            return
        for dependency in CLI_FILE_INPUTS.get(name, ()):
            self.need(dependency)
        if name in CLI_FILES:
            result = invoke(self.path, CLI_FILES[name])
            if result.exit_code != 0 or not (self.path / name).is_file():
                raised = ""
                if result.exception is not None and not isinstance(result.exception, SystemExit):
                    raised = "".join(traceback.format_exception(*result.exc_info))
                raise RuntimeError(
                    f"Making the input file {name} with `lstm-trace {shlex.join(CLI_FILES[name])}` failed "
                    f"(exit code {result.exit_code}):\n{_stdout(result)}{_stderr(result)}{raised}"
                )
        else:
            _make_numpy_file(name, self.path)
        self._made.add(name)


@contextlib.contextmanager
def workspace():
    with tempfile.TemporaryDirectory(prefix="lstm-trace-golden-") as directory:
        yield Workspace(Path(directory))


@contextlib.contextmanager
def _working_directory(path: Path):
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def invoke(work: Path, args: tuple[str, ...], stdin: str | None = None):
    from typer.testing import CliRunner

    from lstm_trace.cli import app

    with _working_directory(work):
        return CliRunner().invoke(app, list(args), input=stdin, env=ENV)


def _stdout(result) -> str:
    return result.stdout


def _stderr(result) -> str:
    try:
        return result.stderr
    except ValueError:  # an older Click that mixes stderr into stdout
        return ""


def command_line(case: Case) -> str:
    line = "$ lstm-trace " + shlex.join(case.args)
    if case.stdin_file is not None:
        line += f" < {case.stdin_file}"
    elif case.stdin is not None:
        line += f"   # stdin: {case.stdin!r}"
    return line


def run_case(case: Case, work: Workspace) -> Outcome:
    for name in case.needs:
        work.need(name)
    stdin = case.stdin
    if case.stdin_file is not None:
        work.need(case.stdin_file)
        stdin = (work.path / case.stdin_file).read_text(encoding="utf-8")
    for name in case.files:
        (work.path / name).unlink(missing_ok=True)
    result = invoke(work.path, case.args, stdin)
    outcome = Outcome(command_line(case), result.exit_code)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        outcome.exception = f"{type(result.exception).__name__}: {result.exception}"
        outcome.details = "".join(traceback.format_exception(*result.exc_info))
    outcome.sections["stdout"] = _stdout(result)
    outcome.sections["stderr"] = _stderr(result)
    for name in case.files:
        path = work.path / name
        outcome.sections[f"file {name}"] = _file_content(path) if path.is_file() else "(not written)"
        path.unlink(missing_ok=True)
    for key, text in outcome.sections.items():
        outcome.sections[key] = normalise_paths(text, work.path)
    return outcome


def normalise_paths(text: str, work: Path) -> str:
    for form in sorted({str(work), os.path.realpath(work)}, key=len, reverse=True):
        text = text.replace(form, TMP_TOKEN)
    return text


def _file_content(path: Path) -> str:
    if path.suffix == ".npz":
        return _npz_listing(path)
    if path.suffix == ".safetensors":
        return _safetensors_listing(path)
    return path.read_text(encoding="utf-8")


def _npz_listing(path: Path) -> str:
    """Every array by name with its dtype, shape and values (the archive's bytes hold time stamps)."""
    import numpy as np

    lines = []
    with np.load(path, allow_pickle=False) as archive:
        for key in sorted(archive.files):
            array = archive[key]
            lines.append(f"{key}: {array.dtype.str} {list(array.shape)} {json.dumps(array.tolist())}")
    return "\n".join(lines) + "\n"


def _safetensors_listing(path: Path) -> str:
    import numpy as np

    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    body = data[8 + size :]
    dtypes = {"F16": "<f2", "F32": "<f4", "F64": "<f8", "I64": "<i8", "I32": "<i4"}
    lines = []
    if "__metadata__" in header:
        lines.append(f"__metadata__: {json.dumps(header.pop('__metadata__'), sort_keys=True)}")
    for key in sorted(header):
        entry = header[key]
        start, end = entry["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        lines.append(f"{key}: {entry['dtype']} {entry['shape']} {json.dumps(array.tolist())}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# The recording's text: a few header lines, then each section between marks, exactly as printed.


def section_kind(case: Case, section: str) -> str:
    """text, json (one document) or jsonl (a document per line)."""
    if section == "stdout":
        return case.stdout
    if section.startswith("file "):
        suffix = Path(section[len("file ") :]).suffix
        return {".json": "json", ".jsonl": "jsonl"}.get(suffix, "text")
    return "text"


def render(case: Case, outcome: Outcome) -> str:
    lines = [
        f"# golden case {case.name}: tests/golden/record.py wrote this; tests/test_golden_outputs.py compares it",
        outcome.command,
        f"exit code: {outcome.exit_code}",
    ]
    if outcome.exception is not None:
        lines.append(f"exception: {outcome.exception}")
    text = "\n".join(lines) + "\n"
    for section, content in outcome.sections.items():
        text += MARK.format(f"{section} ({section_kind(case, section)})") + "\n" + content + "\n"
    return text


def parse(text: str) -> tuple[list[str], dict[str, str]]:
    """(header lines, {section: content}) of a recording."""
    marks = list(MARK_PATTERN.finditer(text))
    head = text[: marks[0].start()] if marks else text
    sections = {}
    for k, mark in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        name = re.sub(r" \((text|json|jsonl)\)$", "", mark.group(1))
        sections[name] = text[mark.end() + 1 : end - 1]
    return head.splitlines(), sections


def recording_path(case: Case) -> Path:
    return CASES_DIR / f"{case.name}.txt"


def check_json_sections(case: Case, outcome: Outcome) -> None:
    """A case that says its stdout (or file) is JSON must print JSON when recorded."""
    for section, content in outcome.sections.items():
        kind = section_kind(case, section)
        if kind == "json":
            json.loads(content)
        elif kind == "jsonl":
            for line in content.splitlines():
                if line.strip():
                    json.loads(line)


def main(argv: list[str]) -> int:
    import lstm_trace

    chosen = [case for case in CASES if not argv or case.name in argv]
    unknown = set(argv) - {case.name for case in CASES}
    if unknown:
        print(f"unknown cases: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    for module in sorted({module for case in chosen for module in case.requires}):
        try:
            __import__(module)
        except ImportError:
            print(f"recording needs the package {module} (pip install -e '.[test]')", file=sys.stderr)
            return 2
    CASES_DIR.mkdir(exist_ok=True)
    with workspace() as work:
        for case in chosen:
            outcome = run_case(case, work)
            if outcome.exception is not None:
                print(outcome.details, file=sys.stderr)
                raise SystemExit(f"{case.name}: the command raised {outcome.exception}; not recorded")
            check_json_sections(case, outcome)
            recording_path(case).write_text(render(case, outcome), encoding="utf-8")
    if not argv:
        names = {f"{case.name}.txt" for case in CASES}
        for stale in sorted(p for p in CASES_DIR.glob("*.txt") if p.name not in names):
            stale.unlink()
            print(f"removed {stale.name} (no such case)")
    print(f"recorded {len(chosen)} case(s) into {CASES_DIR} from {Path(lstm_trace.__file__).parent}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
