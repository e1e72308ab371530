"""Keras 3 files (.keras and .weights.h5): every cell lstm-trace reads computes what Keras computes."""

from __future__ import annotations

import numpy as np
import pytest

from framework_models import (
    SIZES, TOLERANCE, keras_lstm_layer, keras_run, keras_state_model, one_line, step_inputs, traced,
)  # fmt: skip
from frameworks import LazyImport
from lstm_trace.weights import LayerSelection, read_weight_cells, read_weights_file

keras = LazyImport("keras")  # first used after framework_models (imported above) chose the torch backend

pytestmark = [
    pytest.mark.framework,
    # Keras' torch backend converts tensors the NumPy 1 way; not ours to fix.
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
]


@pytest.mark.parametrize("H, I", SIZES)
@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_functional_model_with_state_matches_keras(tmp_path, H, I, suffix):
    model = keras_state_model(H, I, seed=H * 10 + I)
    path = tmp_path / f"model{suffix}"
    model.save(path) if suffix == ".keras" else model.save_weights(path)
    x, h, c = step_inputs(H, I, seed=1)
    expected_h, expected_c = keras_run(model, x, h, c)

    weights = read_weights_file(path)
    h_t, c_t = traced(weights, x, h, c)
    np.testing.assert_allclose(h_t, expected_h, atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c, atol=TOLERANCE, rtol=0)
    assert weights.provenance["framework"] == "Keras"
    assert weights.provenance["mapping"].startswith(
        "Keras columns 0:H -> input gate, H:2H -> forget, 2H:3H -> candidate, 3H:4H -> output"
    )


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_sequential_lstm(tmp_path, suffix):
    """The issue's model, keras.Sequential([keras.Input((T, I)), keras.layers.LSTM(H)]), over 3 steps."""
    H, I, T = 6, 4, 3
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((T, I)), keras_lstm_layer(H, seed=30), keras.layers.Dense(2)])
    path = tmp_path / f"seq{suffix}"
    model.save(path) if suffix == ".keras" else model.save_weights(path)
    xs = np.random.default_rng(0).uniform(-1, 1, (T, I)).astype(np.float32)
    lstm_only = keras.Model(model.inputs, model.layers[0].output)
    expected_h = keras.ops.convert_to_numpy(lstm_only([xs[None]]))[0]

    weights = read_weights_file(path)
    h, c = np.zeros(H), np.zeros(H)
    for x in xs:
        h, c = traced(weights, x, h, c)
    np.testing.assert_allclose(h, expected_h, atol=TOLERANCE, rtol=0)


def test_stacked_and_bidirectional_keras_layers(tmp_path):
    I, H1, H2 = 3, 5, 4
    keras.utils.set_random_seed(4)
    xs_in = keras.Input((1, I))
    both = keras.layers.Bidirectional(keras_lstm_layer(H1, seed=40, return_sequences=True), name="both")(xs_in)
    top = keras_lstm_layer(H2, seed=50, name="top")(both)
    model = keras.Model(xs_in, [both, top])
    path = tmp_path / "stack.keras"
    model.save(path)
    x, _, _ = step_inputs(H1, I, seed=6)
    expected_both, expected_top = (keras.ops.convert_to_numpy(v)[0] for v in model(x[None, None]))

    weights_file = read_weight_cells(path)
    assert sorted(weights_file.cells) == [(0, "forward"), (0, "reverse"), (1, "forward")]
    assert weights_file.layer_names == {0: "both", 1: "top"}
    h_forward, _ = traced(weights_file.cells[(0, "forward")], x, np.zeros(H1), np.zeros(H1))
    h_reverse, _ = traced(weights_file.cells[(0, "reverse")], x, np.zeros(H1), np.zeros(H1))
    np.testing.assert_allclose(np.concatenate([h_forward, h_reverse]), expected_both[0], atol=TOLERANCE, rtol=0)
    h_top, _ = traced(weights_file.cells[(1, "forward")], expected_both[0], np.zeros(H2), np.zeros(H2))
    np.testing.assert_allclose(h_top, expected_top, atol=TOLERANCE, rtol=0)
    by_name = read_weights_file(path, LayerSelection("top", None))
    np.testing.assert_array_equal(by_name.W["output"], weights_file.cells[(1, "forward")].W["output"])


