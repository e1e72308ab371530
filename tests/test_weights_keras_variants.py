"""Keras GRU layers and LSTM layers with other activations (.keras and .weights.h5, KERAS_BACKEND=torch):
read as the cell they are and checked against Keras' own output (float32, 1e-5)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from framework_models import TOLERANCE, as_text, one_line, step_inputs
from frameworks import LazyImport
from lstm_trace import resolve_inputs, trace_step
from lstm_trace.cells import CellOptions
from lstm_trace.cells.step import cell_step
from lstm_trace.weights import read_weight_cells

h5py = LazyImport("h5py")
keras = LazyImport("keras")  # first used after framework_models (imported above) chose the torch backend

pytestmark = [
    pytest.mark.framework,
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


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize("H, I", [(4, 3), (2, 6), (9, 5)])
def test_gru_matches_keras(tmp_path, reset_after, H, I):
    model = gru_state_model(H, I, seed=H * I, reset_after=reset_after)
    x, h, _ = step_inputs(H, I, seed=I)
    expected = run(model, x[None, None], h[None])
    model.save(tmp_path / "gru.keras")
    model.save_weights(tmp_path / "gru.weights.h5")
    for name in ("gru.keras", "gru.weights.h5"):  # the bias's shape says reset_after where no config is stored
        inputs = resolve_inputs(weights=str(tmp_path / name), x=x, h=h)
        assert inputs.cell == CellOptions(variant="gru", gru_reset_before=not reset_after), name
        np.testing.assert_allclose(trace_step(inputs).steps[0].h, expected, atol=TOLERANCE, rtol=0, err_msg=name)


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
