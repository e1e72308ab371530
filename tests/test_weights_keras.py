"""Keras 3 files (.keras and .weights.h5, KERAS_BACKEND=torch): every LSTM and GRU layer lstm-trace reads
is read as the cell it is (GRU, reset_after, activations from the config) and computes what Keras computes
(float32, 1e-5)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from framework_models import (
    SIZES,
    TOLERANCE,
    as_text,
    keras_lstm_layer,
    keras_run,
    keras_state_model,
    one_line,
    step_inputs,
    traced,
)  # fmt: skip
from frameworks import LazyImport

from lstm_trace import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import LayerSelection, read_weight_cells, read_weights_file

h5py = LazyImport("h5py")
keras = LazyImport("keras")  # first used after framework_models (imported above) chose the torch backend

pytestmark = [
    pytest.mark.framework,
    # Keras' torch backend converts tensors the NumPy 1 way; not ours to fix.
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
]


def seeded(seed: int) -> dict:
    """Random kernels and a random (not zero) bias, so every block counts."""
    return dict(
        kernel_initializer=keras.initializers.RandomUniform(-0.6, 0.6, seed=seed),
        recurrent_initializer=keras.initializers.RandomUniform(-0.6, 0.6, seed=seed + 1),
        bias_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed + 2),
    )


def gru_state_model(H: int, I: int, seed: int, **options):
    """inputs (x sequence, h0) -> h_t: a functional model around one GRU layer."""
    xs, h0 = keras.Input((None, I)), keras.Input((H,))
    _, h = keras.layers.GRU(H, return_state=True, name="gru", **seeded(seed), **options)(xs, initial_state=[h0])
    return keras.Model([xs, h0], h)


def run(model, *arrays) -> np.ndarray:
    """The model's output for one batch entry: a Sequential takes x alone, the state model [x, h0]."""
    return keras.ops.convert_to_numpy(model(list(arrays) if len(arrays) > 1 else arrays[0]))[0]


# --- every layer, against Keras -----------------------------------------------------------------

# The layer in a functional model with its state as inputs, and the cell lstm-trace must read from it.
STATE_LAYERS = {
    "LSTM": CellOptions(),
    "GRU": CellOptions(variant="gru"),
    "GRU, reset_after=False": CellOptions(variant="gru", gru_reset_before=True),
}


@pytest.mark.parametrize("H, I", [*SIZES, (4, 3), (2, 6), (9, 5)])
@pytest.mark.parametrize("layer", STATE_LAYERS)
def test_a_layer_with_its_state_matches_keras(tmp_path, layer, H, I):
    x, h, c = step_inputs(H, I, seed=I)
    if layer == "LSTM":
        model = keras_state_model(H, I, seed=H * 10 + I)
        expected_h, expected_c = keras_run(model, x, h, c)
        order = "Keras columns 0:H -> input gate, H:2H -> forget, 2H:3H -> candidate, 3H:4H -> output"
    else:
        model = gru_state_model(H, I, seed=H * I, reset_after=layer == "GRU")
        expected_h, expected_c = run(model, x[None, None], h[None]), None
        order = "Keras columns 0:H -> update gate, H:2H -> reset, 2H:3H -> new"
    model.save(tmp_path / "model.keras")
    model.save_weights(tmp_path / "model.weights.h5")
    for name in ("model.keras", "model.weights.h5"):  # the bias's shape says reset_after where no config is stored
        inputs = resolve_inputs(weights=str(tmp_path / name), x=x, h=h, c=c if expected_c is not None else None)
        assert inputs.cell == STATE_LAYERS[layer], name
        step = trace_step(inputs).steps[0]
        np.testing.assert_allclose(step.h, expected_h, atol=TOLERANCE, rtol=0, err_msg=name)
        if expected_c is not None:
            np.testing.assert_allclose(step.c, expected_c, atol=TOLERANCE, rtol=0, err_msg=name)
        assert inputs.weights.provenance["framework"] == "Keras"
        assert inputs.weights.provenance["mapping"].startswith(order)


# --- LSTM layers -------------------------------------------------------------------------------


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


# --- GRU layers --------------------------------------------------------------------------------


def test_gru_over_a_sequence_and_through_the_command_line(tmp_path, run_cli):
    H, I, T = 5, 3, 4
    model = gru_state_model(H, I, seed=31)
    xs = np.random.default_rng(2).uniform(-1, 1, (T, I)).astype(np.float32)
    _, h0, _ = step_inputs(H, I, seed=31)
    model.save(tmp_path / "gru.keras")
    inputs = resolve_inputs(weights=str(tmp_path / "gru.keras"), x=xs[0], h=h0)
    h = h0
    for x in xs:
        h = cell_step(inputs.weights, x, h, cell=inputs.cell).h
    np.testing.assert_allclose(h, run(model, xs[None], h0[None]), atol=TOLERANCE, rtol=0)

    result = run_cli("step", "--weights", str(tmp_path / "gru.keras"), "--x", as_text(xs[0]), "--h", as_text(h0), "--json")
    assert result.returncode == 0, result.stderr
    trace = json.loads(result.stdout)
    assert trace["variant"] == "gru" and trace["weights"]["gate_order"] == "z, r, h"
    np.testing.assert_allclose(trace["steps"][0]["h"], run(model, xs[:1][None], h0[None]), atol=TOLERANCE, rtol=0)


