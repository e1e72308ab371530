"""`weights convert`: PyTorch -> Keras -> ONNX -> safetensors -> PyTorch, each file run in its own framework."""

from __future__ import annotations

import numpy as np
import pytest

from framework_models import (
    TOLERANCE, keras_run_with_weights_of, keras_sequential, one_line, ort_run, step_inputs, torch_lstm, torch_run,
    traced,
)  # fmt: skip
from frameworks import LazyImport
from lstm_trace.weights import read_weight_cells, read_weights_file

torch = LazyImport("torch")
load_file = LazyImport("safetensors.torch", "load_file")
keras = LazyImport("keras")  # first used after framework_models (imported above) chose the torch backend

pytestmark = [
    pytest.mark.framework,
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
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
