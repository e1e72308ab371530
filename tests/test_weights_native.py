"""Weight presets and the native .npz/.json weights files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import DataError, UsageError, load_weights, presets
from lstm_trace.weights import native

KEYS = ("W_f", "W_i", "W_c", "W_o", "b_f", "b_i", "b_c", "b_o")


def arrays(H=3, I=2, seed=0):
    rng = np.random.default_rng(seed)
    return {k: rng.normal(size=(H, H + I) if k[0] == "W" else H) for k in KEYS}


def test_identity_preset_is_eye_blocks():
    w = presets.identity(3, 2)
    expected = np.array([[1, 0, 0, 1, 0], [0, 1, 0, 0, 1], [0, 0, 1, 0, 0]], dtype=float)
    for gate in ("forget", "input", "candidate", "output"):
        np.testing.assert_array_equal(w.W[gate], expected)
        np.testing.assert_array_equal(w.b[gate], np.zeros(3))


def test_random_preset_is_seeded_and_bounded_like_pytorch():
    a, b, c = presets.random(16, 4, seed=0), presets.random(16, 4, seed=0), presets.random(16, 4, seed=1)
    np.testing.assert_array_equal(a.W["forget"], b.W["forget"])
    assert not np.array_equal(a.W["forget"], c.W["forget"])
    bound = 1 / np.sqrt(16)
    for gate in a.W:
        assert np.all(np.abs(a.W[gate]) <= bound) and np.all(np.abs(a.b[gate]) <= bound)
    assert np.abs(a.W["input"]).max() > 0.9 * bound  # really spans the range


def test_zeros_preset():
    w = presets.zeros(2, 3)
    assert w.W["output"].shape == (2, 5) and not w.W["output"].any() and not w.b["forget"].any()


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


def test_json_writer_round_trips(tmp_path):
    original = presets.random(4, 3, seed=2)
    path = tmp_path / "w.json"
    path.write_text(native.write_json(original))
    loaded = load_weights(str(path), None, None)
    for gate in original.W:
        np.testing.assert_array_equal(loaded.W[gate], original.W[gate])


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
