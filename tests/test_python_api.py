"""The Python API (`lstm_trace.step`, `run`, `grad`) against independent references: the seed question
worked by hand with `math`, torch.nn.LSTM / nn.GRU over sequences (float64 to 1e-10, float32 to 1e-5),
torch autograd for the gradients; its errors, and `help(lstm_trace)` as the reference card."""

from __future__ import annotations

import doctest
import math
import pydoc
import subprocess
import sys

import numpy as np
import pytest
from frameworks import LazyImport

import lstm_trace
from lstm_trace import GRU, LSTM, DataError, UsageError
from tests.torch_backward import lstm_cell_through_time
from tests.torch_lstm import cells_from_torch, torch_per_step_states
from tests.torch_variant_cells import torch_sequence_reference

torch = LazyImport("torch")

SEED_X = [-0.1, 0.3, 0.1, -0.25, 0.1]
SEED_H = [0, 0.5, 0.1, 0.2, 0.6]
HAND_WORKED_F = [0.47502081, 0.68997448, 0.549834, 0.4875026, 0.66818777]
TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


def sigma(a: float) -> float:
    return 1 / (1 + math.exp(-a))


def test_step_of_the_seed_question_is_the_hand_worked_one():
    trace = lstm_trace.step("identity", SEED_X, SEED_H)
    step = trace.steps[0]
    # Identity weights: every gate's pre-activation is hₜ₋₁ + xₜ, and Cₜ₋₁ = 0.
    a = [h + x for h, x in zip(SEED_H, SEED_X)]
    f = [sigma(v) for v in a]
    c = [sigma(v) * math.tanh(v) for v in a]  # fₜ ⊙ 0 + iₜ ⊙ C̃ₜ
    np.testing.assert_allclose(f, HAND_WORKED_F, rtol=0, atol=5e-9)
    np.testing.assert_allclose(step.forget.act, f, rtol=0, atol=1e-15)
    np.testing.assert_allclose(step["forget.act"], f, rtol=0, atol=1e-15)
    np.testing.assert_allclose(step.c, c, rtol=0, atol=1e-15)
    np.testing.assert_allclose(step.h, [sigma(v) * math.tanh(cv) for v, cv in zip(a, c)], rtol=0, atol=1e-15)
    assert trace.cell == LSTM() and trace.dtype == "float64"
    assert trace.notes == ("C_(t-1) was not given, so it is assumed to be zeros.",)


def test_step_takes_a_preset_weights_already_read_a_cell_and_float32():
    assert lstm_trace.step(preset="seed-question").steps[0].forget.act == pytest.approx(HAND_WORKED_F, abs=5e-9)
    weights = lstm_trace.presets.random(hidden_size=4, input_size=3, seed=2)
    from_object = lstm_trace.step(weights, [0.5, -1.0, 2.0], np.ones(4), np.ones(4))
    from_name = lstm_trace.step("random", [0.5, -1.0, 2.0], np.ones(4), np.ones(4), seed=2)
    np.testing.assert_array_equal(from_object.steps[0].h, from_name.steps[0].h)
    gru = lstm_trace.step("random", [0.5, -1.0, 2.0], hidden_size=4, cell=GRU())
    assert gru.cell.variant == "gru" and gru.steps[0].c is None and gru.steps[0].update.act.shape == (4,)
    single = lstm_trace.step("identity", SEED_X, SEED_H, dtype="float32").steps[0]
    assert single.h.dtype == np.float32
    np.testing.assert_allclose(single.forget.act, HAND_WORKED_F, rtol=0, atol=1e-6)


