"""Vectors and sequences as the user types them or points to them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lstm_trace import DataError, UsageError
from lstm_trace.io.vectors import parse_sequence, parse_vector


@pytest.mark.parametrize(
    "text",
    ["0,0.5,-0.1", "[0, 0.5, -0.1]", "0 0.5 -0.1", " (0, 0.5 ,-0.1) ", "0,0.5,-1e-1"],
)
def test_inline_forms(text):
    np.testing.assert_array_equal(parse_vector(text, "--h"), [0, 0.5, -0.1])


def test_files(tmp_path):
    np.save(tmp_path / "v.npy", np.array([1.0, 2.0]))
    (tmp_path / "v.json").write_text("[1, 2.5]")
    (tmp_path / "v.txt").write_text("1\n2\n3\n")
    np.testing.assert_array_equal(parse_vector(f"@{tmp_path / 'v.npy'}", "--x"), [1, 2])
    np.testing.assert_array_equal(parse_vector(f"@{tmp_path / 'v.json'}", "--x"), [1, 2.5])
    np.testing.assert_array_equal(parse_vector(f"@{tmp_path / 'v.txt'}", "--x"), [1, 2, 3])


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("1,a,3", "entry 2, 'a', is not a number"),
        ("", "is empty"),
        ("[]", "is empty"),
        ("1,,2", "empty entry"),
        ("1,nan", "entry 2 is nan"),
        ("inf", "entry 1 is inf"),
    ],
)
def test_typed_mistakes_are_usage_errors(text, fragment):
    with pytest.raises(UsageError, match=fragment):
        parse_vector(text, "--h")


def test_file_mistakes(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        parse_vector(f"@{tmp_path / 'nope.npy'}", "--x")
    with pytest.raises(UsageError, match="is a directory"):
        parse_vector(f"@{tmp_path}", "--x")
    np.save(tmp_path / "m.npy", np.zeros((2, 2)))
    with pytest.raises(DataError, match=r"shape \(2, 2\); expected a 1-D vector"):
        parse_vector(f"@{tmp_path / 'm.npy'}", "--x")
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataError, match="Cannot read"):
        parse_vector(f"@{tmp_path / 'o.npy'}", "--x")
    (tmp_path / "bad.json").write_text('{"a": 1}')
    with pytest.raises(DataError, match="JSON list of numbers"):
        parse_vector(f"@{tmp_path / 'bad.json'}", "--x")


def test_sequences(tmp_path):
    np.testing.assert_array_equal(parse_sequence("0.1,0.2;0.3,0.4", "--xs"), [[0.1, 0.2], [0.3, 0.4]])
    (tmp_path / "s.json").write_text(json.dumps([[1, 2], [3, 4], [5, 6]]))
    assert parse_sequence(f"@{tmp_path / 's.json'}", "--xs").shape == (3, 2)
    (tmp_path / "s.csv").write_text("1,2\n3,4\n")
    np.testing.assert_array_equal(parse_sequence(f"@{tmp_path / 's.csv'}", "--xs"), [[1, 2], [3, 4]])
    with pytest.raises(UsageError, match="ragged: step 1 has 2 values but step 2 has 3"):
        parse_sequence("1,2;3,4,5", "--xs")


@pytest.mark.parametrize(
    "array, place",
    [
        ([[1.0, 2.0], [3.0, np.inf], [5.0, 6.0]], "the entry at index (1, 1) is inf"),  # beyond the first row
        ([[1.0, np.nan], [3.0, 4.0]], "the entry at index (0, 1) is nan"),
        ([[[1.0, 2.0]], [[3.0, 4.0]], [[-np.inf, 0.0]]], "the entry at index (2, 0, 0) is -inf"),  # a batch
    ],
)
def test_a_sequence_file_names_the_entry_that_is_not_finite(tmp_path, array, place):
    path = tmp_path / "xs.npy"
    np.save(path, np.array(array))
    with pytest.raises(DataError, match=r"every value must be a finite number") as error:
        parse_sequence(f"@{path}", "--xs", allow_batch=True)
    assert place in str(error.value)


def test_a_vector_file_with_a_table_is_refused_not_flattened(tmp_path):
    (tmp_path / "table.csv").write_text("1,2\n3,4\n")
    with pytest.raises(DataError, match=r"holds 2 rows with several values in a row: a vector is one row"):
        parse_vector(f"@{tmp_path / 'table.csv'}", "--x")
    (tmp_path / "column.txt").write_text("1\n2\n3\n")  # one value per line is a vector
    np.testing.assert_array_equal(parse_vector(f"@{tmp_path / 'column.txt'}", "--x"), [1.0, 2.0, 3.0])


def test_a_byte_order_mark_from_a_spreadsheet_is_not_part_of_the_first_value(tmp_path):
    (tmp_path / "x.csv").write_bytes("\ufeff1,2,3\n".encode())
    np.testing.assert_array_equal(parse_vector(f"@{tmp_path / 'x.csv'}", "--x"), [1.0, 2.0, 3.0])
    (tmp_path / "xs.csv").write_bytes("\ufeff1,2\n3,4\n".encode())
    np.testing.assert_array_equal(parse_sequence(f"@{tmp_path / 'xs.csv'}", "--xs"), [[1.0, 2.0], [3.0, 4.0]])
