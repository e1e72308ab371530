"""`weights convert`: a cell written in another framework's layout, each file run in its own framework
with the source's numbers (float32, 1e-5). An LSTM and a GRU go PyTorch -> Keras -> ONNX -> safetensors ->
PyTorch; peepholes, cifg, clip, activations and a projection go to the targets that can hold them and are
refused, with nothing written, by the targets that cannot."""

from __future__ import annotations

import json

import numpy as np
import pytest
from framework_models import (
    TOLERANCE,
    keras_run_with_weights_of,
    keras_sequential,
    one_line,
    onnx_gru_model,
    onnx_lstm_model,
    ort_run,
    ort_run_gru,
    step_inputs,
    torch_lstm,
    torch_run,
    traced,
)  # fmt: skip
from frameworks import LazyImport

from lstm_trace import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import lstm_preset, read_weight_cells, read_weights_file

onnx = LazyImport("onnx")
torch = LazyImport("torch")
load_file = LazyImport("safetensors.torch", "load_file")
keras = LazyImport("keras")  # first used after framework_models (imported above) chose the torch backend

pytestmark = [
    pytest.mark.framework,
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN"),
]

H, I, T = 6, 4, 3


@pytest.fixture
def source(tmp_path):
    """A trained-looking nn.LSTM(I, H) saved as a state dict, and what torch computes with it."""
    lstm = torch_lstm(H, I, seed=42)
    path = tmp_path / "source.pt"
    torch.save(lstm.state_dict(), path)
    return lstm, path


def expected_step(lstm):
    x, h, c = step_inputs(H, I, seed=42)
    expected_h, expected_c = torch_run(lstm, x[None], h[None], c[None])
    return (x, h, c), (expected_h[0], expected_c[0])


def convert(cli, source, to, output, *extra):
    result = cli("weights", "convert", str(source), "--to", to, "-o", str(output), *extra)
    assert "Traceback" not in result.output
    return result


def traced_file(path, x, h, c=None):
    """lstm-trace's step on a file, with the cell the file implies."""
    return trace_step(resolve_inputs(weights=str(path), x=x, h=h, c=c)).steps[0]


# --- round trips through every framework -------------------------------------------------------


