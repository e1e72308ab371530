"""Stacks and directions of every cell (`sequence_stack.py`: `run_stack`, `SequenceStream`) against references:
hand-written loops of the equations (float64, 1e-10), torch.nn.LSTM, torch.nn.GRU and torch.nn.LSTM(proj_size=P)
at every step of every cell (float32, 1e-5; float64, 1e-10), and ONNX Runtime's LSTM and GRU operators (float32,
1e-5). A cell on its own: test_sequence_engine.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
from framework_models import onnx_gru_model, onnx_lstm_model
from frameworks import LazyImport
from torch_lstm import cells_from_torch, torch_per_step_states

from lstm_trace import DataError, UsageError, presets
from lstm_trace.cell_options import GRU, LSTM, CellOptions
from lstm_trace.engine.inputs import cell_for_file
from lstm_trace.engine.stack import SequenceStream, initial_states, run_stack, stack_layout
from lstm_trace.weights import read_weight_cells
from lstm_trace.weights.presets import gru_preset, lstm_preset

torch = LazyImport("torch")
onnx = LazyImport("onnx")
onnxruntime = LazyImport("onnxruntime")


def test_stack_mistakes_are_clear_errors():
    weights = presets.random(3, 2, seed=0)
    cells = {(0, "forward"): weights, (1, "forward"): presets.random(3, 5, seed=0)}
    with pytest.raises(DataError, match=r"layer 1, forward has H = 3, I = 5.*I = 3"):
        stack_layout(cells)
    with pytest.raises(DataError, match=r"do not form a stack: found \(layer 0, forward\), \(layer 2, forward\)"):
        stack_layout({(0, "forward"): weights, (2, "forward"): weights})
    with pytest.raises(DataError, match="do not form a stack"):
        stack_layout({(0, "forward"): weights, (0, "reverse"): weights, (1, "forward"): presets.random(3, 6)})
    with pytest.raises(UsageError, match=r"h_0 has shape \(1, 3\).*\(2, 4, 3\)"):
        initial_states(stack_layout({(0, "forward"): weights, (0, "reverse"): weights}), np.zeros((1, 3)), 4, "h_0")
    with pytest.raises(UsageError, match=r"shape \(3,\); expected \(T, I\)"):
        run_stack({(0, "forward"): weights}, np.zeros(3))
    with pytest.raises(UsageError, match="A GRU has no cell state C, so it takes no c_0"):
        run_stack({(0, "forward"): gru_preset("random", 3, 2)}, np.zeros((4, 2)), c0=np.zeros((1, 3)), cell=GRU())


# ---- the options against the equations, one number at a time ---------------------------------


def hand_lstm(weights, xs, h0, c0, forget_bias=0.0, cell_clip=None):
    """The LSTM equations one number at a time, in plain Python floats: (hs, cs), each [t][b][unit]."""
    W = {g: w.tolist() for g, w in weights.W.items()}
    bias = {g: v.tolist() for g, v in weights.b.items()}
    sigmoid = lambda a: 1.0 / (1.0 + math.exp(-a))  # noqa: E731
    hs, cs = [], []
    h, c = h0.tolist(), c0.tolist()
    for x_t in xs.tolist():
        h_row, c_row = [], []
        for b, x in enumerate(x_t):
            z = h[b] + x
            pre = {g: [sum(w * v for w, v in zip(W[g][u], z)) + bias[g][u] for u in range(len(c[b]))] for g in W}
            new_c, new_h = [], []
            for u in range(len(c[b])):
                f = sigmoid(pre["forget"][u] + forget_bias)
                value = f * c[b][u] + sigmoid(pre["input"][u]) * math.tanh(pre["candidate"][u])
                if cell_clip is not None:
                    value = min(cell_clip, max(-cell_clip, value))
                new_c.append(value)
                new_h.append(sigmoid(pre["output"][u]) * math.tanh(value))
            h_row.append(new_h)
            c_row.append(new_c)
        h, c = h_row, c_row
        hs.append(h_row)
        cs.append(c_row)
    return np.array(hs), np.array(cs)


@pytest.mark.parametrize("forget_bias, cell_clip", [(1.0, None), (0.0, 0.3), (-0.5, 0.6)])
def test_forget_bias_and_cell_clip_match_a_hand_written_loop(forget_bias, cell_clip):
    H, I, T, B = 4, 6, 9, 2
    weights = lstm_preset("random", H, I, seed=7)
    rng = np.random.default_rng(5)
    xs, h0, c0 = 2 * rng.normal(size=(T, B, I)), rng.normal(size=(B, H)), rng.normal(size=(B, H))
    cell = LSTM(forget_bias=forget_bias, cell_clip=cell_clip)
    run = run_stack({(0, "forward"): weights}, xs, h0[None], c0[None], cell=cell, keep_trace=True)
    hs, cs = hand_lstm(weights, xs, h0, c0, forget_bias, cell_clip)
    trace = run.traces[(0, "forward")]
    np.testing.assert_allclose(trace["h"], hs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(trace["c"], cs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.output, hs, rtol=0, atol=1e-10)
    if cell_clip is not None:
        assert np.abs(cs).max() == pytest.approx(cell_clip)  # the clip did bite


# ---- stacks against torch.nn.LSTM and torch.nn.GRU --------------------------------------------

STACKS = {
    "one layer": dict(num_layers=1, bidirectional=False),
    "two layers": dict(num_layers=2, bidirectional=False),
    "bidirectional": dict(num_layers=1, bidirectional=True),
    "two layers, bidirectional": dict(num_layers=2, bidirectional=True),
}


def torch_lstm(input_size, hidden_size, seed, dtype="float32", **shape):
    torch.manual_seed(seed)
    return torch.nn.LSTM(input_size, hidden_size, **shape).to(getattr(torch, dtype))


@pytest.mark.framework
@pytest.mark.parametrize("with_states", [False, True], ids=["zero states", "initial states"])
@pytest.mark.parametrize("stack", list(STACKS))
def test_every_step_matches_torch_lstm_in_float32(stack, with_states):
    H, I, T, B = 6, 4, 8, 3
    lstm = torch_lstm(I, H, seed=len(stack), **STACKS[stack])
    cells = cells_from_torch(lstm)
    cells_count = len(cells)
    rng = np.random.default_rng(11)
    xs = rng.normal(size=(T, B, I)).astype(np.float32)
    h0 = rng.normal(size=(cells_count, B, H)).astype(np.float32) if with_states else None
    c0 = rng.normal(size=(cells_count, B, H)).astype(np.float32) if with_states else None

    ours = run_stack(cells, xs, h0, c0, keep_trace=True)
    with torch.no_grad():
        states = None if h0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
        output, (h_n, c_n) = lstm(torch.from_numpy(xs), states)
    assert ours.output.dtype == np.float32
    np.testing.assert_allclose(ours.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.h_n, h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.c_n, c_n.numpy(), rtol=0, atol=1e-5)

    for key, (hs, cs) in torch_per_step_states(lstm, xs, h0, c0).items():
        trace = ours.traces[key]
        np.testing.assert_allclose(trace.in_time_order("h"), hs, rtol=0, atol=1e-5, err_msg=f"h_t of {key}")
        np.testing.assert_allclose(trace.in_time_order("c"), cs, rtol=0, atol=1e-5, err_msg=f"C_t of {key}")

    untraced = run_stack(cells, xs, h0, c0)
    np.testing.assert_array_equal(untraced.output, ours.output)


@pytest.mark.framework
@pytest.mark.parametrize("stack", ["one layer", "two layers, bidirectional"])
def test_batch_first_and_unbatched_inputs_match_torch(stack):
    H, I, T, B = 5, 3, 6, 4
    lstm = torch_lstm(I, H, seed=3, **STACKS[stack])
    batch_first = torch.nn.LSTM(I, H, batch_first=True, **STACKS[stack])
    batch_first.load_state_dict(lstm.state_dict())
    cells = cells_from_torch(lstm)
    xs = np.random.default_rng(2).normal(size=(B, T, I)).astype(np.float32)
    ours = run_stack(cells, xs, batch_first=True)
    one = run_stack(cells, xs[1])  # (T, I): one sequence, no batch dimension
    with torch.no_grad():
        output, (h_n, c_n) = batch_first(torch.from_numpy(xs))
        single, (h_single, _) = lstm(torch.from_numpy(xs[1]))
    assert ours.output.shape == (B, T, output.shape[2]) and one.output.shape == tuple(single.shape)
    np.testing.assert_allclose(ours.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.h_n, h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(ours.c_n, c_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(one.output, single.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(one.h_n, h_single.numpy(), rtol=0, atol=1e-5)


@pytest.mark.framework
def test_float64_stack_matches_torch_to_1e_10():
    lstm = torch_lstm(3, 5, seed=8, dtype="float64", num_layers=2, bidirectional=True)
    xs = np.random.default_rng(8).normal(size=(12, 2, 3))
    ours = run_stack(cells_from_torch(lstm), xs)
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.from_numpy(xs))
    np.testing.assert_allclose(ours.output, output.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.c_n, c_n.numpy(), rtol=0, atol=1e-10)


@pytest.mark.framework
def test_streamed_stack_gives_the_same_outputs_as_torch():
    lstm = torch_lstm(4, 3, seed=9, num_layers=2, bidirectional=True)
    cells = cells_from_torch(lstm)
    xs = np.random.default_rng(9).normal(size=(11, 2, 4)).astype(np.float32)
    zeros = np.zeros((4, 2, 3), np.float32)
    stream = SequenceStream(cells, xs, zeros, zeros, chunk_steps=4)
    seen = [(chunk.layer, chunk.direction, len(chunk.times)) for chunk in stream]
    assert seen == [(layer, d, n) for layer in (0, 1) for d in ("forward", "reverse") for n in (4, 4, 3)]
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.from_numpy(xs))
    np.testing.assert_allclose(stream.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(stream.h_n, h_n.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(stream.c_n, c_n.numpy(), rtol=0, atol=1e-5)


def check_against_torch(model, path, cell, xs, h0, c0=None, batch_first=False):
    """Every step's h (and C) of every cell, the output and the final states, against PyTorch (1e-5)."""
    torch.save(model.state_dict(), path)
    found = read_weight_cells(path)
    assert cell_for_file(found.cells, CellOptions(), None, str(path)) == cell  # the file says which cell
    run = run_stack(found.cells, xs, h0, c0, cell=cell, batch_first=batch_first, keep_trace=True)
    with torch.no_grad():
        state = torch.from_numpy(h0) if c0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
        output, final = model(torch.from_numpy(xs), state)
    np.testing.assert_allclose(run.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(run.h_n, (final if c0 is None else final[0]).numpy(), rtol=0, atol=1e-5)
    if c0 is not None:
        np.testing.assert_allclose(run.c_n, final[1].numpy(), rtol=0, atol=1e-5)
    time_major = xs.transpose(1, 0, 2) if batch_first else xs
    for key, (hs, cs) in torch_per_step_states(model, time_major, h0, c0).items():
        np.testing.assert_allclose(run.traces[key].in_time_order("h"), hs, rtol=0, atol=1e-5, err_msg=str(key))
        if cs is not None:
            np.testing.assert_allclose(run.traces[key].in_time_order("c"), cs, rtol=0, atol=1e-5, err_msg=str(key))
    return run


@pytest.mark.framework
@pytest.mark.parametrize(
    "layers, bidirectional, batch_first, batch",
    [(1, False, False, 1), (2, False, False, 2), (1, True, False, 1), (2, True, True, 3)],
)
def test_gru_stacks_match_torch_gru_at_every_step(tmp_path, layers, bidirectional, batch_first, batch):
    torch.manual_seed(layers * 10 + batch)
    H, I, T, D = 5, 3, 6, 2 if bidirectional else 1
    model = torch.nn.GRU(I, H, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    rng = np.random.default_rng(batch)
    xs = rng.normal(size=(batch, T, I) if batch_first else (T, batch, I)).astype(np.float32)
    h0 = rng.normal(size=(layers * D, batch, H)).astype(np.float32)  # an initial state, not zeros
    run = check_against_torch(model, tmp_path / "gru.pt", GRU(), xs, h0, batch_first=batch_first)
    assert run.c_n is None


@pytest.mark.framework
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
@pytest.mark.parametrize("layers, bidirectional", [(2, False), (2, True)])
def test_projected_lstm_stacks_match_torch_lstm_with_proj_size(tmp_path, layers, bidirectional):
    torch.manual_seed(5)
    H, P, I, T, B, D = 6, 2, 4, 5, 2, 2 if bidirectional else 1
    model = torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional, proj_size=P)
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(T, B, I)).astype(np.float32)
    h0 = rng.normal(size=(layers * D, B, P)).astype(np.float32)  # h has P entries, C keeps H
    c0 = rng.normal(size=(layers * D, B, H)).astype(np.float32)
    run = check_against_torch(model, tmp_path / "proj.pt", LSTM(proj_size=P), xs, h0, c0)
    assert run.traces[(1, "forward")]["x"].shape[2] == D * P  # layer 1 reads the projected outputs below it


