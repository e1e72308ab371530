"""The variant cells over whole sequences (`variants/sequence.py`, stacks of them) against references:
the one-step cell (float64), hand-written loops of the equations (float64, 1e-10), torch.nn.GRU and
torch.nn.LSTM(proj_size=P), and ONNX Runtime's LSTM and GRU operators (float32, 1e-5)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_trace.stages import layout_for
from lstm_trace.cells.options import CellOptions
from lstm_trace.variants.sequence import run_stack, trace_variant_chunks
from lstm_trace.inputs import cell_for_file
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import read_weight_cells
from lstm_trace.weights.presets import gru_preset, lstm_preset

from tests.framework_models import onnx_gru_model, onnx_lstm_model

CELLS = {
    "gru": CellOptions(variant="gru"),
    "gru reset before, clip, hard σ": CellOptions(variant="gru", gru_reset_before=True, preact_clip=0.7,
                                                  gate_activation="hard_sigmoid"),  # fmt: skip
    "peephole, forget bias, both clips": CellOptions(variant="peephole", forget_bias=1.0, cell_clip=0.4, preact_clip=1.5),
    "cifg, softsign": CellOptions(variant="cifg", cell_activation="softsign"),
    "projection": CellOptions(proj_size=2),
}


def weights_for(cell: CellOptions, H: int, I: int, seed: int):
    if cell.variant == "gru":
        return gru_preset("random", H, I, seed)
    return lstm_preset("random", H, I, seed, peepholes=cell.variant == "peephole", proj_size=cell.proj_size)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("name", CELLS)
def test_every_value_of_every_step_matches_the_one_step_cell(name, reverse):
    cell, (H, I, T, B) = CELLS[name], (5, 3, 7, 2)
    weights = weights_for(cell, H, I, seed=3)
    rng = np.random.default_rng(1)
    xs, h0 = rng.normal(size=(T, B, I)), rng.normal(size=(B, weights.h_size))
    c0 = rng.normal(size=(B, H)) if cell.has_cell_state else None
    chunks = [chunk.copy() for chunk in trace_variant_chunks(weights, xs, h0, c0, cell=cell, reverse=reverse, chunk_steps=3)]
    assert [len(chunk.times) for chunk in chunks] == [3, 3, 1]
    computed = [(chunk, k) for chunk in chunks for k in range(chunk.steps)]
    for b in range(B):
        h, c = h0[b], None if c0 is None else c0[b]
        for (chunk, k), t in zip(computed, range(T, 0, -1) if reverse else range(1, T + 1)):
            expected = cell_step(weights, xs[t - 1, b], h, c, cell, t)
            got = chunk.step(k, b)
            assert type(got) is type(expected) and got.t == t
            for quantity in layout_for(cell).quantities:
                if expected[quantity] is None:
                    assert got[quantity] is None, quantity
                else:
                    np.testing.assert_allclose(got[quantity], expected[quantity], rtol=0, atol=1e-12, err_msg=quantity)
            h, c = expected.h, getattr(expected, "c", None)


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
    cell = CellOptions(forget_bias=forget_bias, cell_clip=cell_clip)
    run = run_stack({(0, "forward"): weights}, cell, xs, h0[None], c0[None])
    hs, cs = hand_lstm(weights, xs, h0, c0, forget_bias, cell_clip)
    trace = run.traces[(0, "forward")]
    np.testing.assert_allclose(trace["h"], hs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(trace["c"], cs, rtol=0, atol=1e-10)
    np.testing.assert_allclose(run.output, hs, rtol=0, atol=1e-10)
    if cell_clip is not None:
        assert np.abs(cs).max() == pytest.approx(cell_clip)  # the clip did bite


def torch_per_step(model, xs: np.ndarray, h0: np.ndarray, c0: np.ndarray | None = None):
    """{(layer, direction): (hs, cs)} of a torch.nn.GRU/LSTM, each cell run one step per call; (T, B, ·) in
    time order (cs None for a GRU). xs is (T, B, I)."""
    import torch

    is_lstm = isinstance(model, torch.nn.LSTM)
    D, P = 2 if model.bidirectional else 1, getattr(model, "proj_size", 0)
    states, layer_input = {}, xs
    for layer in range(model.num_layers):
        outputs = []
        for d, direction in enumerate(("forward", "reverse")[:D]):
            options = {"proj_size": P} if P else {}
            single = type(model)(layer_input.shape[2], model.hidden_size, **options)
            suffix = "_reverse" if d else ""
            parameters = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") + (("weight_hr",) if P else ())
            with torch.no_grad():
                for kind in parameters:
                    getattr(single, f"{kind}_l0").copy_(getattr(model, f"{kind}_l{layer}{suffix}"))
                h = torch.from_numpy(h0[layer * D + d][None].copy())
                c = None if c0 is None else torch.from_numpy(c0[layer * D + d][None].copy())
                hs, cs = [None] * len(xs), [None] * len(xs)
                for t in range(len(xs) - 1, -1, -1) if d else range(len(xs)):
                    step = torch.from_numpy(np.ascontiguousarray(layer_input[t : t + 1]))
                    if is_lstm:
                        _, (h, c) = single(step, (h, c))
                        cs[t] = c[0].numpy()
                    else:
                        _, h = single(step, h)
                    hs[t] = h[0].numpy()
            states[(layer, direction)] = (np.stack(hs), np.stack(cs) if is_lstm else None)
            outputs.append(np.stack(hs))
        layer_input = np.concatenate(outputs, axis=2)
    return states


def check_against_torch(model, path, cell, xs, h0, c0=None, batch_first=False):
    """Every step's h (and C) of every cell, the output and the final states, against PyTorch (1e-5)."""
    import torch

    torch.save(model.state_dict(), path)
    found = read_weight_cells(path)
    assert cell_for_file(found.cells, CellOptions(), None, str(path)) == cell  # the file says which cell
    run = run_stack(found.cells, cell, xs, h0, c0, batch_first=batch_first)
    with torch.no_grad():
        state = torch.from_numpy(h0) if c0 is None else (torch.from_numpy(h0), torch.from_numpy(c0))
        output, final = model(torch.from_numpy(xs), state)
    np.testing.assert_allclose(run.output, output.numpy(), rtol=0, atol=1e-5)
    np.testing.assert_allclose(run.h_n, (final if c0 is None else final[0]).numpy(), rtol=0, atol=1e-5)
    if c0 is not None:
        np.testing.assert_allclose(run.c_n, final[1].numpy(), rtol=0, atol=1e-5)
    time_major = xs.transpose(1, 0, 2) if batch_first else xs
    for key, (hs, cs) in torch_per_step(model, time_major, h0, c0).items():
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
    import torch

    torch.manual_seed(layers * 10 + batch)
    H, I, T, D = 5, 3, 6, 2 if bidirectional else 1
    model = torch.nn.GRU(I, H, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    rng = np.random.default_rng(batch)
    xs = rng.normal(size=(batch, T, I) if batch_first else (T, batch, I)).astype(np.float32)
    h0 = rng.normal(size=(layers * D, batch, H)).astype(np.float32)  # an initial state, not zeros
    run = check_against_torch(model, tmp_path / "gru.pt", CellOptions(variant="gru"), xs, h0, batch_first=batch_first)
    assert run.c_n is None


@pytest.mark.framework
@pytest.mark.parametrize("layers, bidirectional", [(2, False), (2, True)])
def test_projected_lstm_stacks_match_torch_lstm_with_proj_size(tmp_path, layers, bidirectional):
    import torch

    torch.manual_seed(5)
    H, P, I, T, B, D = 6, 2, 4, 5, 2, 2 if bidirectional else 1
    model = torch.nn.LSTM(I, H, num_layers=layers, bidirectional=bidirectional, proj_size=P)
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(T, B, I)).astype(np.float32)
    h0 = rng.normal(size=(layers * D, B, P)).astype(np.float32)  # h has P entries, C keeps H
    c0 = rng.normal(size=(layers * D, B, H)).astype(np.float32)
    run = check_against_torch(model, tmp_path / "proj.pt", CellOptions(proj_size=P), xs, h0, c0)
    assert run.traces[(1, "forward")]["x"].shape[2] == D * P  # layer 1 reads the projected outputs below it


