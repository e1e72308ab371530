"""The lstm-trace/1 contract with variants: plain traces read as before, variant steps round-trip exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import DataError, trace_from_json, trace_to_json
from lstm_trace.stages import layout_for
from lstm_trace.engine.step import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions

CELLS = [
    CellOptions(variant="peephole"),
    CellOptions(variant="cifg", forget_bias=1.0),
    CellOptions(cell_clip=0.2, preact_clip=0.5, gate_activation="hard_sigmoid", cell_activation="softsign"),
    CellOptions(proj_size=2),
    CellOptions(variant="gru"),
    CellOptions(variant="gru", gru_reset_before=True, preact_clip=0.3),
]


def variant_trace(cell: CellOptions, dtype="float64"):
    inputs = resolve_inputs(
        x=np.array([0.5, -1.0, 2.0]), hidden_size=4, weights="random", seed=3, dtype=dtype, cell=cell
    )
    return trace_step(inputs)


# Fixed ids: every pytest-xdist worker must collect the same names (hash() of a str changes per process).
CELL_IDS = ["peephole", "cifg-forget-bias", "clips-hard-sigmoid-softsign", "projection", "gru", "gru-reset-before"]


@pytest.mark.parametrize("cell", CELLS, ids=CELL_IDS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_variant_traces_round_trip_exactly(cell, dtype):
    trace = variant_trace(cell, dtype)
    back = trace_from_json(trace_to_json(trace))
    assert back.cell == cell and back.variant == cell.variant and back.dtype == dtype
    assert type(back.steps[0]) is type(trace.steps[0])
    for name in layout_for(cell).quantities:
        ours, theirs = trace.steps[0][name], back.steps[0][name]
        assert (ours is None) == (theirs is None), name
        if ours is not None:
            assert theirs.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(theirs, ours, err_msg=name)


def test_gru_step_shape_is_documented():
    content = json.loads(trace_to_json(variant_trace(CellOptions(variant="gru"))))
    assert content["variant"] == "gru" and content["cell_options"]["variant"] == "gru"
    step = content["steps"][0]
    assert set(step) == {"t", "x", "h_prev", "reset", "update", "new", "keep", "write", "h"}
    assert set(step["reset"]) == {"wx", "wh", "bias", "preact", "act"}
    assert set(step["new"]) == {"wx", "bias", "wh", "bias_h", "h_part", "gated", "preact", "act"}
    back = trace_from_json(json.dumps(content))
    assert back.steps[0].cell.variant == "gru" and back.steps[0].c is None and back.steps[0].c_prev is None


def test_lstm_variant_steps_add_fields_and_keep_the_plain_ones():
    content = json.loads(trace_to_json(variant_trace(CellOptions(variant="peephole", forget_bias=1.0, cell_clip=0.5))))
    step = content["steps"][0]
    for key in ("x", "h_prev", "c_prev", "concat", "keep", "write", "c", "c_tanh", "h"):
        assert key in step
    assert {"peephole", "forget_bias"} <= set(step["forget"]) and "peephole" in step["output"]
    assert "c_unclipped" in step
    cifg = json.loads(trace_to_json(variant_trace(CellOptions(variant="cifg"))))["steps"][0]
    assert set(cifg["input"]) == {"act"}  # i = 1 - f: no weights, no pre-activation
    back = trace_from_json(trace_to_json(variant_trace(CellOptions(variant="cifg")))).steps[0]
    assert back.cell.variant == "cifg" and back.input.preact is None and back.input.act is not None


def test_plain_trace_without_the_new_keys_reads_as_before():
    trace = trace_step(resolve_inputs(preset="seed-question"))
    content = json.loads(trace_to_json(trace))
    assert content["variant"] == "lstm"
    del content["variant"], content["cell_options"]  # a trace written before variants existed
    back = trace_from_json(json.dumps(content))
    assert back.cell.is_plain and type(back.steps[0]).__name__ == "StepTrace"
    np.testing.assert_array_equal(back.steps[0].h, trace.steps[0].h)


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda c: c.update(variant="mlp"), "\"variant\" is 'mlp' but \"cell_options\" says 'gru'"),
        (lambda c: (c.update(variant="mlp"), c["cell_options"].update(variant="mlp")), "--variant 'mlp' is not known"),
        (lambda c: c.update(cell_options=[1]), '"cell_options" must be an object'),
        (lambda c: c["cell_options"].update(proj_size=-1), "--proj-size must be a positive whole number"),
        (lambda c: c["cell_options"].update(colour="red"), "unknown keys ['colour']"),
        (lambda c: c["steps"][0].pop("update"), "steps[0].update.preact is missing"),
        (lambda c: c["steps"][0]["new"].update(gated=[1.0]), "steps[0].new.gated has 1 numbers; expected 4"),
    ],
)
def test_invalid_variant_traces(mutate, fragment):
    content = json.loads(trace_to_json(variant_trace(CellOptions(variant="gru"))))
    mutate(content)
    with pytest.raises(DataError) as error:
        trace_from_json(json.dumps(content))
    assert fragment in str(error.value)
