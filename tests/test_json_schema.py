"""The JSON contract as a JSON Schema: what the CLI writes validates, malformed traces do not.

lstm_trace/schema/trace.schema.json describes lstm-trace/2 (step --json, grad --json, run --json and every
line of run --jsonl); stage.schema.json describes lstm-trace-stage/1 (what the walk's `j` key prints).
Every command runs in-process for the plain LSTM and every variant and option. The malformed cases show
the schema rejects them and that `show` (the reader) does too; where the reader is more lenient than the
schema, the case is an expected failure that names the disagreement.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files

import numpy as np
import pytest
from jsonschema import Draft202012Validator

SCHEMAS = files("lstm_trace") / "schema"
TRACE_SCHEMA = json.loads((SCHEMAS / "trace.schema.json").read_text(encoding="utf-8"))
STAGE_SCHEMA = json.loads((SCHEMAS / "stage.schema.json").read_text(encoding="utf-8"))
TRACE = Draft202012Validator(TRACE_SCHEMA)
STAGE = Draft202012Validator(STAGE_SCHEMA)

STEP_INPUTS = ("--hidden-size", "3", "--x", "0.5,-1", "--weights", "random")
SEQUENCE_INPUTS = ("--xs", "0.5,-0.2;0.1,0.9;-0.7,0.3", "--hidden-size", "3", "--weights", "random")  # T = 3

# Every variant and option, alone and together, as options of step, grad, run and walk.
CELLS = {
    "lstm": (),
    "float32": ("--dtype", "float32"),
    "peephole": ("--variant", "peephole"),
    "cifg": ("--variant", "cifg"),
    "gru": ("--variant", "gru"),
    "gru-reset-before": ("--variant", "gru", "--gru-reset-before"),
    "forget-bias": ("--forget-bias", "1"),
    "cell-clip": ("--cell-clip", "0.5"),
    "preact-clip": ("--preact-clip", "0.5"),
    "proj-size": ("--proj-size", "2"),
    "hard-sigmoid": ("--gate-activation", "hard_sigmoid"),
    "relu": ("--cell-activation", "relu"),
    "softsign": ("--cell-activation", "softsign"),
    "peephole-every-option": ("--variant", "peephole", "--forget-bias", "0.5", "--cell-clip", "1", "--preact-clip",
                              "2", "--proj-size", "2", "--gate-activation", "hard_sigmoid", "--dtype", "float32"),
    "cifg-every-option": ("--variant", "cifg", "--forget-bias", "0.5", "--cell-clip", "1", "--preact-clip", "2",
                          "--proj-size", "1", "--cell-activation", "softsign"),
    "gru-every-option": ("--variant", "gru", "--gru-reset-before", "--preact-clip", "1", "--gate-activation",
                         "hard_sigmoid", "--cell-activation", "relu", "--dtype", "float32"),
}  # fmt: skip
JSON_BLOCK = re.compile(r"^\{$.*?^\}$", re.MULTILINE | re.DOTALL)  # how the walk prints a stage as JSON


def written(cli, *args: str) -> list[dict]:
    """What the command printed: one JSON document, or each line of JSON Lines."""
    result = cli(*args)
    assert result.exit_code == 0, result.output
    if "--jsonl" in args:
        return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    return [json.loads(result.stdout)]


def errors(validator: Draft202012Validator, document) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
            for error in validator.iter_errors(document)]  # fmt: skip


def assert_valid(document) -> None:
    found = errors(TRACE, document)
    assert not found, "\n".join(found[:10])


def assert_jsonl_valid(lines: list[dict]) -> None:
    """Every line alone, and the file as the reader sees it: the header with "steps": [the other lines]."""
    header, steps = lines[0], lines[1:]
    assert "format" in header and "steps" not in header and steps
    for line in lines:
        assert_valid(line)
    assert_valid({**header, "steps": steps})


def test_the_schemas_are_valid_draft_2020_12_schemas():
    for schema in (TRACE_SCHEMA, STAGE_SCHEMA):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        Draft202012Validator.check_schema(schema)


# ── What the CLI writes ──────────────────────────────────────────────────────


@pytest.mark.parametrize("options", CELLS.values(), ids=CELLS.keys())
def test_step_and_grad_traces_are_valid(cli, options):
    for command in ("step", "grad"):
        (document,) = written(cli, command, *STEP_INPUTS, *options, "--json")
        assert ("backward" in document["steps"][0]) == (command == "grad")
        assert_valid(document)


@pytest.mark.parametrize("options", CELLS.values(), ids=CELLS.keys())
def test_grad_through_time_is_valid(cli, options):
    (document,) = written(cli, "grad", *SEQUENCE_INPUTS, *options, "--json")
    assert len(document["steps"]) == 3 and "through_time" in document
    assert_valid(document)


def test_grad_through_time_beside_an_rnn_is_valid(cli):
    (document,) = written(cli, "grad", *SEQUENCE_INPUTS, "--compare-rnn", "--json")
    assert "rnn" in document["through_time"]
    assert_valid(document)


def test_a_preset_trace_with_its_title_is_valid(cli):
    for command in ("step", "grad"):
        (document,) = written(cli, command, "--preset", "seed-question", "--json")
        assert isinstance(document["title"], str)
        assert_valid(document)


@pytest.mark.parametrize("options", CELLS.values(), ids=CELLS.keys())
def test_run_json_and_every_line_of_jsonl_are_valid(cli, options):
    (document,) = written(cli, "run", *SEQUENCE_INPUTS, *options, "--json")
    assert document["sequence_length"] == 3 and "outputs" in document
    assert_valid(document)
    assert_jsonl_valid(written(cli, "run", *SEQUENCE_INPUTS, *options, "--jsonl"))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_runs_written_by_the_standard_library_are_valid(cli, monkeypatch, cell):
    monkeypatch.setenv("LSTM_TRACE_JSON", "json")  # instead of orjson, when it is installed
    (document,) = written(cli, "run", *SEQUENCE_INPUTS, *CELLS[cell], "--json")
    assert_valid(document)
    assert_jsonl_valid(written(cli, "run", *SEQUENCE_INPUTS, *CELLS[cell], "--jsonl"))


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[str, ...]:
    """Inputs of a run over a batch: xs of shape (T, B, I) = (3, 2, 2)."""
    path = tmp_path_factory.mktemp("inputs") / "xs-batch.npy"
    np.save(path, np.sin(np.arange(12.0)).reshape(3, 2, 2))
    return ("--xs", f"@{path}", "--hidden-size", "3", "--weights", "random")


@pytest.mark.parametrize("options", [(), ("--batch-first",), ("--variant", "gru")], ids=["lstm", "batch-first", "gru"])
def test_batched_runs_are_valid(cli, batch, options):
    (document,) = written(cli, "run", *batch, *options, "--json")
    assert document["batch_size"] in (2, 3) and "b" in document["steps"][0]  # (T, B, I) or, batch first, (B, T, I)
    assert_valid(document)
    assert_jsonl_valid(written(cli, "run", *batch, *options, "--jsonl"))


@pytest.fixture(scope="module")
def stacks(tmp_path_factory) -> dict[str, str]:
    """The state dicts of torch.nn.LSTM(2, 2, num_layers=2, bidirectional=True) and of the same GRU."""
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    folder = tmp_path_factory.mktemp("stacks")
    paths = {}
    for cell, blocks in (("lstm", 4), ("gru", 3)):
        rows, arrays = 2 * blocks, {}
        for layer, width in ((0, 2), (1, 4)):  # layer 1 reads both directions of layer 0
            for direction, suffix in enumerate(("", "_reverse")):
                shapes = {"weight_ih": (rows, width), "weight_hh": (rows, 2), "bias_ih": (rows,), "bias_hh": (rows,)}
                for seed, (name, shape) in enumerate(shapes.items(), start=10 * layer + 5 * direction):
                    values = 0.5 * np.sin(np.arange(np.prod(shape)) + seed)
                    arrays[f"{name}_l{layer}{suffix}"] = values.reshape(shape).astype(np.float32)
        paths[cell] = str(folder / f"{cell}-stack.safetensors")
        safetensors_numpy.save_file(arrays, paths[cell])
    return paths


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stacked_bidirectional_runs_are_valid(cli, stacks, cell, dtype):
    args = ("run", "--xs", "0.5,-0.2;0.1,0.9", "--weights", stacks[cell], "--dtype", dtype)
    (document,) = written(cli, *args, "--json")
    assert len(document["cells"]) == 4 and {"layer", "direction"} <= set(document["steps"][0])
    assert_valid(document)
    assert_jsonl_valid(written(cli, *args, "--jsonl"))


def test_one_cell_of_a_stack_is_valid(cli, stacks):
    (document,) = written(cli, "run", "--xs", "0.5,-0.2,1,0;0.1,0.9,0,1", "--weights", stacks["lstm"],
                          "--layer", "1", "--direction", "reverse", "--json")  # fmt: skip
    assert [cell["direction"] for cell in document["cells"]] == ["reverse"]
    assert_valid(document)


# ── The walk's stage documents (lstm-trace-stage/1) ──────────────────────────


@pytest.mark.parametrize("name", ["lstm", "peephole-every-option", "cifg-every-option", "gru", "gru-every-option"])
def test_every_stage_the_walk_prints_as_json_is_valid(cli, name):
    result = cli("walk", *STEP_INPUTS, *CELLS[name], input="j\nn\n" * 10 + "q\n")
    assert result.exit_code == 0, result.output
    stages = int(re.search(r"Stage 1 of (\d+)", result.stdout).group(1))
    documents = [json.loads(text) for text in JSON_BLOCK.findall(result.stdout)]
    assert len({document["stage"] for document in documents}) == stages
    for document in documents:
        found = errors(STAGE, document)
        assert not found, "\n".join(found)


def test_a_stage_document_with_a_name_the_contract_lacks_is_rejected(cli):
    result = cli("walk", *STEP_INPUTS, input="j\nq\n")
    document = json.loads(JSON_BLOCK.search(result.stdout).group(0))
    assert not errors(STAGE, document)
    assert errors(STAGE, {**document, "forgt": {"act": [0.5]}})
    assert errors(STAGE, {key: value for key, value in document.items() if key != "equation"})


# ── Malformed traces ─────────────────────────────────────────────────────────
# Each case: the command whose output is spoiled, and how. The schema rejects every one, and so does
# `show`, except where the reader is more lenient (an expected failure saying why): a place where the
# reader and the contract disagree.


def _parent(document: dict, path: str) -> tuple[dict | list, str | int]:
    *parents, key = (int(part) if part.isdigit() else part for part in path.split("."))
    for part in parents:
        document = document[part]
    return document, key


def drop(path: str):
    def mutate(document):
        parent, key = _parent(document, path)
        del parent[key]

    return mutate


def put(path: str, value):
    def mutate(document):
        parent, key = _parent(document, path)
        parent[key] = value

    return mutate


def reader_lenient(reason: str = "the reader ignores it"):
    return pytest.mark.xfail(reason=f"schema and reader disagree: {reason}", strict=True, raises=AssertionError)


STEP = ("step", *STEP_INPUTS, "--json")
GRAD = ("grad", *STEP_INPUTS, "--json")
CIFG = ("step", *STEP_INPUTS, "--variant", "cifg", "--json")
GRU = ("step", *STEP_INPUTS, "--variant", "gru", "--json")
GRU_RESET_BEFORE = ("step", *STEP_INPUTS, "--variant", "gru", "--gru-reset-before", "--json")
GRAD_XS = ("grad", *SEQUENCE_INPUTS, "--json")
RUN = ("run", *SEQUENCE_INPUTS, "--json")
GRU_RUN = ("run", *SEQUENCE_INPUTS, "--variant", "gru", "--json")
ZEROS = [0.0, 0.0, 0.0]
NOT_READ = "it does not read \"outputs\" or \"through_time\" back"

MALFORMED = [
    ("missing-hidden-size", STEP, drop("hidden_size"), ()),
    ("hidden-size-a-string", STEP, put("hidden_size", "3"), ()),
    ("unknown-format", STEP, put("format", "lstm-trace/3"), ()),
    ("unknown-dtype", STEP, put("dtype", "float16"), ()),
    ("notes-not-strings", STEP, put("notes", [1]), ()),
    ("weights-without-source", STEP, put("weights", {"seed": 0}), ()),
    ("no-steps", STEP, put("steps", []), ()),
    ("missing-h", STEP, drop("steps.0.h"), ()),
    ("h-holds-a-string", STEP, put("steps.0.h.0", "0.5"), ()),
    ("h-holds-a-boolean", STEP, put("steps.0.h.0", True), ()),
    ("lstm-step-without-forget", STEP, drop("steps.0.forget"), ()),
    ("gate-without-act", STEP, drop("steps.0.output.act"), ()),
    ("t-not-an-integer", STEP, put("steps.0.t", 1.5), ()),
    ("unknown-cell-option", STEP, put("cell_options.peepholes", True), ()),
    ("variant-and-cell-options-disagree", GRU, put("cell_options.variant", "lstm"), ()),
    ("gru-with-a-cell-clip", GRU, put("cell_options.cell_clip", 1.0), ()),
    ("forget-bias-without-its-field", STEP, put("cell_options.forget_bias", 1.0), ()),
    ("preact-clip-without-clipped", STEP, put("cell_options.preact_clip", 1.0), ()),
    ("cell-clip-without-c-unclipped", STEP, put("cell_options.cell_clip", 1.0), ()),
    ("proj-size-without-h-unprojected", STEP, put("cell_options.proj_size", 2), ()),
    ("peephole-without-peephole-fields", STEP, put("variant", "peephole"), ()),
    ("gru-reset-before-without-reset-h", GRU, put("cell_options.gru_reset_before", True), ()),
    ("gru-step-without-update", GRU, drop("steps.0.update"), ()),
    ("backward-without-d-x", GRAD, drop("steps.0.backward.d_x"), ()),
    ("backward-without-d-c-prev", GRAD, drop("steps.0.backward.d_c_prev"), ()),
    ("backward-gate-without-d-w", GRAD, drop("steps.0.backward.forget.d_W"), ()),
    ("backward-d-w-a-vector", GRAD, put("steps.0.backward.input.d_W", [0.5]), ()),
    ("backward-unknown-gradient", GRAD, put("steps.0.backward.d_q", [0.5]), ()),
    ("sequence-length-zero", RUN, put("sequence_length", 0), ()),
    ("gru-step-with-c", GRU, put("steps.0.c", ZEROS), reader_lenient()),
    ("lstm-step-with-a-misspelt-field", STEP, put("steps.0.forgt", ZEROS), reader_lenient()),
    ("gate-with-a-misspelt-part", STEP, put("steps.0.forget.atc", ZEROS), reader_lenient()),
    ("cifg-input-with-a-preact", CIFG, put("steps.0.input.preact", ZEROS), reader_lenient()),
    ("plain-gate-with-a-peephole", STEP, put("steps.0.forget.peephole", ZEROS), reader_lenient()),
    ("reset-before-with-h-part", GRU_RESET_BEFORE, put("steps.0.new.h_part", ZEROS), reader_lenient()),
    ("step-trace-with-a-batch-index", STEP, put("steps.0.b", 0), reader_lenient()),
    ("step-without-t", STEP, drop("steps.0.t"), reader_lenient("a missing t is read as t = 1")),
    ("backward-with-an-unknown-block", GRAD, put("steps.0.backward.forgt", {"d_act": ZEROS}),
     reader_lenient("it takes any object of known gradient parts in \"backward\"")),
    ("plain-backward-with-peephole-gradients", GRAD, put("steps.0.backward.peephole", {"forget": ZEROS}),
     reader_lenient("it takes peephole gradients whatever the cell")),
    ("weights-source-not-a-string", STEP, put("weights.source", 3), reader_lenient("it only asks for a source")),
    ("outputs-without-h-n", RUN, drop("outputs.h_n"), reader_lenient(NOT_READ)),
    ("lstm-outputs-without-c-n", RUN, drop("outputs.c_n"), reader_lenient(NOT_READ)),
    ("gru-outputs-with-c-n", GRU_RUN, put("outputs.c_n", [ZEROS]), reader_lenient(NOT_READ)),
    ("through-time-without-d-h-norm", GRAD_XS, drop("through_time.d_h_norm"), reader_lenient(NOT_READ)),
]  # fmt: skip


@pytest.mark.parametrize("command, mutate", [pytest.param(c, m, id=name) for name, c, m, _ in MALFORMED])
def test_the_schema_rejects_a_malformed_trace(cli, command, mutate):
    (document,) = written(cli, *command)
    assert_valid(document)
    mutate(document)
    assert errors(TRACE, document), "the schema accepted it"


@pytest.mark.parametrize(
    "command, mutate", [pytest.param(c, m, id=name, marks=marks) for name, c, m, marks in MALFORMED]
)
def test_the_reader_rejects_it_too(cli, tmp_path, command, mutate):
    (document,) = written(cli, *command)
    mutate(document)
    assert show_fails(cli, document, tmp_path)


def show_fails(cli, document: dict, folder) -> bool:
    """`show` reads the document back and stops with an error message (exit code 1), not a crash."""
    path = folder / "spoiled.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    result = cli("show", str(path))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a crash is never an expected failure
    return result.exit_code == 1 and "Error" in result.output


def test_a_jsonl_step_line_is_checked_alone_and_against_its_header(cli):
    gru_header, gru_step, *_ = written(cli, "run", *SEQUENCE_INPUTS, "--variant", "gru", "--jsonl")
    lstm_header, lstm_step, *_ = written(cli, "run", *SEQUENCE_INPUTS, "--jsonl")
    assert errors(TRACE, {key: value for key, value in gru_step.items() if key != "update"})
    assert errors(TRACE, {**gru_step, "c": ZEROS})
    assert not errors(TRACE, lstm_step)  # a valid step line alone ...
    assert errors(TRACE, {**gru_header, "steps": [lstm_step]})  # ... but not a step of a GRU's trace
    assert errors(TRACE, {**lstm_header, "outputs": {}})  # a header line has no outputs


def test_the_steps_of_a_stack_name_their_cell_and_only_then(cli, stacks, tmp_path):
    (document,) = written(cli, "run", "--xs", "0.5,-0.2;0.1,0.9", "--weights", stacks["lstm"], "--json")
    assert errors(TRACE, {key: value for key, value in document.items() if key != "cells"})
    del document["steps"][-1]["layer"]
    assert errors(TRACE, document)
    assert show_fails(cli, document, tmp_path)


def test_a_cell_of_a_stack_without_its_layer_is_rejected(cli, stacks, tmp_path):
    (document,) = written(cli, "run", "--xs", "0.5,-0.2;0.1,0.9", "--weights", stacks["lstm"], "--json")
    del document["cells"][0]["layer"]
    assert errors(TRACE, document)
    assert show_fails(cli, document, tmp_path)


def test_the_steps_of_a_batch_say_their_element(cli, batch, tmp_path):
    (document,) = written(cli, "run", *batch, "--json")
    assert errors(TRACE, {**document, "batch_size": None})  # the outputs then have a dimension too many
    del document["steps"][-1]["b"]
    assert errors(TRACE, document)
    assert show_fails(cli, document, tmp_path)