def onnx_file(tmp_path, model):
    import onnx

    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    found = read_weight_cells(path)
    return path, found.cells, cell_for_file(found.cells, CellOptions(), None, str(path))


def ort_outputs(path, feeds: dict) -> list[np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {name: value[:, None, :] for name, value in feeds.items()})  # batch of 1


ONNX_LSTMS = {
    "peephole": ({"peephole": True}, CellOptions(variant="peephole")),
    "cifg": ({"input_forget": 1}, CellOptions(variant="cifg")),
    "preact clip": ({"clip": 0.6}, CellOptions(preact_clip=0.6)),
    "peephole, clip, hard σ": (
        {"peephole": True, "clip": 0.8, "activations": ["HardSigmoid", "Tanh", "Tanh"]},
        CellOptions(variant="peephole", preact_clip=0.8, gate_activation="hard_sigmoid"),
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
    run = run_stack(cells, cell, xs, h0, c0)
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
    assert cell == CellOptions(variant="gru", gru_reset_before=not linear_before_reset)
    rng = np.random.default_rng(6)
    xs, h0 = rng.normal(size=(T, I)).astype(np.float32), rng.normal(size=(D, H)).astype(np.float32)
    run = run_stack(cells, cell, xs, h0)
    y, y_h = ort_outputs(path, {"X": xs, "initial_h": h0})
    for d, key in enumerate(sorted(cells)):
        np.testing.assert_allclose(run.traces[key].in_time_order("h"), y[:, d], rtol=0, atol=1e-5, err_msg=str(key))
    np.testing.assert_allclose(run.h_n, y_h[:, 0], rtol=0, atol=1e-5)
