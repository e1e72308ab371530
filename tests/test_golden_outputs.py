"""Recorded outputs: every case of tests/golden/cases.py must print exactly what tests/golden/cases/ holds.

Each case is one CLI command (every command, the plain LSTM and every variant and option, text and JSON
outputs, output files, errors). tests/golden/record.py runs it in-process (CliRunner, NO_COLOR=1,
COLUMNS=100) in a temporary directory holding the input files it makes, and writes the exit code, stdout,
stderr and output files to tests/golden/cases/<name>.txt. This test runs the same case against the package
under test and compares: text exactly, JSON (stdout declared "json"/"jsonl" in the case, and .json/.jsonl
output files) as parsed documents, every value exactly, after `normalise_json` below on both sides.

When the output changes ON PURPOSE (a fixed message, a new line in a table, a new JSON layout):

1. Prefer mapping to re-recording for JSON: when the contract moves (say "lstm-trace/1" to "lstm-trace/2"),
   teach `normalise_json` to turn the recorded old layout into the new one (and to leave a new-layout
   document as it is, since both sides go through it), so the old recordings keep proving the values
   did not move.
2. Otherwise re-record the cases the change is meant to change, from the changed checkout:

       PYTHONPATH=. python tests/golden/record.py NAME [NAME ...]   # only these cases
       PYTHONPATH=. python tests/golden/record.py                   # all of them (drops removed cases)

   then read `git diff tests/golden/cases` line by line: every changed line must be one the change meant
   to change, and the commit that carries the recordings says which outputs changed and why.

To run these cases against another checkout's package (to tell a broken test from a broken package):

    python -m pytest -q -o pythonpath=/path/to/that/checkout tests/test_golden_outputs.py

A recording is never regenerated just to make a failing test pass: a difference nobody meant is the bug
this test is here to catch. If a recording must change without an intended output change (the case list
or the inputs changed), say why in the commit message. To add a case, add it to tests/golden/cases.py and
record it from the code before your change (e.g. a `git worktree` of that commit on PYTHONPATH), so the
recording is of the old behaviour, not of whatever the new code does.
"""

from __future__ import annotations


def normalise_json(document):
    """The JSON contract's layout as compared: "lstm-trace/2" with its "format" key left out.

    Applied to every JSON document on both sides, recorded and actual (each line of JSON Lines is a
    document); a document already in the new layout comes out unchanged. The recordings are of
    "lstm-trace/1", whose variants kept their gradients in a top-level "variant_backward" block
    ({"loss", "steps": [{"t", ..., "gates": {gate: {...}}, "peepholes": {...}}]}); /2 keeps every cell's
    gradients in its steps, as the plain LSTM's always were: steps[k]["backward"] = {..., gate: {...},
    "peephole": {...}}. The values are the same numbers, so they are moved here, not re-recorded.
    /2 also adds "c_tanh_local" (the cell activation's slope at Cₜ, which the plain LSTM's block always
    had) to the other LSTM cells' blocks: a new field, left out of the comparison for those cells.
    """
    if not isinstance(document, dict):
        return document
    document = {key: value for key, value in document.items() if key != "format"}
    old = document.pop("variant_backward", None)
    if old is not None:
        by_t = {}
        for step in old["steps"]:
            moved = {key: value for key, value in step.items() if key not in ("t", "gates", "peepholes")}
            moved.update(step["gates"])
            if "peepholes" in step:
                moved["peephole"] = step["peepholes"]
            by_t[step["t"]] = moved
        document["steps"] = [{**step, "backward": by_t[step["t"]]} for step in document["steps"]]
    options = document.get("cell_options")
    if isinstance(options, dict) and options != PLAIN_OPTIONS and isinstance(document.get("steps"), list):
        for step in document["steps"]:
            if isinstance(step, dict) and isinstance(step.get("backward"), dict):
                step["backward"] = {key: value for key, value in step["backward"].items() if key != "c_tanh_local"}
    return document


PLAIN_OPTIONS = {
    "variant": "lstm", "forget_bias": 0.0, "cell_clip": None, "preact_clip": None, "proj_size": None,
    "gate_activation": "sigmoid", "cell_activation": "tanh", "gru_reset_before": False,
}  # fmt: skip


import difflib  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

if str(Path(__file__).resolve().parent) not in sys.path:  # `golden`, whatever pytest's import mode
    sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden import record  # noqa: E402
from golden.cases import CASES, Case  # noqa: E402

MAX_REPORTED = 25  # differing JSON paths or diff lines shown per section