@pytest.mark.framework
def test_run_of_a_stacked_torch_lstm_file_in_float64(tmp_path):
    torch.manual_seed(0)
    H, I, T, B, L, D = 5, 3, 6, 2, 2, 2
    model = torch.nn.LSTM(I, H, num_layers=L, bidirectional=True).double()
    torch.save(model.state_dict(), tmp_path / "lstm.pt")
    rng = np.random.default_rng(0)
    xs, h0, c0 = rng.normal(size=(T, B, I)), rng.normal(size=(L * D, B, H)), rng.normal(size=(L * D, B, H))
    result = lstm_trace.run(tmp_path / "lstm.pt", xs, h0, c0)
    with torch.no_grad():
        output, (h_n, c_n) = model(torch.from_numpy(xs), (torch.from_numpy(h0), torch.from_numpy(c0)))
    check_outputs(result, output, h_n, c_n, TOLERANCE["float64"])
    assert sorted(result.traces) == [(0, "forward"), (0, "reverse"), (1, "forward"), (1, "reverse")]
    for key, (hs, cs) in torch_per_step_states(model, xs, h0, c0).items():  # every step of every cell
        np.testing.assert_allclose(result.traces[key].in_time_order("h"), hs, rtol=0, atol=1e-10, err_msg=str(key))
        np.testing.assert_allclose(result.traces[key].in_time_order("c"), cs, rtol=0, atol=1e-10, err_msg=str(key))
    with pytest.raises(UsageError, match="4 cells"):
        result.trace


@pytest.mark.framework
def test_run_of_torch_lstm_weights_already_read_batch_first_in_float32():
    torch.manual_seed(1)
    H, I, T, B = 4, 6, 5, 3
    model = torch.nn.LSTM(I, H, batch_first=True)
    xs = np.random.default_rng(1).normal(size=(B, T, I)).astype(np.float32)
    result = lstm_trace.run(cells_from_torch(model), xs, batch_first=True, dtype="float32")
    with torch.no_grad():
        output, (h_n, c_n) = model(torch.from_numpy(xs))
    check_outputs(result, output, h_n, c_n, TOLERANCE["float32"])
    assert result.output.dtype == np.float32 and result.trace["forget.act"].shape == (T, B, H)


@pytest.mark.framework
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_run_of_a_torch_gru_file(tmp_path, dtype):
    torch.manual_seed(2)
    H, I, T, L = 4, 3, 7, 2
    model = torch.nn.GRU(I, H, num_layers=L).to(getattr(torch, dtype))
    torch.save(model.state_dict(), tmp_path / "gru.pt")
    rng = np.random.default_rng(2)
    xs, h0 = rng.normal(size=(T, I)).astype(dtype), rng.normal(size=(L, H)).astype(dtype)  # one sequence
    result = lstm_trace.run(tmp_path / "gru.pt", xs, h0, dtype=dtype)  # the file says it is a GRU
    with torch.no_grad():
        output, h_n = model(torch.from_numpy(xs), torch.from_numpy(h0))
    assert result.info.cell == GRU() and result.c_n is None
    check_outputs(result, output, h_n, None, TOLERANCE[dtype])


def check_outputs(result, output, h_n, c_n, atol: float) -> None:
    assert result.output.shape == tuple(output.shape) and result.h_n.shape == tuple(h_n.shape)
    np.testing.assert_allclose(result.output, output.numpy(), rtol=0, atol=atol)
    np.testing.assert_allclose(result.h_n, h_n.numpy(), rtol=0, atol=atol)
    if c_n is not None:
        np.testing.assert_allclose(result.c_n, c_n.numpy(), rtol=0, atol=atol)


