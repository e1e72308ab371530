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


# A path typed as it is, without `@` (what people type): read when it names a file.


@pytest.fixture
def files_here(tmp_path, monkeypatch):
    """A folder with a vector and a sequence in every format, as the working directory."""
    monkeypatch.chdir(tmp_path)
    np.save("v.npy", np.array([1.0, 2.0]))
    (tmp_path / "v.json").write_text("[1, 2]")
    (tmp_path / "v.txt").write_text("1 2\n")
    np.save("xs.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    (tmp_path / "xs.json").write_text("[[1, 2], [3, 4]]")
    (tmp_path / "xs.csv").write_text("1,2\n3,4\n")
    return tmp_path


@pytest.mark.parametrize("name", ["v.npy", "v.json", "v.txt"])
def test_a_path_without_at_reads_the_vector_file(files_here, name):
    for text in (name, f"@{name}", str(files_here / name), f" {name} "):
        np.testing.assert_array_equal(parse_vector(text, "--x"), [1.0, 2.0])


@pytest.mark.parametrize("name", ["xs.npy", "xs.json", "xs.csv"])
def test_a_path_without_at_reads_the_sequence_file(files_here, name):
    for text in (name, f"@{name}", str(files_here / name)):
        np.testing.assert_array_equal(parse_sequence(text, "--xs"), [[1.0, 2.0], [3.0, 4.0]])


def test_numbers_win_over_a_file_of_the_same_name(files_here):
    """`--x 1,2` means 1, 2 in every folder; `@1,2` is the file named `1,2`."""
    (files_here / "1,2").write_text("5,6\n")
    (files_here / "0.5").write_text("7\n")
    np.testing.assert_array_equal(parse_vector("1,2", "--x"), [1.0, 2.0])
    np.testing.assert_array_equal(parse_vector("0.5", "--x"), [0.5])
    np.testing.assert_array_equal(parse_vector("@1,2", "--x"), [5.0, 6.0])
    (files_here / "1,2;3,4").write_text("5,6\n7,8\n")
    np.testing.assert_array_equal(parse_sequence("1,2;3,4", "--xs"), [[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(parse_sequence("@1,2;3,4", "--xs"), [[5.0, 6.0], [7.0, 8.0]])


def test_a_missing_file_is_named_as_a_file_not_as_a_number(files_here):
    with pytest.raises(UsageError, match="--x file 'nope.npy' does not exist"):
        parse_vector("nope.npy", "--x")
    with pytest.raises(UsageError, match="--xs file 'nope.csv' does not exist"):
        parse_sequence("nope.csv", "--xs")
    # neither numbers nor a file: the message says both forms
    with pytest.raises(UsageError, match=r"entry 1, 'nope', is not a number; expected numbers such as 0,0.5,0.1, "
                                         r"or a file such as x.npy"):  # fmt: skip
        parse_vector("nope", "--x")
    with pytest.raises(UsageError, match="is a directory"):
        parse_vector(str(files_here), "--x")
    with pytest.raises(UsageError, match="is empty"):  # not the working directory, which `Path("")` would name
        parse_vector(" ", "--x")


def test_the_commands_read_a_path_typed_without_at(cli, files_here):
    """step's --x/--h/--c, run's --xs/--h/--c (a (cells, H) .npy too), grad's --xs/--dh/--dc."""
    np.save("h.npy", np.array([0.1, -0.2]))
    np.save("h0.npy", np.array([[0.1, -0.2]]))  # (cells, H), as torch.nn.LSTM takes h_0
    step = [json.loads(cli("step", "--x", x, "--h", h, "--c", c, "--json").output)["steps"][0]["h"]
            for x, h, c in (("v.npy", "h.npy", "v.txt"), ("@v.npy", "@h.npy", "@v.txt"), ("1,2", "0.1,-0.2", "1,2"))]
    assert step[0] == step[1] == step[2]
    run = [json.loads(cli("run", "--xs", xs, "--h", h, "--c", "v.json", "--json").output)["outputs"]
           for xs, h in (("xs.csv", "h0.npy"), ("@xs.npy", "0.1,-0.2"), ("1,2;3,4", "h.npy"))]
    assert run[0] == run[1] == run[2]
    grad = [json.loads(cli("grad", "--xs", xs, "--h", "h.npy", "--dh", dh, "--dc", "v.npy", "--json").output)
            for xs, dh in (("xs.json", "h.npy"), ("1,2;3,4", "0.1,-0.2"))]
    assert grad[0]["through_time"] == grad[1]["through_time"]
    missing = cli("run", "--xs", "seq.npy", "--hidden-size", "2")
    assert missing.exit_code == 2 and "Error: --xs file 'seq.npy' does not exist" in missing.output