@pytest.fixture(scope="module")
def work():
    with record.workspace() as workspace:
        yield workspace


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_output_is_as_recorded(case: Case, work):
    for module in case.requires:
        pytest.importorskip(module)
    path = record.recording_path(case)
    assert path.is_file(), f"{case.name} has no recording: PYTHONPATH=. python tests/golden/record.py {case.name}"
    head, expected = record.parse(path.read_text(encoding="utf-8"))
    outcome = record.run_case(case, work)

    problems = []
    if outcome.exception is not None:
        problems.append(f"the command raised {outcome.exception}\n{outcome.details}")
    if head[1:2] != [outcome.command]:
        problems.append(f"the recording is of another command (re-record it?):\n  {head[1:2]}\n  {[outcome.command]}")
    recorded_code = next((line for line in head if line.startswith("exit code: ")), None)
    if recorded_code != f"exit code: {outcome.exit_code}":
        problems.append(f"{recorded_code!r} was recorded, the command ended with exit code {outcome.exit_code}")
    if list(expected) != list(outcome.sections):
        problems.append(f"recorded sections {list(expected)}, got {list(outcome.sections)}")
    for section, content in outcome.sections.items():
        if section in expected:
            difference = compare(record.section_kind(case, section), expected[section], content)
            if difference:
                problems.append(f"{section} differs:\n{difference}")
    if problems:
        pytest.fail(f"{outcome.command}\n" + "\n\n".join(problems), pytrace=False)


def test_every_recording_has_its_case():
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    stale = sorted({p.stem for p in record.CASES_DIR.glob("*.txt")} - set(names))
    assert not stale, f"recordings without a case (delete them, or run record.py with no names): {stale}"


def compare(kind: str, expected: str, actual: str) -> str:
    """'' when the same, else what differs."""
    if kind == "text":
        return "" if expected == actual else _text_diff(expected, actual)
    try:
        documents = [[normalise_json(d) for d in _documents(kind, text)] for text in (expected, actual)]
    except json.JSONDecodeError as error:
        return f"not {kind} ({error}):\n{_text_diff(expected, actual)}"
    expected_documents, actual_documents = documents
    if kind == "json":
        paths = list(_json_differences(expected_documents[0], actual_documents[0], "$"))
    else:
        paths = [f"{len(expected_documents)} lines recorded, {len(actual_documents)} now"] * (
            len(expected_documents) != len(actual_documents)
        )
        for number, (left, right) in enumerate(zip(expected_documents, actual_documents), start=1):
            paths += _json_differences(left, right, f"line {number}: $")
    if not paths:
        return ""
    shown = paths[:MAX_REPORTED] + ([f"... and {len(paths) - MAX_REPORTED} more"] if len(paths) > MAX_REPORTED else [])
    return "\n".join(f"  {line}" for line in shown)


def _documents(kind: str, text: str) -> list:
    if kind == "json":
        return [json.loads(text)]
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _json_differences(expected, actual, path: str):
    if isinstance(expected, dict) and isinstance(actual, dict):
        yield from (f"{path}.{key}: recorded, now missing" for key in expected if key not in actual)
        yield from (f"{path}.{key}: new, not recorded" for key in actual if key not in expected)
        for key in (key for key in expected if key in actual):
            yield from _json_differences(expected[key], actual[key], f"{path}.{key}")
    elif isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            yield f"{path}: {len(expected)} items recorded, {len(actual)} now"
        for index, (left, right) in enumerate(zip(expected, actual)):
            yield from _json_differences(left, right, f"{path}[{index}]")
    elif type(expected) is not type(actual) or expected != actual:  # 1 is not 1.0, nor True
        yield f"{path}: recorded {json.dumps(expected)[:120]}, now {json.dumps(actual)[:120]}"


def _text_diff(expected: str, actual: str) -> str:
    lines = list(difflib.unified_diff(
        expected.splitlines(keepends=True), actual.splitlines(keepends=True), "recorded", "now", n=2
    ))  # fmt: skip
    if not lines:  # only the last line's newline differs
        return f"  recorded ends {expected[-20:]!r}, now {actual[-20:]!r}"
    shown = lines[: MAX_REPORTED * 2] + ([f"... {len(lines) - MAX_REPORTED * 2} more diff lines\n"]
                                         if len(lines) > MAX_REPORTED * 2 else [])  # fmt: skip
    return "\n".join(_cut(line.rstrip("\n")) for line in shown)


def _cut(line: str, width: int = 300) -> str:
    return line if len(line) <= width else f"{line[:width]}... ({len(line)} characters)"