def test_bidirectional_gru(tmp_path):
    H, I = 3, 5
    x_in = keras.Input((1, I))
    both = keras.layers.Bidirectional(keras.layers.GRU(H, **seeded(9)), name="both")(x_in)
    model = keras.Model(x_in, both)
    x, _, _ = step_inputs(H, I, seed=9)
    expected = run(model, x[None, None])
    model.save(tmp_path / "bi.keras")
    weights_file = read_weight_cells(tmp_path / "bi.keras")
    assert sorted(weights_file.cells) == [(0, "forward"), (0, "reverse")] and weights_file.kind == "GRU"
    h = [cell_step(weights_file.cells[(0, d)], x, None, cell=CellOptions(variant="gru")).h for d in ("forward", "reverse")]
    np.testing.assert_allclose(np.concatenate(h), expected, atol=TOLERANCE, rtol=0)


# --- what the config says: activations, reset_after, the Keras version ------------------------


@pytest.mark.parametrize(
    "layer, options, cell",
    [
        ("LSTM", {"activation": "relu"}, CellOptions(cell_activation="relu")),
        ("LSTM", {"activation": "softsign"}, CellOptions(cell_activation="softsign")),
        ("GRU", {"activation": "softsign", "reset_after": False},
         CellOptions(variant="gru", cell_activation="softsign", gru_reset_before=True)),
    ],
)  # fmt: skip
def test_other_activations_from_the_config(tmp_path, layer, options, cell):
    H, I = 4, 3
    model = keras.Sequential([keras.Input((1, I)), getattr(keras.layers, layer)(H, **seeded(5), **options)])
    x, _, _ = step_inputs(H, I, seed=5)
    expected = run(model, x[None, None])
    model.save(tmp_path / "m.keras")
    inputs = resolve_inputs(weights=str(tmp_path / "m.keras"), x=x)  # h and C default to zeros, as Keras'
    assert inputs.cell == cell
    np.testing.assert_allclose(trace_step(inputs).steps[0].h, expected, atol=TOLERANCE, rtol=0)


def test_keras_2_hard_sigmoid_is_the_old_one(tmp_path):
    """A legacy whole-model .h5 from Keras 2 says keras_version 2.x: its hard_sigmoid is clip(0.2·x + 0.5, 0, 1),
    lstm-trace's --gate-activation hard_sigmoid. Reference: Keras 3 running that very function."""
    H, I = 4, 3

    def keras_2_hard_sigmoid(v):
        return keras.ops.clip(0.2 * v + 0.5, 0.0, 1.0)

    model = keras.Sequential([keras.Input((1, I)), keras.layers.LSTM(H, recurrent_activation=keras_2_hard_sigmoid,
                                                                      name="lstm", **seeded(3))])  # fmt: skip
    x, _, _ = step_inputs(H, I, seed=3)
    expected = run(model, x[None, None])
    kernel, recurrent, bias = model.layers[0].get_weights()
    config = {"class_name": "Sequential", "config": {"name": "old", "layers": [
        {"class_name": "LSTM", "config": {"name": "lstm", "units": H, "recurrent_activation": "hard_sigmoid",
                                          "activation": "tanh"}}]}}  # fmt: skip
    path = tmp_path / "keras2.h5"
    with h5py.File(path, "w") as h5:  # Keras 2's layout: model_weights/<layer>/<layer>/lstm_cell/kernel:0
        h5.attrs["keras_version"] = "2.11.0"
        h5.attrs["model_config"] = json.dumps(config)
        cell = h5.create_group("model_weights/lstm/lstm/lstm_cell")
        for name, array in (("kernel:0", kernel), ("recurrent_kernel:0", recurrent), ("bias:0", bias)):
            cell.create_dataset(name, data=array)
    inputs = resolve_inputs(weights=str(path), x=x)
    assert inputs.cell == CellOptions(gate_activation="hard_sigmoid")
    np.testing.assert_allclose(trace_step(inputs).steps[0].h, expected, atol=TOLERANCE, rtol=0)


def test_config_and_bias_that_disagree(tmp_path, cli):
    model = keras.Sequential([keras.Input((1, 3)), keras.layers.GRU(4, name="g")])
    model.save(tmp_path / "g.keras")
    model.save_weights(tmp_path / "g.weights.h5")
    with h5py.File(tmp_path / "g.weights.h5", "a") as h5:  # the reset_after=False bias in a reset_after=True model
        del h5["layers/gru/cell/vars/2"]
        h5["layers/gru/cell/vars"].create_dataset("2", data=np.zeros(12, np.float32))
    import zipfile

    bad = tmp_path / "bad.keras"
    with zipfile.ZipFile(tmp_path / "g.keras") as source, zipfile.ZipFile(bad, "w") as target:
        for name in source.namelist():
            data = (tmp_path / "g.weights.h5").read_bytes() if name == "model.weights.h5" else source.read(name)
            target.writestr(name, data)
    result = cli("step", "--weights", str(bad), "--x", "1,2,3")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the GRU g says reset_after=True, but its bias has shape (12,)" in one_line(result.output)


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


# --- damaged files -----------------------------------------------------------------------------


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
