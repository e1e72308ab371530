"""Weight presets and the native .npz/.json weights files, for every cell: the plain LSTM, its
peepholes and projection, and the GRU."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import DataError, UsageError, load_weights, presets
from lstm_trace.weights import GRUWeights, gru_preset, lstm_preset, native, read_weights_file

KEYS = ("W_f", "W_i", "W_c", "W_o", "b_f", "b_i", "b_c", "b_o")


def arrays(H=3, I=2, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=(H, H + I) if k[0] == "W" else H) for k in KEYS}


# --- presets -------------------------------------------------------------------------------------

def test_identity_preset_is_eye_blocks():
    w = presets.identity(3, 2)
    expected = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 0, 0]], dtype=float)
    for gate in ("forget", "input", "candidate", "output"):
        np.testing.assert_array_equal(w.W[gate], expected)
        np.testing.assert_array_equal(w.b[gate], np.zeros(3))


def test_zeros_preset():
    w = presets.zeros(2, 3)
    assert w.W["output"].shape == (2, 5) and not w.W["output"].any() and not w.b["forget"].any()


def test_identity_presets_for_the_extras():
    weights = lstm_preset("identity", 5, 3, peepholes=True, proj_size=2)
    for gate in ("forget", "input", "output"):
        np.testing.assert_array_equal(weights.peepholes[gate], np.ones(5))
    np.testing.assert_array_equal(weights.projection, np.eye(2, 5))
    np.testing.assert_array_equal(weights.W["forget"], np.hstack([np.eye(5, 2), np.eye(5, 3)]))
    gru = gru_preset("identity", 3, 4)
    np.testing.assert_array_equal(gru.W["reset"], np.hstack([np.eye(3), np.eye(3, 4)]))
    assert not gru.b_hn.any()


def test_random_presets_are_seeded_and_extend_the_plain_preset():
    with_peepholes = lstm_preset("random", 4, 3, seed=9, peepholes=True)
    plain = presets.random(4, 3, seed=9)
    for gate in plain.W:  # the same W and b as the plain preset: only p_f, p_i, p_o are added
        np.testing.assert_array_equal(with_peepholes.W[gate], plain.W[gate])
        np.testing.assert_array_equal(with_peepholes.b[gate], plain.b[gate])
    again = lstm_preset("random", 4, 3, seed=9, peepholes=True)
    np.testing.assert_array_equal(again.peepholes["output"], with_peepholes.peepholes["output"])
    assert not np.array_equal(
        lstm_preset("random", 4, 3, seed=10, peepholes=True).peepholes["output"], again.peepholes["output"]
    )
    bound = 1 / np.sqrt(4)
    assert np.all(np.abs(with_peepholes.peepholes["forget"]) <= bound)
    gru = gru_preset("random", 4, 3, seed=1)
    np.testing.assert_array_equal(gru_preset("random", 4, 3, seed=1).W["new"], gru.W["new"])  # seeded
    assert not np.array_equal(gru_preset("random", 4, 3, seed=2).W["new"], gru.W["new"])  # and the seed is used
    assert np.all(np.abs(gru.W["new"]) <= bound) and np.all(np.abs(gru.b_hn) <= bound)


RANDOM_PRESETS = {
    "LSTM": lambda seed: presets.random(16, 4, seed=seed),
    "LSTM, peepholes, P = 3": lambda seed: lstm_preset("random", 16, 4, seed=seed, peepholes=True, proj_size=3),
    "GRU": lambda seed: gru_preset("random", 16, 4, seed=seed),
}


@pytest.mark.parametrize("cell", RANDOM_PRESETS)
def test_every_cells_random_preset_is_seeded_and_bounded_like_pytorch(cell):
    a, b, c = (RANDOM_PRESETS[cell](seed) for seed in (0, 0, 1))
    bound = 1 / np.sqrt(16)
    for key, array in a.as_arrays().items():
        np.testing.assert_array_equal(b.as_arrays()[key], array)  # the same seed, the same numbers
        assert not np.array_equal(c.as_arrays()[key], array), key  # another seed, others
        assert np.all(np.abs(array) <= bound), key
    assert max(np.abs(array).max() for array in a.as_arrays().values()) > 0.9 * bound  # really spans the range
    assert a.provenance["seed"] == 0 and c.provenance["seed"] == 1


def test_the_lstm_presets_are_the_plain_presets_with_nothing_added():
    for name in presets.NAMES:
        plain, same = presets.PRESETS[name](3, 2), lstm_preset(name, 3, 2)
        assert same.peepholes is None and same.projection is None
        for key, array in plain.as_arrays().items():
            np.testing.assert_array_equal(same.as_arrays()[key], array)
    # the plain random preset says its seed before the description, as traces have always shown it
    assert list(presets.random(3, 2, seed=4).provenance) == ["source", "seed", "description"]
    assert list(lstm_preset("random", 3, 2, seed=4).provenance) == ["source", "description", "seed"]


# --- native files --------------------------------------------------------------------------------

CELL_WEIGHTS = {
    "LSTM": lambda: presets.random(4, 3, seed=2),
    "LSTM, peepholes, P = 2": lambda: lstm_preset("random", 5, 3, seed=2, peepholes=True, proj_size=2),
    "GRU": lambda: gru_preset("random", 4, 6, seed=3),
}


@pytest.mark.parametrize("suffix", [".npz", ".json"])
@pytest.mark.parametrize("cell", CELL_WEIGHTS)
def test_every_cell_round_trips_through_npz_and_json(tmp_path, cell, suffix):
    weights = CELL_WEIGHTS[cell]()
    path = tmp_path / f"w{suffix}"
    if suffix == ".npz":
        np.savez(path, **weights.as_arrays())
    else:
        path.write_text(native.write_json(weights))
    back = read_weights_file(path)
    assert type(back) is type(weights)
    assert (back.hidden_size, back.h_size, back.input_size) == (weights.hidden_size, weights.h_size, weights.input_size)
    assert sorted(back.as_arrays()) == sorted(weights.as_arrays())
    for key, array in weights.as_arrays().items():
        np.testing.assert_array_equal(back.as_arrays()[key], array, err_msg=key)


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_native_files_load(tmp_path, suffix):
    data = arrays()
    path = tmp_path / f"w{suffix}"
    if suffix == ".npz":
        np.savez(path, **data)
    else:
        path.write_text(json.dumps({k: v.tolist() for k, v in data.items()}))
    w = load_weights(str(path), None, None)
    assert (w.hidden_size, w.input_size) == (3, 2)
    np.testing.assert_array_equal(w.W["candidate"], data["W_c"])
    np.testing.assert_array_equal(w.b["output"], data["b_o"])
    assert w.provenance["source"] == str(path)


def test_missing_keys_are_listed(tmp_path):
    data = arrays()
    del data["W_i"], data["b_o"]
    path = tmp_path / "w.npz"
    np.savez(path, **data)
    with pytest.raises(DataError) as error:
        load_weights(str(path), None, None)
    message = str(error.value)
    assert "W_i" in message and "b_o" in message and "found keys: W_c, W_f, W_o, b_c, b_f, b_i" in message


def test_wrong_shape_names_key_and_both_shapes(tmp_path):
    data = arrays()
    data["W_o"] = np.zeros((3, 4))
    path = tmp_path / "w.npz"
    np.savez(path, **data)
    with pytest.raises(DataError, match=r"W_o has shape \(3, 4\).*must have shape \(3, 5\)"):
        load_weights(str(path), None, None)


def test_non_numeric_and_non_finite_arrays(tmp_path):
    path = tmp_path / "w.json"
    data = {k: v.tolist() for k, v in arrays().items()}
    data["b_f"] = ["a", "b", "c"]
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="b_f holds dtype"):
        load_weights(str(path), None, None)
    data["b_f"] = [1.0, float("nan"), 0.0]
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match="b_f contains NaN"):
        load_weights(str(path), None, None)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(UsageError, match="neither a preset"):
        load_weights(str(tmp_path / "w.xyz"), 3, 2)
    with pytest.raises(UsageError, match="does not exist"):
        load_weights(str(tmp_path / "missing.npz"), 3, 2)


def test_truncated_npz(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, **arrays())
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(DataError, match="Cannot read the weights file"):
        load_weights(str(path), None, None)


def test_plain_files_have_no_extras(tmp_path):
    np.savez(tmp_path / "w.npz", **presets.random(4, 3).as_arrays())
    back = read_weights_file(tmp_path / "w.npz")
    assert back.peepholes is None and back.projection is None and back.h_size == 4


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda a: a.pop("p_i"), "has p_f, p_o but lacks p_i"),
        (lambda a: a.update(p_o=np.ones(3)), "p_o has shape (3,)"),
        (lambda a: a.update(W_hr=np.ones((4, 4))), "W_hr has shape (4, 4)"),  # P must be < H = 4
        (lambda a: a.update(W_hr=np.ones((2, 5))), "W_hr must have shape (2, 4)"),
    ],
)
def test_bad_extras_name_the_key_and_both_shapes(tmp_path, change, fragment):
    arrays = lstm_preset("random", 4, 3, peepholes=True).as_arrays()
    change(arrays)
    np.savez(tmp_path / "w.npz", **arrays)
    with pytest.raises(DataError) as error:
        read_weights_file(tmp_path / "w.npz")
    assert fragment in str(error.value)


def test_a_gru_json_file_may_say_its_variant_at_the_top(tmp_path):
    weights = gru_preset("random", 4, 6, seed=3)
    (tmp_path / "g.json").write_text(json.dumps({"format": "lstm-trace-weights/1", "variant": "gru",
                                                 **{k: v.tolist() for k, v in weights.as_arrays().items()}}))  # fmt: skip
    back = read_weights_file(tmp_path / "g.json")
    assert isinstance(back, GRUWeights) and (back.hidden_size, back.input_size) == (4, 6)
    np.testing.assert_array_equal(back.b_hn, weights.b_hn)
    np.testing.assert_array_equal(back.W["new"], weights.W["new"])


def test_gru_weights_errors(tmp_path):
    arrays = gru_preset("random", 4, 6).as_arrays()
    np.savez(tmp_path / "missing.npz", **{k: v for k, v in arrays.items() if k != "b_hn"})
    with pytest.raises(DataError, match="lacks b_hn"):
        read_weights_file(tmp_path / "missing.npz")
    np.savez(tmp_path / "shape.npz", **{**arrays, "b_z": np.zeros(3)})
    with pytest.raises(DataError, match=r"b_z has shape \(3,\), but W_r \(4, 10\) makes H = 4 and I = 6"):
        read_weights_file(tmp_path / "shape.npz")
    np.savez(tmp_path / "generic_reader.npz", **arrays)
    assert isinstance(read_weights_file(tmp_path / "generic_reader.npz"), GRUWeights)  # told apart by their keys
