"""safetensors files with PyTorch's key names, read with NumPy only, computing what torch computes."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from framework_models import SIZES, TOLERANCE, step_inputs, torch_lstm, torch_run, traced
from frameworks import LazyImport

from lstm_trace.weights import LayerSelection, read_weight_cells, read_weights_file

save_file = LazyImport("safetensors.torch", "save_file")

pytestmark = pytest.mark.framework


@pytest.mark.parametrize("H, I", SIZES)
def test_state_dict_saved_as_safetensors_matches_torch(tmp_path, H, I):
    lstm = torch_lstm(H, I, seed=H + 1)
    path = tmp_path / "lstm.safetensors"
    save_file(lstm.state_dict(), str(path))
    x, h, c = step_inputs(H, I, seed=H)
    expected_h, expected_c = torch_run(lstm, x[None], h[None], c[None])
    weights = read_weights_file(path)
    h_t, c_t = traced(weights, x, h, c)
    np.testing.assert_allclose(h_t, expected_h[0], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(c_t, expected_c[0], atol=TOLERANCE, rtol=0)
    assert weights.provenance["framework"] == "safetensors (PyTorch layout)"
    assert "b = bias_ih_l0 + bias_hh_l0" in weights.provenance["mapping"]


def test_bidirectional_stack_under_a_prefix(tmp_path):
    H, I = 4, 3
    lstm = torch_lstm(H, I, seed=5, num_layers=2, bidirectional=True)
    path = tmp_path / "model.safetensors"
    save_file({f"decoder.rnn.{k}": v for k, v in lstm.state_dict().items()}, str(path))
    x, _, _ = step_inputs(H, I, seed=5)
    zeros = np.zeros((4, H), np.float32)
    expected_h, expected_c = torch_run(lstm, x[None], zeros, zeros)
    weights_file = read_weight_cells(path)
    assert weights_file.layer_names == {0: "decoder.rnn.l0", 1: "decoder.rnn.l1"}
    layer_0 = [traced(weights_file.cells[(0, d)], x, zeros[0], zeros[0]) for d in ("forward", "reverse")]
    layer_1_input = np.concatenate([h for h, _ in layer_0])
    layer_1_reverse = read_weights_file(path, LayerSelection("decoder.rnn.l1", "reverse"))
    h_t, c_t = traced(layer_1_reverse, layer_1_input, zeros[0], zeros[0])
    np.testing.assert_allclose(h_t, expected_h[3], atol=TOLERANCE, rtol=0)  # row 3: layer 1, reverse
    np.testing.assert_allclose(c_t, expected_c[3], atol=TOLERANCE, rtol=0)


def test_reading_safetensors_never_imports_torch(tmp_path):
    path = tmp_path / "lstm.safetensors"
    save_file(torch_lstm(3, 2, seed=0).state_dict(), str(path))
    script = (
        "import sys; from pathlib import Path; from lstm_trace.weights import read_weights_file; "
        f"w = read_weights_file(Path({str(path)!r})); "
        "assert 'torch' not in sys.modules, 'torch was imported'; print(w.hidden_size, w.input_size)"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "2"]
