"""Property-based checks of the cell and the CLI: random sizes, vectors and weights."""

from __future__ import annotations

import json
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstm_trace import LSTMTraceError, LSTMWeights, lstm_step
from lstm_trace.stages import GATES

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, width=64)


@st.composite
def cells(draw):
    H = draw(st.integers(1, 12))
    I = draw(st.integers(1, 12))
    dtype = draw(st.sampled_from(["float64", "float32"]))
    scale = draw(st.sampled_from([0.125, 1.0, 100.0]))
    weight = st.floats(-scale, scale, allow_nan=False, width=32)
    W = {g.name: draw(arrays(np.float64, (H, H + I), elements=weight)) for g in GATES}
    b = {g.name: draw(arrays(np.float64, (H,), elements=weight)) for g in GATES}
    weights = LSTMWeights(W=W, b=b, provenance={"source": "hypothesis"}).astype(dtype)
    x = draw(arrays(np.float64, (I,), elements=finite))
    h = draw(arrays(np.float64, (H,), elements=st.floats(-1, 1, width=32)))
    c = draw(arrays(np.float64, (H,), elements=st.floats(-1e3, 1e3, width=32)))
    return weights, x, h, c


@settings(max_examples=200, deadline=None)
@given(cells())
def test_cell_invariants(cell):
    weights, x, h, c = cell
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no invalid value
        step = lstm_step(weights, x, h, c)
    for name in ("forget", "input", "output"):
        act = step.gate(name).act
        assert np.all((act >= 0) & (act <= 1))
    assert np.all(np.abs(step.candidate.act) <= 1)
    assert np.all(np.abs(step.h) <= 1)
    for name in ("keep", "write", "c", "h"):
        assert np.all(np.isfinite(step[name])), name
    assert np.array_equal(step.c, step.forget.act * step.c_prev + step.input.act * step.candidate.act)
    assert step.h.dtype == weights.dtype


vector_text = st.lists(finite, min_size=1, max_size=6).map(lambda values: ",".join(repr(v) for v in values))
any_text = st.text(alphabet="0123456789,.-e []naif;@x", max_size=12)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(h=st.one_of(vector_text, any_text), x=st.one_of(vector_text, any_text), weights=st.sampled_from(["identity", "zeros", "random"]))
def test_cli_never_escapes_with_an_exception(cli, h, x, weights):
    result = cli("step", "--h", h, "--x", x, "--weights", weights, "--json")
    if result.exit_code == 0:
        content = json.loads(result.output)
        step = content["steps"][0]
        assert all(np.isfinite(step["h"])) and all(0 <= v <= 1 for v in step["forget"]["act"])
    else:
        assert result.exit_code in (1, 2), result.output
        assert result.exception is None or isinstance(result.exception, (SystemExit, LSTMTraceError))
        assert "Traceback" not in result.output