@pytest.mark.framework
@pytest.mark.parametrize("steps", [1, 6])
def test_grad_of_an_lstm_against_torch_lstmcell_autograd(steps):
    H, I = 5, 3
    weights = lstm_trace.presets.random(hidden_size=H, input_size=I, seed=4)
    rng = np.random.default_rng(4)
    xs, h0, c0 = rng.uniform(-1, 1, (steps, I)), rng.uniform(-1, 1, H), rng.uniform(-1, 1, H)
    d_h, d_c = rng.uniform(-1, 1, H), rng.uniform(-1, 1, H)
    x = xs[0] if steps == 1 else xs  # one step takes x (I,); a sequence (T, I)
    trace = lstm_trace.grad(weights, x, h0, c0, d_h=d_h, d_c=d_c)
    reference = lstm_cell_through_time(weights, xs, h0, c0, d_h, d_c)  # torch.nn.LSTMCell, unrolled
    grads = [step.backward for step in trace.steps]
    assert len(grads) == steps
    np.testing.assert_allclose(grads[0].d_h_prev, reference["d_h"][0], rtol=0, atol=1e-10)  # ∂L/∂h₀
    np.testing.assert_allclose(grads[0].d_c_prev, reference["d_c"][0], rtol=0, atol=1e-10)  # ∂L/∂C₀
    np.testing.assert_allclose([g.d_x for g in grads], reference["d_x"], rtol=0, atol=1e-10)
    np.testing.assert_allclose([g.d_h for g in grads], reference["d_h"][1:], rtol=0, atol=1e-10)
    for gate in ("forget", "input", "candidate", "output"):
        np.testing.assert_allclose(sum(g.gates[gate].d_W for g in grads), reference["d_W"][gate], rtol=0, atol=1e-10)
        np.testing.assert_allclose(sum(g.gates[gate].d_b for g in grads), reference["d_b"][gate], rtol=0, atol=1e-10)


@pytest.mark.framework
@pytest.mark.parametrize("steps", [1, 6])
def test_grad_of_a_torch_gru_file_against_autograd(tmp_path, steps):
    torch.manual_seed(3)
    H, I = 4, 3
    torch.save(torch.nn.GRU(I, H).double().state_dict(), tmp_path / "gru.pt")
    weights = lstm_trace.read_weights_file(tmp_path / "gru.pt")
    rng = np.random.default_rng(3)
    xs, h0, d_h = rng.uniform(-1, 1, (steps, I)), rng.uniform(-1, 1, H), rng.uniform(-1, 1, H)
    trace = lstm_trace.grad(tmp_path / "gru.pt", xs[0] if steps == 1 else xs, h0, d_h=d_h)
    # The GRU's equations written in torch ops from the weights' arrays; autograd gives every gradient.
    reference = torch_sequence_reference(weights, GRU(), xs, h0, None, d_h, None)
    grads = [step.backward for step in trace.steps]
    assert trace.cell == GRU() and len(grads) == steps
    np.testing.assert_allclose(grads[0].d_h_prev, reference["d_h"][0], rtol=0, atol=1e-10)
    np.testing.assert_allclose([g.d_h for g in grads], reference["d_h"][1:], rtol=0, atol=1e-10)
    for gate in ("reset", "update", "new"):
        np.testing.assert_allclose(sum(g.gates[gate].d_W for g in grads), reference["d_W"][gate], rtol=0, atol=1e-10)
        np.testing.assert_allclose(sum(g.gates[gate].d_b for g in grads), reference["d_b"][gate], rtol=0, atol=1e-10)
    np.testing.assert_allclose(sum(g.d_b_hn for g in grads), reference["d_b_hn"], rtol=0, atol=1e-10)


