"""Weights for the variants: peepholes and projection in the native format, GRU weights, presets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import DataError, presets
from lstm_trace.weights import read_weights_file
from lstm_trace.weights.gru_weights import GRUWeights
from lstm_trace.weights.native import write_json
from lstm_trace.weights.presets import gru_preset, lstm_preset


def test_peepholes_and_projection_round_trip_through_npz_and_json(tmp_path):
    weights = lstm_preset("random", 5, 3, seed=2, peepholes=True, proj_size=2)
    np.savez(tmp_path / "w.npz", **weights.as_arrays())
    (tmp_path / "w.json").write_text(write_json(weights))
    for path in (tmp_path / "w.npz", tmp_path / "w.json"):
        back = read_weights_file(path)
        assert (back.hidden_size, back.h_size, back.input_size) == (5, 2, 3)
        np.testing.assert_array_equal(back.projection, weights.projection)
        for gate in ("forget", "input", "output"):
            np.testing.assert_array_equal(back.peepholes[gate], weights.peepholes[gate])
        np.testing.assert_array_equal(back.W["output"], weights.W["output"])


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


def test_gru_weights_read_from_npz_and_json(tmp_path):
    weights = gru_preset("random", 4, 6, seed=3)
    np.savez(tmp_path / "g.npz", **weights.as_arrays())
    (tmp_path / "g.json").write_text(json.dumps({"format": "lstm-trace-weights/1", "variant": "gru",
                                                 **{k: v.tolist() for k, v in weights.as_arrays().items()}}))  # fmt: skip
    for path in (tmp_path / "g.npz", tmp_path / "g.json"):
        back = read_weights_file(path)
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
