"""Test helper: a real torch.nn.LSTM's parameters as lstm-trace cells, and the per-step states of an LSTM or GRU.

PyTorch stacks the four gates' rows as i, f, g, o (g is the candidate C̃), keeps
the input and recurrent weights apart (weight_ih: 4H × I, weight_hh: 4H × H) and
has two biases, bias_ih and bias_hh, that are simply added.
"""

from __future__ import annotations

import numpy as np
from frameworks import LazyImport

from lstm_trace import LSTMWeights

torch = LazyImport("torch")

TORCH_GATE_ORDER = ("input", "forget", "candidate", "output")


def cells_from_torch(lstm) -> dict[tuple[int, str], LSTMWeights]:
    """{(layer, direction): LSTMWeights} from a torch.nn.LSTM, in its own dtype."""
    cells = {}
    H = lstm.hidden_size
    for layer in range(lstm.num_layers):
        for direction, suffix in (("forward", ""), ("reverse", "_reverse"))[: 2 if lstm.bidirectional else 1]:
            name = lambda kind: getattr(lstm, f"{kind}_l{layer}{suffix}").detach().numpy()  # noqa: E731
            W = np.hstack([name("weight_hh"), name("weight_ih")])  # (4H, H+I), columns [h | x]
            b = name("bias_ih") + name("bias_hh")
            cells[(layer, direction)] = LSTMWeights(
                W={gate: W[k * H : (k + 1) * H] for k, gate in enumerate(TORCH_GATE_ORDER)},
                b={gate: b[k * H : (k + 1) * H] for k, gate in enumerate(TORCH_GATE_ORDER)},
                provenance={"source": f"torch.nn.LSTM layer {layer} {direction}"},
            )
    return cells


def torch_per_step_states(model, xs: np.ndarray, h0=None, c0=None):
    """h_t (and C_t) of every step of every cell of a torch.nn.LSTM or GRU, by running it one step at a time.

    nn.LSTM returns only the last C, so each step is its own call with T = 1, on a one-layer
    model holding that cell's parameters (weight_hr too, with a projection); per layer and
    direction that gives {(layer, direction): (hs, cs)} with arrays (T, B, P) and (T, B, H)
    in time order (cs None for a GRU). xs is (T, B, I); h0, c0 default to zeros.
    """
    T, B = xs.shape[:2]
    is_lstm = isinstance(model, torch.nn.LSTM)
    H, L, P = model.hidden_size, model.num_layers, getattr(model, "proj_size", 0)
    D = 2 if model.bidirectional else 1
    h0 = np.zeros((L * D, B, P or H), xs.dtype) if h0 is None else h0
    c0 = np.zeros((L * D, B, H), xs.dtype) if c0 is None and is_lstm else c0
    parameters = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") + (("weight_hr",) if P else ())
    states = {}
    layer_input = xs
    for layer in range(L):
        outputs = []
        for d, direction in enumerate(("forward", "reverse")[:D]):
            options = {"proj_size": P} if P else {}
            cell = type(model)(layer_input.shape[2], H, **options).to(next(model.parameters()).dtype)
            suffix = "_reverse" if d else ""
            with torch.no_grad():
                for kind in parameters:
                    getattr(cell, f"{kind}_l0").copy_(getattr(model, f"{kind}_l{layer}{suffix}"))
                h = torch.from_numpy(h0[layer * D + d][None].copy())
                c = torch.from_numpy(c0[layer * D + d][None].copy()) if is_lstm else None
                hs, cs = np.empty((T, B, P or H), xs.dtype), np.empty((T, B, H), xs.dtype) if is_lstm else None
                for t in (range(T - 1, -1, -1) if d else range(T)):
                    step = torch.from_numpy(np.ascontiguousarray(layer_input[t : t + 1]))
                    if is_lstm:
                        _, (h, c) = cell(step, (h, c))
                        cs[t] = c[0].numpy()
                    else:
                        _, h = cell(step, h)
                    hs[t] = h[0].numpy()
            states[(layer, direction)] = (hs, cs)
            outputs.append(hs)
        layer_input = np.concatenate(outputs, axis=2)
    return states