WEIGHTS = lstm_trace.presets.random(hidden_size=4, input_size=3)


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda: lstm_trace.step(WEIGHTS, [1.0, 2.0]), UsageError, "must have shape (3,)"),
        (lambda: lstm_trace.step(WEIGHTS, [1, 2, 3], h=[0.0] * 5), UsageError, "H = 4"),
        (lambda: lstm_trace.step(WEIGHTS, [[1, 2, 3]]), UsageError, "x has shape (1, 3); expected (I,)"),
        (lambda: lstm_trace.step(WEIGHTS, "1,2,3"), UsageError, "x must be numbers"),
        (lambda: lstm_trace.step(WEIGHTS, [1, [2, 3]]), UsageError, "x must be numbers"),
        (lambda: lstm_trace.step(WEIGHTS, [1, math.nan, 3]), UsageError, "NaN or infinity"),
        (lambda: lstm_trace.step("random", [1, 2]), UsageError, "made to fit the inputs"),  # identity: H = I
        (lambda: lstm_trace.step("weights.txt", [1, 2]), UsageError, "neither a preset"),
        (lambda: lstm_trace.step(WEIGHTS, [1, 2, 3], cell=GRU()), UsageError, "needs GRU weights"),
        (lambda: lstm_trace.step(WEIGHTS, [1, 2, 3], cell=lstm_trace.CellOptions("vanilla")), UsageError, "not known"),
        (lambda: lstm_trace.run(WEIGHTS, [1.0, 2.0, 3.0]), UsageError, "xs has shape (3,); expected (T, I)"),
        (lambda: lstm_trace.run(WEIGHTS), UsageError, "No input sequence"),
        (lambda: lstm_trace.run(WEIGHTS, np.zeros((5, 2))), UsageError, "input size I = 3"),
        (lambda: lstm_trace.run(WEIGHTS, np.zeros((5, 3)), h0=np.ones(3)), UsageError, "must have 4 values"),
        (lambda: lstm_trace.run(WEIGHTS, np.zeros((5, 2, 3)), h0=np.ones((1, 3, 4))), UsageError, "(1, 2, 4)"),
        (lambda: lstm_trace.run("random", np.zeros((5, 3)), hidden_size=4, cell=GRU(), c0=np.ones(4)), UsageError,
         "no cell state"),
        (lambda: lstm_trace.grad(WEIGHTS, [1, 2, 3], d_h=[1.0, 2.0]), UsageError, "--dh must have shape (4,)"),
        (lambda: lstm_trace.grad(WEIGHTS, np.zeros((2, 3, 3))), UsageError, "(I,) for one step or (T, I)"),
        (lambda: lstm_trace.grad(WEIGHTS, np.zeros((4, 2))), UsageError, "each step of --xs"),
        (lambda: lstm_trace.grad("random", [1, 2, 3], hidden_size=4, cell=GRU(), d_c=np.ones(4)), UsageError,
         "drop --dc"),
    ],
)  # fmt: skip
def test_what_does_not_fit_is_a_usage_error_that_says_why(call, error, fragment):
    with pytest.raises(error) as raised:
        call()
    assert fragment in str(raised.value)


def test_a_weights_file_that_is_not_one_is_a_data_error(tmp_path):
    (tmp_path / "broken.npz").write_bytes(b"not a zip file")
    with pytest.raises(DataError):
        lstm_trace.step(tmp_path / "broken.npz", [1.0])


def test_help_is_the_reference_card():
    text = pydoc.render_doc(lstm_trace, renderer=pydoc.plaintext)
    for signature in ("step(weights", "run(weights", "grad(weights", "LSTM(*, peephole", "GRU(*, reset_before"):
        assert signature in text
    for type_name in ("CellOptions", "StepTrace", "BackwardTrace", "Trace", "SequenceRun", "SequenceTrace",
                      "LSTMWeights", "GRUWeights", "UsageError", "DataError"):  # fmt: skip
        assert f"class {type_name}(" in text
    for function in (lstm_trace.step, lstm_trace.run, lstm_trace.grad):
        assert "Returns" in function.__doc__


def test_the_tour_in_the_package_docstring_runs_as_shown():
    failed, attempted = doctest.testmod(lstm_trace, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted >= 10 and failed == 0


def test_every_exported_name_is_there_and_importing_the_package_stays_light():
    for name in lstm_trace.__all__:
        assert getattr(lstm_trace, name) is not None
    probe = "import sys, lstm_trace; print(sorted(m for m in sys.modules if m.startswith('lstm_trace.')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    for module in ("lstm_trace.api", "lstm_trace.engine.sequence", "lstm_trace.engine.grad", "lstm_trace.io.trace_json"):
        assert f"'{module}'" not in loaded  # loaded on first use of step/run/grad or the JSON functions
