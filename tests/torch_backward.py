"""PyTorch references for the backward pass: autograd on the same weights, nothing from lstm_trace's maths.

Two kinds of reference:
- the cell written out with torch ops (one leaf per W_g, b_g; every intermediate
  keeps its .grad), so autograd gives each intermediate gradient by name;
- torch's own `nn.LSTMCell` / `nn.RNNCell`, a separate implementation, for the
  gradients of weights, inputs and states.
"""

from __future__ import annotations

import numpy as np
from frameworks import LazyImport

torch = LazyImport("torch")

GATES = ("forget", "input", "candidate", "output")
TORCH_ORDER = ("input", "forget", "candidate", "output")  # PyTorch stacks rows as i, f, g, o


def _leaf(value, dtype="float64"):
    return torch.tensor(np.asarray(value, dtype=dtype), requires_grad=True)


def _retained(tensor):
    tensor.retain_grad()
    return tensor


def torch_cell_forward(W, b, x, h_prev, c_prev):
    """The LSTM equations as torch ops; returns every intermediate (all retain their grad)."""
    z = _retained(torch.cat([h_prev, x]))
    per_gate_z = {g: _retained(z.clone()) for g in GATES}  # its .grad is W_gᵀδ_g
    preact = {g: _retained(W[g] @ per_gate_z[g] + b[g]) for g in GATES}
    act = {g: _retained(torch.sigmoid(preact[g])) for g in ("forget", "input", "output")}
    act["candidate"] = _retained(torch.tanh(preact["candidate"]))
    c = _retained(act["forget"] * c_prev + act["input"] * act["candidate"])
    c_tanh = _retained(torch.tanh(c))
    h = _retained(act["output"] * c_tanh)
    return {"z": z, "per_gate_z": per_gate_z, "preact": preact, "act": act, "c": c, "c_tanh": c_tanh, "h": h}


def torch_step_gradients(weights, x, h_prev, c_prev, d_h, d_c, dtype="float64"):
    """Autograd through one step for L = Σ d_h ⊙ hₜ + Σ d_c ⊙ Cₜ; every gradient as NumPy."""
    W = {g: _leaf(weights.W[g], dtype) for g in GATES}
    b = {g: _leaf(weights.b[g], dtype) for g in GATES}
    x, h_prev, c_prev = _leaf(x, dtype), _leaf(h_prev, dtype), _leaf(c_prev, dtype)
    values = torch_cell_forward(W, b, x, h_prev, c_prev)
    loss = (_leaf(d_h, dtype).detach() * values["h"]).sum() + (_leaf(d_c, dtype).detach() * values["c"]).sum()
    loss.backward()
    n = lambda tensor: tensor.grad.detach().numpy()  # noqa: E731
    grads = {
        "d_h": n(values["h"]),
        "d_c": n(values["c"]),
        "d_z": n(values["z"]),
        "d_h_prev": n(h_prev),
        "d_x": n(x),
        "d_c_prev": n(c_prev),
    }
    for g in GATES:
        grads[f"{g}.d_act"] = n(values["act"][g])
        grads[f"{g}.d_preact"] = n(values["preact"][g])
        grads[f"{g}.d_W"] = n(W[g])
        grads[f"{g}.d_b"] = n(b[g])
        grads[f"{g}.d_z"] = n(values["per_gate_z"][g])
        grads[f"{g}.local"] = _slope(torch.tanh if g == "candidate" else torch.sigmoid, values["preact"][g])
    grads["c_tanh_local"] = _slope(torch.tanh, values["c"])
    return grads


def _slope(function, at):
    """The element-wise derivative of `function` at `at`, by autograd."""
    point = at.detach().clone().requires_grad_(True)
    (slope,) = torch.autograd.grad(function(point).sum(), point)
    return slope.numpy()


def lstm_cell_module(weights, dtype="float64"):
    """torch.nn.LSTMCell holding `weights` (bias_hh zero, so bias_ih is b)."""
    H, I = weights.hidden_size, weights.input_size
    cell = torch.nn.LSTMCell(I, H).to(getattr(torch, dtype))
    W = np.vstack([weights.W[g] for g in TORCH_ORDER])  # (4H, H+I), columns [h | x]
    bias = np.concatenate([weights.b[g] for g in TORCH_ORDER])
    with torch.no_grad():
        cell.weight_hh.copy_(torch.from_numpy(W[:, :H].astype(dtype)))
        cell.weight_ih.copy_(torch.from_numpy(W[:, H:].astype(dtype)))
        cell.bias_ih.copy_(torch.from_numpy(bias.astype(dtype)))
        cell.bias_hh.zero_()
    return cell


