"""The lstm-trace/2 contract: field names, exact round trips, validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import DataError, trace_from_json, trace_to_json
from lstm_trace.engine.step import resolve_inputs, trace_step


def seed_trace(dtype="float64"):
    return trace_step(resolve_inputs(preset="seed-question", dtype=dtype))


def test_contract_fields():
    content = json.loads(trace_to_json(seed_trace()))
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


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_round_trip_is_exact(dtype):
    trace = seed_trace(dtype)
    back = trace_from_json(trace_to_json(trace))
    assert back.dtype == dtype
    for name in ("concat", "forget.act", "candidate.preact", "c", "h"):
        assert back.steps[0][name].dtype == np.dtype(dtype)
        np.testing.assert_array_equal(back.steps[0][name], trace.steps[0][name])
    assert back.notes == trace.notes and back.title == trace.title


def test_full_precision_not_display_precision():
    content = json.loads(trace_to_json(trace_step(resolve_inputs(x=np.array([0.1, 0.2]), weights="random", hidden_size=3))))
    assert any(len(repr(v)) > 10 for v in content["steps"][0]["h"])


def test_optional_gate_parts_may_be_missing():
    content = json.loads(trace_to_json(seed_trace()))
    for gate in ("forget", "input", "candidate", "output"):
        del content["steps"][0][gate]["wz"], content["steps"][0][gate]["bias"]
    back = trace_from_json(json.dumps(content))
    assert back.steps[0].forget.wz is None


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda c: c.update(format="other/2"), "not an lstm-trace trace"),
        (lambda c: c.update(hidden_size=0), "hidden_size must be a positive integer"),
        (lambda c: c.update(steps=[]), "non-empty list"),
        (lambda c: c["steps"][0].pop("h"), "steps[0].h is missing"),
        (lambda c: c["steps"][0]["forget"].update(act=[1, 2]), "steps[0].forget.act has 2 numbers; expected 5"),
        (lambda c: c["steps"][0].update(c=["a"] * 5), "steps[0].c must be a list of numbers"),
        (lambda c: c.update(dtype="int8"), "dtype is 'int8'"),
        (lambda c: c.pop("weights"), "\"weights\" must be an object"),
    ],
)
def test_invalid_traces(mutate, fragment):
    content = json.loads(trace_to_json(seed_trace()))
    mutate(content)
    with pytest.raises(DataError) as error:
        trace_from_json(json.dumps(content))
    assert fragment in str(error.value)


def test_not_json():
    with pytest.raises(DataError, match="not valid JSON"):
        trace_from_json("{nope")




def test_streamed_json_equals_the_one_shot_json():
    import io

    from lstm_trace.io.trace_json import dump

    trace = trace_step(resolve_inputs(preset="long-memory"))
    stream = io.StringIO()
    dump(trace, stream)
    assert json.loads(stream.getvalue()) == json.loads(trace_to_json(trace))
