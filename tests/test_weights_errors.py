"""Bad framework weights files: each a clear message, exit 1 (2 for a command-line problem), no traceback."""

from __future__ import annotations

import os
import pickle
import sys

import numpy as np
import pytest
from framework_models import one_line, onnx_lstm_model, torch_lstm
from frameworks import LazyImport

h5py = LazyImport("h5py")
keras = LazyImport("keras")  # first used after framework_models (imported above) chose the torch backend
onnx = LazyImport("onnx")
torch = LazyImport("torch")
TensorProto = LazyImport("onnx", "TensorProto")
helper = LazyImport("onnx.helper")
numpy_helper = LazyImport("onnx.numpy_helper")
save_file = LazyImport("safetensors.torch", "save_file")

pytestmark = [
    pytest.mark.framework,
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
]


def run_step(cli, path, *extra):
    result = cli("step", "--weights", str(path), "--x", "1,2,3", *extra)
    assert "Traceback" not in result.output
    return result.exit_code, one_line(result.output)


def good_state_dict(H=4, I=3):
    return torch_lstm(H, I, seed=0).state_dict()


# --- files that are not what their name says, or are cut short ------------------------------


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".safetensors", ".keras", ".weights.h5", ".onnx"])
def test_text_file_with_a_weights_suffix(tmp_path, cli, suffix):
    path = tmp_path / f"notes{suffix}"
    path.write_text("these are my notes, not weights\n")
    code, message = run_step(cli, path)
    assert code == 1
    assert "Cannot read" in message and str(path) in message


def _saved_files(tmp_path):
    torch.save(good_state_dict(), tmp_path / "m.pt")
    save_file(good_state_dict(), str(tmp_path / "m.safetensors"))
    model = keras.Sequential([keras.Input((2, 3)), keras.layers.LSTM(4)])
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    onnx.save(onnx_lstm_model(4, 3, seed=0), tmp_path / "m.onnx")
    return ["m.pt", "m.safetensors", "m.keras", "m.weights.h5", "m.onnx"]


def test_truncated_files(tmp_path, cli):
    for name in _saved_files(tmp_path):
        path = tmp_path / name
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        code, message = run_step(cli, path)
        assert code == 1, (name, message)
        assert "Cannot read" in message and "truncated" in message, (name, message)


# --- PyTorch state dicts ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".pt", ".safetensors"])
def test_missing_keys_are_named_and_the_keys_found_listed(tmp_path, cli, suffix):
    state = good_state_dict()
    del state["weight_hh_l0"]
    path = tmp_path / f"partial{suffix}"
    torch.save(state, path) if suffix == ".pt" else save_file(state, str(path))
    code, message = run_step(cli, path)
    assert code == 1
    assert "lacks weight_hh_l0 for the LSTM 'l0'" in message
    assert "Found keys:" in message and all(key in message for key in ("weight_ih_l0", "bias_ih_l0", "bias_hh_l0"))


def test_one_bias_without_the_other(tmp_path, cli):
    state = good_state_dict()
    del state["bias_hh_l0"]
    torch.save(state, tmp_path / "m.pt")
    code, message = run_step(cli, tmp_path / "m.pt")
    assert code == 1 and "lacks bias_hh_l0" in message


def test_state_dict_without_any_lstm(tmp_path, cli):
    torch.save(torch.nn.Linear(3, 2).state_dict(), tmp_path / "linear.pt")
    code, message = run_step(cli, tmp_path / "linear.pt")
    assert code == 1 and "holds no LSTM or GRU weights" in message and "Found keys: weight, bias" in message


def test_inconsistent_pytorch_shapes(tmp_path, cli):
    state = good_state_dict(H=4, I=3)
    state["weight_ih_l0"] = torch.zeros(15, 3)  # 4H = 16 rows expected
    torch.save(state, tmp_path / "m.pt")
    code, message = run_step(cli, tmp_path / "m.pt")
    assert code == 1
    assert "weight_ih_l0 has shape (15, 3), but weight_hh_l0 (16, 4) makes H = 4" in message
    assert "so it must have shape (16, I)" in message


def test_non_finite_weights(tmp_path, cli):
    state = good_state_dict()
    state["bias_ih_l0"][3] = float("nan")
    torch.save(state, tmp_path / "m.pt")
    code, message = run_step(cli, tmp_path / "m.pt")
    assert code == 1 and "contains NaN or infinity" in message


def test_gru_file_refuses_a_cell_state(tmp_path, cli, run_cli):
    torch.manual_seed(0)
    torch.save(torch.nn.GRU(3, 4).state_dict(), tmp_path / "gru.pt")
    code, message = run_step(cli, tmp_path / "gru.pt", "--c", "1,2,3,4")
    assert code == 2 and "--c sets C_(t-1), but a GRU has no cell state" in message
    process = run_cli("step", "--weights", str(tmp_path / "gru.pt"), "--x", "1,2,3", "--c", "1,2,3,4")
    assert process.returncode == 2 and "no cell state" in process.stderr and "Traceback" not in process.stderr