def lstm_cell_parameter_gradients(cell, hidden_size):
    """∂L/∂W_g (H, H+I) and ∂L/∂b_g from an LSTMCell's .grad, back in the canonical layout."""
    H = hidden_size
    W = np.hstack([cell.weight_hh.grad.numpy(), cell.weight_ih.grad.numpy()])  # (4H, H+I)
    bias = cell.bias_ih.grad.numpy()
    rows = {g: slice(k * H, (k + 1) * H) for k, g in enumerate(TORCH_ORDER)}
    return {g: W[rows[g]] for g in GATES}, {g: bias[rows[g]] for g in GATES}


def torch_lstm_through_time(weights, xs, h0, c0, d_h_last, d_c_last):
    """Unrolled torch ops over xs (T, I); L = Σ d_h ⊙ h_T + Σ d_c ⊙ C_T.

    Returns ∂L/∂h_t and the whole ∂L/∂C_t for t = 0 … T, each (T+1, H).
    """
    W = {g: _leaf(weights.W[g]) for g in GATES}
    b = {g: _leaf(weights.b[g]) for g in GATES}
    hs, cs = [_leaf(h0)], [_leaf(c0)]
    for x in xs:
        values = torch_cell_forward(W, b, _leaf(x), hs[-1], cs[-1])
        hs.append(values["h"])
        cs.append(values["c"])
    loss = (_leaf(d_h_last).detach() * hs[-1]).sum() + (_leaf(d_c_last).detach() * cs[-1]).sum()
    loss.backward()
    return np.stack([h.grad.numpy() for h in hs]), np.stack([c.grad.numpy() for c in cs])


def lstm_cell_through_time(weights, xs, h0, c0, d_h_last, d_c_last):
    """The same with nn.LSTMCell: ∂L/∂h_t, ∂L/∂C_t, ∂L/∂x_t and the parameter gradients.

    On the CPU, LSTMCell builds h_t from the very C_t tensor it returns, so the .grad of
    that tensor is the whole ∂L/∂C_t (through h_t and through C_{t+1}), as in our trace.
    """
    cell = lstm_cell_module(weights)
    xs_leaf = [_leaf(np.asarray(x)[None]) for x in xs]  # (1, I): LSTMCell wants a batch
    hs, cs = [_leaf(np.asarray(h0)[None])], [_leaf(np.asarray(c0)[None])]
    for x in xs_leaf:
        h, c = cell(x, (hs[-1], cs[-1]))
        hs.append(_retained(h))
        cs.append(_retained(c))
    upstream = [torch.from_numpy(np.asarray(d, dtype="float64")[None]) for d in (d_h_last, d_c_last)]
    torch.autograd.backward([hs[-1], cs[-1]], upstream)
    flat = lambda tensor: tensor.grad.numpy().reshape(-1)  # noqa: E731
    d_W, d_b = lstm_cell_parameter_gradients(cell, weights.hidden_size)
    return {
        "d_h": np.stack([flat(h) for h in hs]),
        "d_c": np.stack([flat(c) for c in cs]),
        "d_x": np.stack([flat(x) for x in xs_leaf]),
        "d_W": d_W,
        "d_b": d_b,
    }


def rnn_cell_through_time(W, b, xs, h0, d_h_last):
    """nn.RNNCell (tanh) unrolled over xs; ∂L/∂h_t for t = 0 … T with L = Σ d_h ⊙ h_T."""
    H = b.shape[0]
    cell = torch.nn.RNNCell(xs.shape[1], H, nonlinearity="tanh").double()
    with torch.no_grad():
        cell.weight_hh.copy_(torch.from_numpy(W[:, :H]))
        cell.weight_ih.copy_(torch.from_numpy(W[:, H:]))
        cell.bias_ih.copy_(torch.from_numpy(b))
        cell.bias_hh.zero_()
    hs = [_leaf(h0[None])]
    for x in xs:
        hs.append(_retained(cell(torch.from_numpy(x[None]), hs[-1])))
    hs[-1].backward(torch.from_numpy(np.asarray(d_h_last))[None])
    return np.stack([h.grad.numpy()[0] for h in hs])
