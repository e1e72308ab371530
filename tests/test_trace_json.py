"""The lstm-trace/2 contract for every cell: field names, exact round trips, validation."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest

from lstm_trace import GRU, LSTM, DataError, trace_from_json, trace_to_json
from lstm_trace.engine.step import resolve_inputs, trace_step
from lstm_trace.io.trace_json import dump
from lstm_trace.stages import layout_for

RANDOM_INPUTS = dict(x=np.array([0.5, -1.0, 2.0]), hidden_size=4, weights="random", seed=3)
# Fixed ids: every pytest-xdist worker must collect the same names (hash() of a str changes per process).
TRACES = {
    "seed-question": dict(preset="seed-question"),  # the plain LSTM, identity weights, a title and notes
    "lstm": dict(RANDOM_INPUTS, cell=LSTM()),
    "peephole": dict(RANDOM_INPUTS, cell=LSTM(peephole=True)),
    "cifg-forget-bias": dict(RANDOM_INPUTS, cell=LSTM(cifg=True, forget_bias=1.0)),
    "clips-hard-sigmoid-softsign": dict(RANDOM_INPUTS, cell=LSTM(cell_clip=0.2, preact_clip=0.5,
                                        gate_activation="hard_sigmoid", cell_activation="softsign")),
    "projection": dict(RANDOM_INPUTS, cell=LSTM(proj_size=2)),
    "gru": dict(RANDOM_INPUTS, cell=GRU()),
    "gru-reset-before": dict(RANDOM_INPUTS, cell=GRU(reset_before=True, preact_clip=0.3)),
}  # fmt: skip


def trace_of(name: str, dtype="float64"):
    return trace_step(resolve_inputs(**TRACES[name], dtype=dtype))


def random_trace(cell):
    return trace_step(resolve_inputs(**RANDOM_INPUTS, cell=cell))


# --- every cell's trace reads back exactly --------------------------------------------------------


@pytest.mark.parametrize("name", TRACES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_trip_is_exact(name, dtype):
    trace = trace_of(name, dtype)
    back = trace_from_json(trace_to_json(trace))
    assert back.cell == trace.cell == TRACES[name].get("cell", LSTM())
    assert back.variant == trace.cell.variant and back.dtype == dtype
    assert type(back.steps[0]) is type(trace.steps[0])
    for quantity in layout_for(trace.cell).quantities:
        ours, theirs = trace.steps[0][quantity], back.steps[0][quantity]
        assert (ours is None) == (theirs is None), quantity
        if ours is not None:
            assert theirs.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(theirs, ours, err_msg=quantity)
    assert back.notes == trace.notes and back.title == trace.title


def test_full_precision_not_display_precision():
    content = json.loads(trace_to_json(trace_step(resolve_inputs(x=np.array([0.1, 0.2]), weights="random", hidden_size=3))))
    assert any(len(repr(v)) > 10 for v in content["steps"][0]["h"])


def test_streamed_json_equals_the_one_shot_json():
    trace = trace_step(resolve_inputs(preset="long-memory"))
    stream = io.StringIO()
    dump(trace, stream)
    assert json.loads(stream.getvalue()) == json.loads(trace_to_json(trace))


# --- the fields of each cell's step -----------------------------------------------------------------


def test_contract_fields():
    content = json.loads(trace_to_json(trace_of("seed-question")))
    assert content["format"] == "lstm-trace/2"
    assert (content["hidden_size"], content["input_size"]) == (5, 5)
    assert content["weights"]["source"] == "identity"
    step = content["steps"][0]
    assert step["t"] == 1
    for key in ("x", "h_prev", "c_prev", "concat", "keep", "write", "c", "c_tanh", "h"):
        assert isinstance(step[key], list), key
    for gate in ("forget", "input", "candidate", "output"):
        assert set(step[gate]) >= {"preact", "act"}
    assert len(step["concat"]) == 10


def test_lstm_variant_steps_add_fields_and_keep_the_plain_ones():
    content = json.loads(trace_to_json(random_trace(LSTM(peephole=True, forget_bias=1.0, cell_clip=0.5))))
    step = content["steps"][0]
    for key in ("x", "h_prev", "c_prev", "concat", "keep", "write", "c", "c_tanh", "h"):
        assert key in step
    assert {"peephole", "forget_bias"} <= set(step["forget"]) and "peephole" in step["output"]
    assert "c_unclipped" in step
    cifg = json.loads(trace_to_json(random_trace(LSTM(cifg=True))))["steps"][0]
    assert set(cifg["input"]) == {"act"}  # i = 1 - f: no weights, no pre-activation
    back = trace_from_json(trace_to_json(random_trace(LSTM(cifg=True)))).steps[0]
    assert back.cell.variant == "cifg" and back.input.preact is None and back.input.act is not None


def test_gru_step_shape_is_documented():
    content = json.loads(trace_to_json(trace_of("gru")))
    assert content["variant"] == "gru" and content["cell_options"]["variant"] == "gru"
    step = content["steps"][0]
    assert set(step) == {"t", "x", "h_prev", "reset", "update", "new", "keep", "write", "h"}
    assert set(step["reset"]) == {"wx", "wh", "bias", "preact", "act"}
    assert set(step["new"]) == {"wx", "bias", "wh", "bias_h", "h_part", "gated", "preact", "act"}
    back = trace_from_json(json.dumps(content))
    assert back.steps[0].cell.variant == "gru" and back.steps[0].c is None and back.steps[0].c_prev is None


def test_optional_gate_parts_may_be_missing():
    content = json.loads(trace_to_json(trace_of("seed-question")))
    for gate in ("forget", "input", "candidate", "output"):
        del content["steps"][0][gate]["wz"], content["steps"][0][gate]["bias"]
    back = trace_from_json(json.dumps(content))
    assert back.steps[0].forget.wz is None


def test_plain_trace_without_the_new_keys_reads_as_before():
    trace = trace_of("seed-question")
    content = json.loads(trace_to_json(trace))
    assert content["variant"] == "lstm"
    del content["variant"], content["cell_options"]  # a trace written before variants existed
    back = trace_from_json(json.dumps(content))
    assert back.cell == LSTM() and type(back.steps[0]).__name__ == "StepTrace"
    np.testing.assert_array_equal(back.steps[0].h, trace.steps[0].h)


# --- what is refused, and how it is said ------------------------------------------------------------


@pytest.mark.parametrize(
    "name, mutate, fragment",
    [
        ("seed-question", lambda c: c.update(format="other/2"), "not an lstm-trace trace"),
        ("seed-question", lambda c: c.update(hidden_size=0), "hidden_size must be a positive integer"),
        ("seed-question", lambda c: c.update(steps=[]), "non-empty list"),
        ("seed-question", lambda c: c["steps"][0].pop("h"), "steps[0].h is missing"),
        ("seed-question", lambda c: c["steps"][0]["forget"].update(act=[1, 2]),
         "steps[0].forget.act has 2 numbers; expected 5"),
        ("seed-question", lambda c: c["steps"][0].update(c=["a"] * 5), "steps[0].c must be a list of numbers"),
        ("seed-question", lambda c: c.update(dtype="int8"), "dtype is 'int8'"),
        ("seed-question", lambda c: c.pop("weights"), "\"weights\" must be an object"),
        ("gru", lambda c: c.update(variant="mlp"), "\"variant\" is 'mlp' but \"cell_options\" says 'gru'"),
        ("gru", lambda c: (c.update(variant="mlp"), c["cell_options"].update(variant="mlp")),
         "--variant 'mlp' is not known"),
        ("gru", lambda c: c.update(cell_options=[1]), '"cell_options" must be an object'),
        ("gru", lambda c: c["cell_options"].update(proj_size=-1), "--proj-size must be a positive whole number"),
        ("gru", lambda c: c["cell_options"].update(colour="red"), "unknown keys ['colour']"),
        ("gru", lambda c: c["steps"][0].pop("update"), "steps[0].update.preact is missing"),
        ("gru", lambda c: c["steps"][0]["new"].update(gated=[1.0]), "steps[0].new.gated has 1 numbers; expected 4"),
    ],
)  # fmt: skip
def test_invalid_traces(name, mutate, fragment):
    content = json.loads(trace_to_json(trace_of(name)))
    mutate(content)
    with pytest.raises(DataError) as error:
        trace_from_json(json.dumps(content))
    assert fragment in str(error.value)


def test_not_json():
    with pytest.raises(DataError, match="not valid JSON"):
        trace_from_json("{nope")