def test_gru_state_dict_with_inconsistent_shapes(tmp_path, cli):
    state = torch.nn.GRU(3, 4).state_dict()
    state["bias_hh_l0"] = torch.zeros(16)  # a GRU's is 3H = 12
    torch.save(state, tmp_path / "gru.pt")
    code, message = run_step(cli, tmp_path / "gru.pt")
    assert code == 1 and "bias_hh_l0 has shape (16,), but weight_hh_l0 (12, 4) makes H = 4" in message


def test_projection_with_a_wrong_shape(tmp_path, cli):
    torch.manual_seed(0)
    state = torch.nn.LSTM(3, 4, proj_size=2).state_dict()
    state["weight_hr_l0"] = torch.zeros(2, 5)  # must be (P, H) = (2, 4)
    torch.save(state, tmp_path / "proj.pt")
    code, message = run_step(cli, tmp_path / "proj.pt")
    assert code == 1
    assert "weight_hr_l0 has shape (2, 5), but weight_hh_l0 (16, 2) makes H = 4 and P = 2" in message


class CodePayload:
    """Unpickling this would create a marker file: what a malicious checkpoint would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("how", ["torch.save", "pickle.dumps"])
def test_pickle_with_a_code_payload_is_refused_and_never_run(tmp_path, run_cli, how):
    marker = tmp_path / "payload-ran"
    path = tmp_path / "checkpoint.pt"
    content = {"weight_ih_l0": torch.zeros(16, 3), "payload": CodePayload(marker)}
    if how == "torch.save":
        torch.save(content, path)
    else:
        path.write_bytes(pickle.dumps(content))
    assert not marker.exists()
    for command in (["step", "--weights", str(path), "--x", "1,2,3"], ["weights", "inspect", str(path)]):
        result = run_cli(*command)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        message = one_line(result.stderr)
        expected = "holds more than tensors" if how == "torch.save" else "is a plain Python pickle, not a file saved"
        assert expected in message and "weights_only=True" in message
    assert not marker.exists(), "the pickle's code ran"


def test_whole_pickled_model_is_refused_with_advice(tmp_path, cli):
    torch.save(torch_lstm(4, 3, seed=0), tmp_path / "whole.pt")
    code, message = run_step(cli, tmp_path / "whole.pt")
    assert code == 1 and "torch.save(model.state_dict(), 'model.pt')" in message


# --- Keras -----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_keras_file_without_an_lstm_layer(tmp_path, cli, suffix):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    path = tmp_path / f"dense{suffix}"
    model.save(path) if suffix == ".keras" else model.save_weights(path)
    code, message = run_step(cli, path)
    assert code == 1 and "has no LSTM or GRU layer" in message


def test_keras_lstm_with_inconsistent_shapes(tmp_path, cli):
    path = tmp_path / "bad.weights.h5"
    with h5py.File(path, "w") as h5:
        cell = h5.create_group("layers/lstm/cell/vars")
        cell.create_dataset("0", data=np.zeros((3, 12), np.float32))  # the kernel should be (I, 16)
        cell.create_dataset("1", data=np.zeros((4, 16), np.float32))
        cell.create_dataset("2", data=np.zeros(16, np.float32))
    code, message = run_step(cli, path)
    assert code == 1
    assert "the recurrent kernel (4, 16) makes H = 4, but the kernel has shape (3, 12), expected (I, 16)" in message


def test_keras_archive_without_weights(tmp_path, cli):
    import zipfile

    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    code, message = run_step(cli, tmp_path / "empty.keras")
    assert code == 1 and "has no model.weights.h5; it holds: config.json" in message


# --- ONNX ------------------------------------------------------------------------------------


def test_onnx_model_without_an_lstm_node(tmp_path, cli):
    node = helper.make_node("Add", ["a", "b"], ["c"])
    value = lambda name: helper.make_tensor_value_info(name, TensorProto.FLOAT, [2])  # noqa: E731
    graph = helper.make_graph([node], "add", [value("a"), value("b")], [value("c")])
    onnx.save(helper.make_model(graph), tmp_path / "add.onnx")
    code, message = run_step(cli, tmp_path / "add.onnx")
    assert code == 1 and "has no LSTM or GRU node; its nodes are: Add" in message


def test_onnx_weights_fed_at_run_time_are_not_in_the_file(tmp_path, cli):
    model = onnx_lstm_model(4, 3, seed=0)
    stored = [t for t in model.graph.initializer if t.name != "W"]
    del model.graph.initializer[:]
    model.graph.initializer.extend(stored)
    model.graph.input.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, [1, 16, 3]))
    onnx.save(model, tmp_path / "fed.onnx")
    code, message = run_step(cli, tmp_path / "fed.onnx")
    assert code == 1 and "the W input 'W' of node 'encoder_lstm' is not stored in the file" in message


def test_onnx_inconsistent_shapes(tmp_path, cli):
    model = onnx_lstm_model(4, 3, seed=0)
    for index, tensor in enumerate(model.graph.initializer):
        if tensor.name == "B":
            model.graph.initializer[index].CopyFrom(numpy_helper.from_array(np.zeros((1, 30), np.float32), "B"))
    onnx.save(model, tmp_path / "bad.onnx")
    code, message = run_step(cli, tmp_path / "bad.onnx")
    assert code == 1 and "B of node 'encoder_lstm' has shape (1, 30), but W (1, 16, 3) makes H = 4" in message


# --- choosing a cell -------------------------------------------------------------------------


@pytest.fixture
def stack(tmp_path):
    path = tmp_path / "stack.pt"
    torch.save(torch_lstm(4, 3, seed=0, num_layers=2, bidirectional=True).state_dict(), path)
    return path


def test_several_layers_without_layer_list_what_is_there(cli, stack):
    code, message = run_step(cli, stack)
    assert code == 2
    assert "holds 2 LSTM layers; choose one with --layer" in message
    assert "The file holds: 0 'l0' (forward, reverse); 1 'l1' (forward, reverse)." in message


def test_bidirectional_layer_without_direction(cli, stack):
    code, message = run_step(cli, stack, "--layer", "0")
    assert code == 2 and "Layer 0 of" in message and "is bidirectional; choose a cell with --direction" in message


@pytest.mark.parametrize(
    "options, fragment",
    [
        (["--layer", "7"], "--layer '7' matches no LSTM layer"),
        (["--layer", "decoder"], "--layer 'decoder' matches no LSTM layer"),
        (["--layer", "0", "--direction", "backward"], "--direction 'backward' is not a direction"),
    ],
)
def test_wrong_choices(cli, stack, options, fragment):
    code, message = run_step(cli, stack, *options)
    assert code == 2 and fragment in message


def test_layer_with_a_preset_is_a_usage_error(cli):
    result = cli("step", "--preset", "seed-question", "--layer", "1")
    assert result.exit_code == 2 and "choose one cell of a weights file" in one_line(result.output)


def test_reverse_of_a_forward_only_file(tmp_path, cli):
    torch.save(good_state_dict(), tmp_path / "m.pt")
    code, message = run_step(cli, tmp_path / "m.pt", "--direction", "reverse")
    assert code == 2 and "has no reverse cell. The file holds: 0 'l0' (forward)" in message


# --- optional packages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "module, name, extra",
    [("onnx", "m.onnx", "onnx"), ("h5py", "m.keras", "keras"), ("safetensors", "m.safetensors", "safetensors"),
     ("torch", "m.pt", "torch")],
)  # fmt: skip
def test_missing_package_names_the_extra(tmp_path, cli, monkeypatch, module, name, extra):
    _saved_files(tmp_path)
    for loaded in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, loaded)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now raises ImportError
    code, message = run_step(cli, tmp_path / name)
    assert code == 1 and f"needs the '{module}' package" in message and f"pip install 'lstm-trace[{extra}]'" in message


# --- start-up stays light ----------------------------------------------------------------------


def test_step_with_a_preset_loads_no_framework_module(run_cli, tmp_path):
    """The framework readers are registered, but nothing of them is imported until a file needs it."""
    import subprocess

    from conftest import ROOT

    script = (
        "import sys, runpy; sys.argv = ['lstm-trace', 'step', '--preset', 'seed-question']\n"
        "try:\n    runpy.run_module('lstm_trace', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('torch', 'h5py', 'onnx', 'safetensors', 'keras')\n"
        "         or m.startswith(('lstm_trace.weights.pytorch', 'lstm_trace.weights.keras',\n"
        "                          'lstm_trace.weights.onnx', 'lstm_trace.weights.safetensors'))]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert "HEAVY []" in result.stderr, result.stderr[-500:]


def test_weights_commands_on_a_file_type_they_do_not_read(tmp_path, cli):
    (tmp_path / "model.bin").write_bytes(b"\0")
    for command in (["inspect"], ["convert", "--to", "onnx", "-o", str(tmp_path / "m.onnx")]):
        result = cli("weights", *command[:1], str(tmp_path / "model.bin"), *command[1:])
        assert result.exit_code == 2 and "is not a weights file type lstm-trace reads" in one_line(result.output)
    missing = cli("weights", "inspect", str(tmp_path / "missing.onnx"))
    assert missing.exit_code == 2 and "does not exist" in one_line(missing.output)


@pytest.mark.framework
def test_bytes_that_are_not_a_pickle_are_called_damaged_not_objects(tmp_path):
    from lstm_trace import DataError
    from lstm_trace.weights import read_weights_file

    path = tmp_path / "noise.pt"
    path.write_bytes(bytes([186]) + bytes(50))  # 0xba is no pickle opcode
    with pytest.raises(DataError) as error:
        read_weights_file(path)
    assert "it may be damaged or of another format (PyTorch said: Unsupported operand 186)" in str(error.value)
    assert "holds more than tensors" not in str(error.value)