def test_keras_3_hard_sigmoid_is_reported_not_computed(tmp_path, cli):
    """Keras 3's hard_sigmoid is relu6(x + 3) / 6, not lstm-trace's (and ONNX's) clip(0.2·x + 0.5, 0, 1)."""
    layer = keras.layers.LSTM(4, recurrent_activation="hard_sigmoid", name="old")
    model = keras.Sequential([keras.Input((2, 3)), layer])
    path = tmp_path / "hard.keras"
    model.save(path)
    result = cli("step", "--weights", str(path), "--x", "1,2,3")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "recurrent_activation='hard_sigmoid', which Keras 3 computes as relu6(x + 3) / 6" in one_line(result.output)
    inspected = cli("weights", "inspect", str(path))
    assert inspected.exit_code == 0
    assert "cannot trace: Layer 0 (old) uses recurrent_activation='hard_sigmoid'" in one_line(inspected.output)
    gelu = keras.Sequential([keras.Input((2, 3)), keras.layers.GRU(4, activation="gelu", name="smooth")])
    gelu.save(tmp_path / "gelu.keras")
    refused = cli("step", "--weights", str(tmp_path / "gelu.keras"), "--x", "1,2,3")
    assert refused.exit_code == 1 and "Layer 0 (smooth) uses activation='gelu'" in one_line(refused.output)


def test_weights_h5_says_activations_are_assumed(tmp_path, cli):
    model = keras.Sequential([keras.Input((2, 3)), keras.layers.LSTM(4)])
    model.save_weights(tmp_path / "m.weights.h5")
    result = cli("weights", "inspect", str(tmp_path / "m.weights.h5"))
    assert result.exit_code == 0, result.output
    output = one_line(result.output)
    assert "Keras, 1 LSTM cell(s)" in output and "gate order: i, f, c, o" in output
    assert "Keras' defaults are assumed" in output


def test_lstm_without_bias(tmp_path):
    H, I = 3, 5
    model = keras.Sequential([keras.Input((1, I)), keras_lstm_layer(H, seed=60, use_bias=False)])
    model.save_weights(tmp_path / "nobias.weights.h5")
    x, _, _ = step_inputs(H, I, seed=60)
    expected_h = keras.ops.convert_to_numpy(model(x[None, None]))[0]
    weights = read_weights_file(tmp_path / "nobias.weights.h5")
    assert all(not b.any() for b in weights.b.values()) and "use_bias=False" in weights.provenance["mapping"]
    h_t, _ = traced(weights, x, np.zeros(H), np.zeros(H))
    np.testing.assert_allclose(h_t, expected_h, atol=TOLERANCE, rtol=0)


def test_legacy_whole_model_h5(tmp_path):
    """Keras' legacy HDF5 format (model.save("m.h5")): datasets named kernel, recurrent_kernel, bias."""
    import warnings

    H, I = 5, 3
    model = keras.Sequential([keras.Input((1, I)), keras.layers.Bidirectional(keras_lstm_layer(H, seed=70))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras advises the .keras format
        model.save(tmp_path / "legacy.h5")
    x, _, _ = step_inputs(H, I, seed=70)
    expected = keras.ops.convert_to_numpy(model(x[None, None]))[0]
    weights_file = read_weight_cells(tmp_path / "legacy.h5")
    assert sorted(weights_file.cells) == [(0, "forward"), (0, "reverse")]
    h = [traced(weights_file.cells[(0, d)], x, np.zeros(H), np.zeros(H))[0] for d in ("forward", "reverse")]
    np.testing.assert_allclose(np.concatenate(h), expected, atol=TOLERANCE, rtol=0)


@pytest.mark.parametrize("damage", ["zip version", "compression method"])
def test_a_damaged_keras_archive_is_a_data_error(tmp_path, damage):
    import zipfile

    from lstm_trace import DataError

    path = tmp_path / "model.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
        archive.writestr("model.weights.h5", b"\0" * 64)
    data = bytearray(path.read_bytes())
    for start in range(len(data) - 4):  # every central directory entry: b"PK\1\2", then the fields
        if data[start : start + 4] == b"PK\x01\x02":
            field = start + (6 if damage == "zip version" else 10)  # version needed / compression method
            data[field : field + 2] = (200).to_bytes(2, "little")  # zipfile: NotImplementedError for both
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"Cannot read '.*model\.keras' as a Keras \.keras archive"):
        read_weights_file(path)
