"""Fuzzing the readers of traces and weights files: mutate the checked-in corpus and feed it back.

Whatever the bytes, a reader either returns a value or raises the project's own
error type with a message; nothing else may escape.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from lstm_trace import LSTMTraceError, trace_from_json
from lstm_trace.render.step import step_view
from lstm_trace.render.tables import TableOptions
from lstm_trace.weights import read_weights_file

CORPUS = Path(__file__).parent / "fuzz_corpus"
TRACES = sorted(CORPUS.glob("trace-*.json"))
WEIGHTS = sorted(p for p in CORPUS.glob("weights-*") if p.is_file())


def mutate_bytes(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    data = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        action = rng.choice(("flip", "cut", "insert", "delete"))
        position = rng.randrange(len(data)) if data else 0
        if action == "flip" and data:
            data[position] ^= 1 << rng.randrange(8)
        elif action == "cut":
            data = data[:position]
        elif action == "insert":
            data[position:position] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
        elif data:
            del data[position : position + rng.randint(1, 16)]
    return bytes(data)


def mutate_json(value, rng: random.Random):
    """Replace one node anywhere in the tree with something of another kind."""
    replacements = [None, True, -1, 0, 1.5, "x", [], {}, [1, "a"], 1e308, {"format": "lstm-trace/1"}]
    if isinstance(value, dict) and value and rng.random() < 0.8:
        key = rng.choice(list(value))
        if rng.random() < 0.15:
            del value[key]
        else:
            value[key] = mutate_json(value[key], rng)
        return value
    if isinstance(value, list) and value and rng.random() < 0.7:
        index = rng.randrange(len(value))
        if rng.random() < 0.2:
            del value[index]
        else:
            value[index] = mutate_json(value[index], rng)
        return value
    return rng.choice(replacements)


@pytest.mark.parametrize("seed_file", TRACES, ids=lambda p: p.name)
def test_corpus_traces_are_valid(seed_file):
    assert trace_from_json(seed_file.read_text()).steps


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(TRACES) - 1), seed=st.integers(0, 2**32 - 1))
def test_trace_reader_on_mutated_bytes(index, seed):
    data = mutate_bytes(TRACES[index].read_bytes(), seed)
    try:
        trace_from_json(data.decode("utf-8", errors="replace"))
    except LSTMTraceError as error:
        assert str(error)


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(TRACES) - 1), seed=st.integers(0, 2**32 - 1))
def test_trace_reader_on_mutated_structure(index, seed):
    content = mutate_json(json.loads(TRACES[index].read_text()), random.Random(seed))
    try:
        trace = trace_from_json(json.dumps(content))
    except LSTMTraceError as error:
        assert str(error)
        return
    console = Console(file=io.StringIO(), width=100)  # whatever was read, it renders
    for view in step_view(trace, TableOptions()):
        console.print(view)


@pytest.mark.parametrize("seed_file", WEIGHTS, ids=lambda p: p.name)
def test_corpus_weights_are_valid(seed_file):
    assert read_weights_file(seed_file).hidden_size >= 1


@pytest.mark.framework
@pytest.mark.parametrize("seed_file", WEIGHTS, ids=lambda p: p.name)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1))
def test_weights_readers_on_mutated_files(tmp_path, seed_file, seed):
    """Every format: native .npz/.json, PyTorch .pt, safetensors, ONNX, Keras .weights.h5 and .keras."""
    target = tmp_path / f"mutated{''.join(seed_file.suffixes)}"
    target.write_bytes(mutate_bytes(seed_file.read_bytes(), seed))
    try:
        read_weights_file(target)
    except LSTMTraceError as error:
        assert str(error)


@pytest.mark.framework
def test_a_damaged_onnx_string_attribute_is_a_data_error(tmp_path):
    """Found by the fuzzer: a flipped bit in the direction attribute made bytes that are not UTF-8."""
    target = tmp_path / "damaged.onnx"
    target.write_bytes(mutate_bytes((CORPUS / "weights-random-3x2.onnx").read_bytes(), 2726))
    with pytest.raises(LSTMTraceError, match=r"node 'lstm' has direction .*; expected forward, reverse or bidirectional"):
        read_weights_file(target)