def test_round_trip_through_every_framework(tmp_path, source, cli, run_cli):
    lstm, pt_path = source
    (x, h, c), (expected_h, expected_c) = expected_step(lstm)
    xs = np.random.default_rng(3).uniform(-1, 1, (T, I)).astype(np.float32)
    zeros = np.zeros((1, H), np.float32)
    expected_sequence_h, _ = torch_run(lstm, xs, zeros, zeros)

    # PyTorch -> Keras, through the real command line.
    keras_path = tmp_path / "model.weights.h5"
    result = run_cli("weights", "convert", str(pt_path), "--to", "keras", "-o", str(keras_path))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    sequential = keras_sequential(T, H, I)
    sequential.load_weights(keras_path)
    keras_h = keras.ops.convert_to_numpy(sequential(xs[None]))[0]
    np.testing.assert_allclose(keras_h, expected_sequence_h[0], atol=TOLERANCE, rtol=0)
    keras_h, keras_c = keras_run_with_weights_of(sequential, x, h, c)
    np.testing.assert_allclose(keras_h, expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(keras_c, expected_c, atol=TOLERANCE, rtol=0)

    # Keras -> ONNX, run by ONNX Runtime.
    onnx_path = tmp_path / "model.onnx"
    assert cli("weights", "convert", str(keras_path), "--to", "onnx", "-o", str(onnx_path)).exit_code == 0
    onnx_h, onnx_c = ort_run(onnx_path, x[None], h[None], c[None])
    np.testing.assert_allclose(onnx_h[0], expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(onnx_c[0], expected_c, atol=TOLERANCE, rtol=0)

    # ONNX -> safetensors, loaded into nn.LSTM.
    safetensors_path = tmp_path / "model.safetensors"
    assert cli("weights", "convert", str(onnx_path), "--to", "safetensors", "-o", str(safetensors_path)).exit_code == 0
    from_safetensors = torch.nn.LSTM(I, H)
    from_safetensors.load_state_dict(load_file(str(safetensors_path)))
    st_h, st_c = torch_run(from_safetensors, x[None], h[None], c[None])
    np.testing.assert_allclose(st_h[0], expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(st_c[0], expected_c, atol=TOLERANCE, rtol=0)

    # safetensors -> PyTorch, loaded with torch.load(weights_only=True).
    back_path = tmp_path / "back.pt"
    assert cli("weights", "convert", str(safetensors_path), "--to", "pytorch", "-o", str(back_path)).exit_code == 0
    back = torch.nn.LSTM(I, H)
    back.load_state_dict(torch.load(back_path, weights_only=True))
    back_h, back_c = torch_run(back, x[None], h[None], c[None])
    np.testing.assert_allclose(back_h[0], expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(back_c[0], expected_c, atol=TOLERANCE, rtol=0)

    # And lstm-trace computes the same step from every file along the way.
    for path in (pt_path, keras_path, onnx_path, safetensors_path, back_path):
        h_t, c_t = traced(read_weights_file(path), x, h, c)
        np.testing.assert_allclose(h_t, expected_h, atol=TOLERANCE, rtol=0, err_msg=str(path))
        np.testing.assert_allclose(c_t, expected_c, atol=TOLERANCE, rtol=0, err_msg=str(path))


def _torch_gru(H, I, seed):
    torch.manual_seed(seed)
    return torch.nn.GRU(I, H)


def test_pytorch_gru_round_trip_through_every_framework(tmp_path, cli):
    gru = _torch_gru(H, I, seed=42)
    source = tmp_path / "source.pt"
    torch.save(gru.state_dict(), source)
    x, h, _ = step_inputs(H, I, seed=42)
    with torch.no_grad():
        _, expected = gru(torch.from_numpy(x[None, None]), torch.from_numpy(h[None, None]))
    expected = expected[0, 0].numpy()

    # PyTorch -> Keras: the usage line's model loads it, and Keras computes the same step.
    keras_path = tmp_path / "gru.weights.h5"
    result = convert(cli, source, "keras", keras_path)
    assert result.exit_code == 0, result.output
    assert f"keras.layers.GRU({H})]).load_weights('gru.weights.h5')" in one_line(result.output)
    sequential = keras.Sequential([keras.Input((1, I)), keras.layers.GRU(H)])
    sequential.load_weights(keras_path)
    xs, h0 = keras.Input((None, I)), keras.Input((H,))
    twin = keras.layers.GRU(H, return_state=True)
    model = keras.Model([xs, h0], twin(xs, initial_state=[h0])[1])
    twin.set_weights(sequential.layers[0].get_weights())
    keras_h = keras.ops.convert_to_numpy(model([x[None, None], h[None]]))[0]
    np.testing.assert_allclose(keras_h, expected, atol=TOLERANCE, rtol=0)

    # Keras -> ONNX (a GRU node, linear_before_reset = 1), run by ONNX Runtime.
    onnx_path = tmp_path / "gru.onnx"
    assert convert(cli, keras_path, "onnx", onnx_path).exit_code == 0
    np.testing.assert_allclose(ort_run_gru(onnx_path, x[None], h[None])[0], expected, atol=TOLERANCE, rtol=0)

    # ONNX -> safetensors -> PyTorch, loaded into nn.GRU.
    safetensors_path, back_path = tmp_path / "gru.safetensors", tmp_path / "back.pt"
    assert convert(cli, onnx_path, "safetensors", safetensors_path).exit_code == 0
    assert convert(cli, safetensors_path, "pytorch", back_path).exit_code == 0
    for state in (load_file(str(safetensors_path)), torch.load(back_path, weights_only=True)):
        back = torch.nn.GRU(I, H)
        back.load_state_dict(state)
        with torch.no_grad():
            _, back_h = back(torch.from_numpy(x[None, None]), torch.from_numpy(h[None, None]))
        np.testing.assert_allclose(back_h[0, 0].numpy(), expected, atol=TOLERANCE, rtol=0)
    # PyTorch's two biases survived as they were: b_hn is still bias_hh_l0's n block.
    np.testing.assert_array_equal(torch.load(back_path, weights_only=True)["bias_hh_l0"], gru.bias_hh_l0.detach())

    for path in (source, keras_path, onnx_path, safetensors_path, back_path):
        np.testing.assert_allclose(traced_file(path, x, h).h, expected, atol=TOLERANCE, rtol=0, err_msg=path.name)


# --- biases, usage lines, the native target, one cell of a stack ----------------------------------


def test_pytorch_to_onnx_keeps_both_biases_as_they_were(tmp_path, source, cli):
    lstm, pt_path = source
    onnx_path = tmp_path / "model.onnx"
    result = cli("weights", "convert", str(pt_path), "--to", "onnx", "-o", str(onnx_path))
    assert result.exit_code == 0 and "Both stored biases were written as they were" in result.output
    parts = read_weight_cells(onnx_path).bias_parts[(0, "forward")]
    b_ih = lstm.bias_ih_l0.detach().numpy()
    np.testing.assert_array_equal(parts["Wb"]["candidate"], b_ih[2 * H : 3 * H])  # PyTorch's g block
    (x, h, c), (expected_h, expected_c) = expected_step(lstm)
    onnx_h, onnx_c = ort_run(onnx_path, x[None], h[None], c[None])
    np.testing.assert_allclose(onnx_h[0], expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(onnx_c[0], expected_c, atol=TOLERANCE, rtol=0)


def test_keras_target_says_the_two_biases_were_summed_and_how_to_load(tmp_path, source, cli):
    _, pt_path = source
    result = cli("weights", "convert", str(pt_path), "--to", "keras", "-o", str(tmp_path / "k.weights.h5"))
    assert result.exit_code == 0, result.output
    output = one_line(result.output)
    assert "written as their sum" in output
    assert f"keras.Sequential([keras.Input((T, {I})), keras.layers.LSTM({H})]).load_weights('k.weights.h5')" in output


def test_npz_target_is_the_native_format(tmp_path, source, cli):
    lstm, pt_path = source
    npz_path = tmp_path / "cell.npz"
    assert cli("weights", "convert", str(pt_path), "--to", "npz", "-o", str(npz_path)).exit_code == 0
    with np.load(npz_path, allow_pickle=False) as arrays:
        assert sorted(arrays.files) == sorted(["W_f", "W_i", "W_c", "W_o", "b_f", "b_i", "b_c", "b_o"])
        W_f = arrays["W_f"]
    weight_hh, weight_ih = lstm.weight_hh_l0.detach().numpy(), lstm.weight_ih_l0.detach().numpy()
    np.testing.assert_array_equal(W_f, np.hstack([weight_hh[H : 2 * H], weight_ih[H : 2 * H]]))  # rows H:2H = f
    (x, h, c), (expected_h, _) = expected_step(lstm)
    np.testing.assert_allclose(traced(read_weights_file(npz_path), x, h, c)[0], expected_h, atol=TOLERANCE, rtol=0)


def test_one_cell_of_a_stack_is_converted(tmp_path, cli):
    stack = torch_lstm(3, 2, seed=1, num_layers=2, bidirectional=True)
    path = tmp_path / "stack.pt"
    torch.save(stack.state_dict(), path)
    refused = cli("weights", "convert", str(path), "--to", "onnx", "-o", str(tmp_path / "x.onnx"))
    assert refused.exit_code == 2
    assert "The file holds: 0 'l0' (forward, reverse); 1 'l1' (forward, reverse)" in one_line(refused.output)
    assert not (tmp_path / "x.onnx").exists()
    out = tmp_path / "l1r.pt"
    chosen = cli(
        "weights", "convert", str(path), "--to", "pytorch", "-o", str(out), "--layer", "1", "--direction", "reverse"
    )
    assert chosen.exit_code == 0, chosen.output
    single = torch.nn.LSTM(6, 3)  # layer 1 of a bidirectional stack reads 2H = 6 inputs
    single.load_state_dict(torch.load(out, weights_only=True))
    np.testing.assert_array_equal(single.weight_hh_l0.detach().numpy(), stack.weight_hh_l1_reverse.detach().numpy())
    np.testing.assert_array_equal(single.bias_hh_l0.detach().numpy(), stack.bias_hh_l1_reverse.detach().numpy())


# --- cell options go where they can be held --------------------------------------------------------


@pytest.mark.parametrize(
    "attributes",
    [
        {"peephole": True, "clip": 0.6, "activations": ["HardSigmoid", "Softsign", "Softsign"]},
        {"input_forget": 1, "clip": 0.5, "activations": ["Sigmoid", "Relu", "Relu"]},
    ],
    ids=["peephole+clip+activations", "input_forget+clip+relu"],
)
def test_onnx_variants_to_onnx_and_npz_and_back(tmp_path, cli, attributes):
    H, I = 5, 3
    source = tmp_path / "source.onnx"
    onnx.save(onnx_lstm_model(H, I, seed=13, **attributes), source)
    x, h, c = step_inputs(H, I, seed=13)
    expected_h, expected_c = ort_run(source, x[None], h[None], c[None])

    rewritten, npz, back = tmp_path / "rewritten.onnx", tmp_path / "cell.npz", tmp_path / "back.onnx"
    result = convert(cli, source, "onnx", rewritten)
    assert result.exit_code == 0, result.output
    assert "Cell options written with it: --variant" in one_line(result.output)
    assert convert(cli, source, "npz", npz).exit_code == 0
    assert convert(cli, npz, "onnx", back).exit_code == 0  # the native file carried the options
    for path in (rewritten, back):
        onnx_h, onnx_c = ort_run(path, x[None], h[None], c[None])
        np.testing.assert_allclose(onnx_h, expected_h, atol=TOLERANCE, rtol=0, err_msg=path.name)
        np.testing.assert_allclose(onnx_c, expected_c, atol=TOLERANCE, rtol=0, err_msg=path.name)
    for path in (rewritten, npz, back):
        step = traced_file(path, x, h, c)
        np.testing.assert_allclose(step.h, expected_h[0], atol=TOLERANCE, rtol=0, err_msg=path.name)


def test_keras_gru_reset_before_with_softsign_to_onnx_and_keras(tmp_path, cli):
    H, I = 4, 3
    layer = keras.layers.GRU(H, reset_after=False, activation="softsign", return_state=True,
                             bias_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=1))  # fmt: skip
    xs, h0 = keras.Input((None, I)), keras.Input((H,))
    model = keras.Model([xs, h0], layer(xs, initial_state=[h0])[1])
    model.save(tmp_path / "source.keras")
    x, h, _ = step_inputs(H, I, seed=4)
    expected = keras.ops.convert_to_numpy(model([x[None, None], h[None]]))[0]

    onnx_path = tmp_path / "gru.onnx"
    result = convert(cli, tmp_path / "source.keras", "onnx", onnx_path)
    assert result.exit_code == 0, result.output
    assert "--variant gru --cell-activation softsign --gru-reset-before" in one_line(result.output)
    np.testing.assert_allclose(ort_run_gru(onnx_path, x[None], h[None])[0], expected, atol=TOLERANCE, rtol=0)

    keras_path = tmp_path / "gru.weights.h5"
    result = convert(cli, onnx_path, "keras", keras_path)
    assert result.exit_code == 0, result.output
    assert f"keras.layers.GRU({H}, activation='softsign', reset_after=False)" in one_line(result.output)
    rebuilt = keras.Sequential([keras.Input((1, I)), keras.layers.GRU(H, activation="softsign", reset_after=False)])
    rebuilt.load_weights(keras_path)
    layer.set_weights(rebuilt.layers[0].get_weights())  # the same layer type, now with the converted weights
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model([x[None, None], h[None]]))[0], expected,
                               atol=TOLERANCE, rtol=0)  # fmt: skip

    refused = convert(cli, onnx_path, "pytorch", tmp_path / "gru.pt")
    assert refused.exit_code == 2 and "nn.GRU applies the reset gate after W_hn" in one_line(refused.output)
    assert not (tmp_path / "gru.pt").exists()


def test_onnx_gru_with_linear_before_reset_0_keeps_its_convention(tmp_path, cli):
    H, I = 3, 5
    source = tmp_path / "source.onnx"
    onnx.save(onnx_gru_model(H, I, seed=8, linear_before_reset=0), source)
    x, h, _ = step_inputs(H, I, seed=8)
    expected = ort_run_gru(source, x[None], h[None])[0]
    for to, name in (("onnx", "again.onnx"), ("npz", "gru.npz")):
        assert convert(cli, source, to, tmp_path / name).exit_code == 0
    np.testing.assert_allclose(ort_run_gru(tmp_path / "again.onnx", x[None], h[None])[0], expected, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(traced_file(tmp_path / "gru.npz", x, h).h, expected, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("to, suffix", [("pytorch", ".pt"), ("safetensors", ".safetensors"), ("npz", ".npz")])
def test_projection_to_the_targets_that_hold_it(tmp_path, cli, to, suffix):
    H, P, I = 6, 2, 3
    torch.manual_seed(5)
    lstm = torch.nn.LSTM(I, H, proj_size=P)
    source = tmp_path / "source.pt"
    torch.save(lstm.state_dict(), source)
    x, _, c = step_inputs(H, I, seed=5)
    h = np.random.default_rng(0).uniform(-1, 1, P).astype(np.float32)
    with torch.no_grad():
        _, (expected_h, expected_c) = lstm(torch.from_numpy(x[None, None]),
                                           (torch.from_numpy(h[None, None]), torch.from_numpy(c[None, None])))  # fmt: skip
    output = tmp_path / f"out{suffix}"
    result = convert(cli, source, to, output)
    assert result.exit_code == 0, result.output
    if to != "npz":
        assert f"proj_size={P}" in one_line(result.output)
        state = load_file(str(output)) if to == "safetensors" else torch.load(output, weights_only=True)
        back = torch.nn.LSTM(I, H, proj_size=P)
        back.load_state_dict(state)
        with torch.no_grad():
            _, (back_h, _) = back(torch.from_numpy(x[None, None]), (torch.from_numpy(h[None, None]), torch.from_numpy(c[None, None])))
        np.testing.assert_allclose(back_h[0, 0].numpy(), expected_h[0, 0].numpy(), atol=TOLERANCE, rtol=0)
    step = traced_file(output, x, h, c)
    np.testing.assert_allclose(step.h, expected_h[0, 0].numpy(), atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(step.c, expected_c[0, 0].numpy(), atol=TOLERANCE, rtol=0)


def test_native_cell_options_reach_onnx(tmp_path, cli):
    """A native .npz with cell_options (clip, hard σ) becomes an ONNX node with clip and activations."""
    H, I = 4, 3
    weights = lstm_preset("random", H, I, seed=2, peepholes=True)
    arrays = {**weights.as_arrays(), "cell_options": np.array(json.dumps({"preact_clip": 0.3,
                                                                          "gate_activation": "hard_sigmoid"}))}  # fmt: skip
    np.savez(tmp_path / "cell.npz", **arrays)
    x, h, c = step_inputs(H, I, seed=2)
    cell = CellOptions(variant="peephole", preact_clip=0.3, gate_activation="hard_sigmoid")
    expected = cell_step(read_weights_file(tmp_path / "cell.npz"), x, h, c, cell)
    assert convert(cli, tmp_path / "cell.npz", "onnx", tmp_path / "cell.onnx").exit_code == 0
    onnx_h, onnx_c = ort_run(tmp_path / "cell.onnx", x[None], h[None], c[None])
    np.testing.assert_allclose(onnx_h[0], expected.h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(onnx_c[0], expected.c, atol=TOLERANCE, rtol=0)
    assert read_weight_cells(tmp_path / "cell.onnx").cells[(0, "forward")].provenance["cell_options"] == {
        "variant": "peephole", "preact_clip": 0.3, "gate_activation": "hard_sigmoid"}  # fmt: skip


# --- refusals: nothing is written ---------------------------------------------------------------


@pytest.mark.parametrize(
    "make, to, fragment",
    [
        ("peephole", "keras", "--to keras cannot hold this cell's --variant peephole"),
        ("peephole", "pytorch", "(nn.LSTM has no peepholes and no coupled gates)"),
        ("cifg", "safetensors", "cannot hold this cell's --variant cifg"),
        ("hard_sigmoid", "keras", "Keras 3's hard_sigmoid is relu6(x + 3) / 6"),
        ("clip", "pytorch", "cannot hold this cell's --preact-clip 0.5"),
        ("proj", "onnx", "ONNX's LSTM operator has no projection"),
        ("proj", "keras", "cannot hold this cell's --proj-size 2"),
        ("forget_bias", "onnx", "cannot hold this cell's --forget-bias 1"),
    ],
)
def test_targets_that_cannot_hold_a_variant_refuse_it(tmp_path, cli, make, to, fragment):
    if make == "proj":
        torch.manual_seed(0)
        source = tmp_path / "source.pt"
        torch.save(torch.nn.LSTM(3, 4, proj_size=2).state_dict(), source)
    elif make == "forget_bias":
        source = tmp_path / "source.npz"
        np.savez(source, **lstm_preset("random", 4, 3).as_arrays(), cell_options=np.array('{"forget_bias": 1.0}'))
    else:
        attributes = {"peephole": {"peephole": True}, "cifg": {"input_forget": 1}, "clip": {"clip": 0.5},
                      "hard_sigmoid": {"activations": ["HardSigmoid", "Tanh", "Tanh"]}}[make]  # fmt: skip
        source = tmp_path / "source.onnx"
        onnx.save(onnx_lstm_model(4, 3, seed=0, **attributes), source)
    output = tmp_path / {"keras": "out.weights.h5", "pytorch": "out.pt", "safetensors": "out.safetensors",
                         "onnx": "out.onnx"}[to]  # fmt: skip
    result = convert(cli, source, to, output)
    assert result.exit_code == 2
    message = one_line(result.output)
    assert fragment in message and "nothing was written" in message and "Targets that hold it:" in message
    assert not output.exists()


def test_output_name_and_target_are_checked_before_writing(tmp_path, source, cli):
    _, pt_path = source
    wrong_suffix = cli("weights", "convert", str(pt_path), "--to", "keras", "-o", str(tmp_path / "k.h5"))
    assert wrong_suffix.exit_code == 2 and "ending in .weights.h5" in one_line(wrong_suffix.output)
    unknown = cli("weights", "convert", str(pt_path), "--to", "tensorflow", "-o", str(tmp_path / "t.pb"))
    assert unknown.exit_code == 2 and "choose one of pytorch, safetensors, keras, onnx, npz" in one_line(unknown.output)
    no_directory = cli("weights", "convert", str(pt_path), "--to", "onnx", "-o", str(tmp_path / "missing" / "m.onnx"))
    assert no_directory.exit_code == 2 and "does not exist" in one_line(no_directory.output)
    same_file = cli("weights", "convert", str(pt_path), "--to", "pytorch", "-o", str(pt_path))
    assert same_file.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["source.pt"]  # nothing written, no temporary left


def test_a_failed_conversion_leaves_the_existing_output_untouched(tmp_path, cli):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a pickle at all")
    out = tmp_path / "out.onnx"
    out.write_bytes(b"previous content")
    result = cli("weights", "convert", str(bad), "--to", "onnx", "-o", str(out))
    assert result.exit_code == 1
    assert out.read_bytes() == b"previous content"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.pt", "out.onnx"]