# ---- ONNX files against ONNX Runtime ----------------------------------------------------------


def onnx_file(tmp_path, model):
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    found = read_weight_cells(path)
    return path, found.cells, cell_for_file(found.cells, CellOptions(), None, str(path))


def ort_outputs(path, feeds: dict) -> list[np.ndarray]:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {name: value[:, None, :] for name, value in feeds.items()})  # batch of 1


ONNX_LSTMS = {
    "peephole": ({"peephole": True}, LSTM(peephole=True)),
    "cifg": ({"input_forget": 1}, LSTM(cifg=True)),
    "preact clip": ({"clip": 0.6}, LSTM(preact_clip=0.6)),
    "peephole, clip, hard σ": (
        {"peephole": True, "clip": 0.8, "activations": ["HardSigmoid", "Tanh", "Tanh"]},
        LSTM(peephole=True, preact_clip=0.8, gate_activation="hard_sigmoid"),
    ),
}


@pytest.mark.framework
@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
@pytest.mark.parametrize("name", ONNX_LSTMS)
def test_onnx_lstm_variants_match_onnx_runtime_at_every_step(tmp_path, name, direction):
    attributes, expected_cell = ONNX_LSTMS[name]
    H, I, T, D = 4, 3, 6, 2 if direction == "bidirectional" else 1
    if direction == "bidirectional":
        attributes = {**attributes, **({"activations": attributes["activations"] * 2} if "activations" in attributes else {})}
    model = onnx_lstm_model(H, I, seed=11, direction=direction, **attributes)
    path, cells, cell = onnx_file(tmp_path, model)
    assert cell == expected_cell
    rng = np.random.default_rng(4)
    xs = rng.normal(size=(T, I)).astype(np.float32) * 2
    h0, c0 = (rng.normal(size=(D, H)).astype(np.float32) for _ in range(2))
    run = run_stack(cells, xs, h0, c0, cell=cell, keep_trace=True)
    y, y_h, y_c = ort_outputs(path, {"X": xs, "initial_h": h0, "initial_c": c0})  # Y: (T, D, 1, H)
    for d, key in enumerate(sorted(cells)):
        np.testing.assert_allclose(run.traces[key].in_time_order("h"), y[:, d], rtol=0, atol=1e-5, err_msg=str(key))
    np.testing.assert_allclose(run.h_n, y_h[:, 0], rtol=0, atol=1e-5)
    np.testing.assert_allclose(run.c_n, y_c[:, 0], rtol=0, atol=1e-5)
    forward = run.traces[(0, "forward")].in_time_order("c")[:, 0]  # (T, H)
    for t in range(1, T):  # C_t of the forward cell: ONNX Runtime on the first t steps gives it as Y_c
        _, _, y_c_t = ort_outputs(path, {"X": xs[:t], "initial_h": h0, "initial_c": c0})
        np.testing.assert_allclose(forward[t - 1], y_c_t[0, 0], rtol=0, atol=1e-5, err_msg=f"C_{t}")


@pytest.mark.framework
@pytest.mark.parametrize("direction", ["forward", "bidirectional"])
@pytest.mark.parametrize("linear_before_reset", [0, 1])
def test_onnx_gru_matches_onnx_runtime_at_every_step(tmp_path, linear_before_reset, direction):
    H, I, T, D = 5, 2, 6, 2 if direction == "bidirectional" else 1
    model = onnx_gru_model(H, I, seed=13, direction=direction, linear_before_reset=linear_before_reset)
    path, cells, cell = onnx_file(tmp_path, model)
    assert cell == GRU(reset_before=not linear_before_reset)
    rng = np.random.default_rng(6)
    xs, h0 = rng.normal(size=(T, I)).astype(np.float32), rng.normal(size=(D, H)).astype(np.float32)
    run = run_stack(cells, xs, h0, cell=cell, keep_trace=True)
    y, y_h = ort_outputs(path, {"X": xs, "initial_h": h0})
    for d, key in enumerate(sorted(cells)):
        np.testing.assert_allclose(run.traces[key].in_time_order("h"), y[:, d], rtol=0, atol=1e-5, err_msg=str(key))
    np.testing.assert_allclose(run.h_n, y_h[:, 0], rtol=0, atol=1e-5)
