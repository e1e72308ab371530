"""The variant cells written out in torch ops, from the equations: the autograd reference for their backward.

Nothing here reads lstm_trace's maths: only the weights' arrays go in. Every
weight is a leaf and every intermediate we compare keeps its .grad, so one
`loss.backward()` gives each gradient by name.

    LSTM family (lstm | peephole | cifg, any CellOptions):
      z = [h_prev ; x];  a_f = W_f z + p_f ⊙ C_prev + b_f + B,  f = σ(clip(a_f))
      a_i = W_i z + p_i ⊙ C_prev + b_i,  i = σ(clip(a_i))     (cifg: i = 1 − f)
      a_c = W_c z + b_c,  C̃ = g(clip(a_c));  u = f ⊙ C_prev + i ⊙ C̃;  C = clip(u, ±V_c)
      a_o = W_o z + p_o ⊙ C + b_o,  o = σ(clip(a_o));  m = o ⊙ g(C);  h = W_hr m (projection) or m
    GRU (PyTorch's convention; W_g = [W_hg | W_ig]):
      r = σ(clip(W_ir x + W_hr h + b_r)),  z = σ(clip(W_iz x + W_hz h + b_z))
      n = g(clip(W_in x + b_in + r ⊙ (W_hn h + b_hn)))      (reset before: W_hn (r ⊙ h) + b_hn)
      h' = (1 − z) ⊙ n + z ⊙ h

Kinks follow torch: clamp passes the gradient where −V ≤ a ≤ V (inclusive), relu′(0) = 0.
"""

from __future__ import annotations

import numpy as np
from frameworks import LazyImport

torch = LazyImport("torch")

LSTM_GATES = ("forget", "input", "candidate", "output")
GRU_GATES = ("reset", "update", "new")
PEEPHOLE_GATES = ("forget", "input", "output")


def _leaf(value):
    return torch.tensor(np.asarray(value, dtype=np.float64), dtype=torch.float64, requires_grad=True)


def _kept(tensor):
    tensor.retain_grad()
    return tensor


def _grad(tensor) -> np.ndarray:
    return tensor.grad.detach().numpy().copy()


def _activations(cell):
    gate = {
        "sigmoid": torch.sigmoid,
        "hard_sigmoid": lambda a: torch.clamp(0.2 * a + 0.5, 0.0, 1.0),  # ONNX HardSigmoid, alpha 0.2, beta 0.5
    }[cell.gate_activation]
    squash = {
        "tanh": torch.tanh,
        "relu": torch.relu,
        "softsign": lambda a: a / (1 + torch.abs(a)),
    }[cell.cell_activation]
    return gate, squash


def _clip(a, bound):
    return a if bound is None else torch.clamp(a, -bound, bound)


class TorchLSTMVariant:
    """Leaves for one LSTM-family cell's weights; `step` runs one step and keeps every intermediate."""

    def __init__(self, weights, cell):
        self.cell = cell
        used = [g for g in LSTM_GATES if not (cell.variant == "cifg" and g == "input")]  # cifg: W_i, b_i unused
        self.W = {g: _leaf(weights.W[g]) for g in used}
        self.b = {g: _leaf(weights.b[g]) for g in used}
        self.p = {g: _leaf(weights.peepholes[g]) for g in PEEPHOLE_GATES} if cell.variant == "peephole" else None
        self.W_hr = None if weights.projection is None else _leaf(weights.projection)

    def _peep(self, gate, state):
        return 0.0 if self.p is None else self.p[gate] * state

    def step(self, x, h_prev, c_prev) -> dict:
        cell = self.cell
        gate_act, squash = _activations(cell)
        clip = cell.preact_clip
        z = torch.cat([h_prev, x])  # (P+I,) or (H+I,)
        pre, act = {}, {}
        pre["forget"] = _kept(self.W["forget"] @ z + self._peep("forget", c_prev) + self.b["forget"] + cell.forget_bias)
        act["forget"] = _kept(gate_act(_clip(pre["forget"], clip)))
        if cell.variant == "cifg":
            act["input"] = _kept(1 - act["forget"])
        else:
            pre["input"] = _kept(self.W["input"] @ z + self._peep("input", c_prev) + self.b["input"])
            act["input"] = _kept(gate_act(_clip(pre["input"], clip)))
        pre["candidate"] = _kept(self.W["candidate"] @ z + self.b["candidate"])
        act["candidate"] = _kept(squash(_clip(pre["candidate"], clip)))
        u = _kept(act["forget"] * c_prev + act["input"] * act["candidate"])
        c = _kept(_clip(u, cell.cell_clip))
        pre["output"] = _kept(self.W["output"] @ z + self._peep("output", c) + self.b["output"])
        act["output"] = _kept(gate_act(_clip(pre["output"], clip)))
        m = _kept(act["output"] * squash(c))  # (H,)
        h = _kept(m if self.W_hr is None else self.W_hr @ m)  # (P,) with a projection
        return {"pre": pre, "act": act, "u": u, "c": c, "m": m, "h": h}

    def weight_grads(self) -> dict:
        return {
            "d_W": {g: _grad(w) for g, w in self.W.items()},
            "d_b": {g: _grad(v) for g, v in self.b.items()},
            "d_peepholes": None if self.p is None else {g: _grad(v) for g, v in self.p.items()},
            "d_projection": None if self.W_hr is None else _grad(self.W_hr),
        }


class TorchGRU:
    """Leaves for one GRU's weights (W_g split into its hidden and input columns inside the step)."""

    def __init__(self, weights, cell):
        self.cell = cell
        self.H = weights.hidden_size
        self.W = {g: _leaf(weights.W[g]) for g in GRU_GATES}
        self.b = {g: _leaf(weights.b[g]) for g in GRU_GATES}
        self.b_hn = _leaf(weights.b_hn)

    def step(self, x, h_prev) -> dict:
        cell, H = self.cell, self.H
        gate_act, squash = _activations(cell)
        clip = cell.preact_clip
        W_h = {g: w[:, :H] for g, w in self.W.items()}  # (H, H)
        W_x = {g: w[:, H:] for g, w in self.W.items()}  # (H, I)
        h_for_keep = _kept(h_prev * 1.0)  # the z ⊙ h_prev path alone, to read its share of ∂L/∂h_prev
        pre, act = {}, {}
        for g in ("reset", "update"):
            pre[g] = _kept(W_x[g] @ x + W_h[g] @ h_prev + self.b[g])
            act[g] = _kept(gate_act(_clip(pre[g], clip)))
        if cell.gru_reset_before:
            hidden = W_h["new"] @ (act["reset"] * h_prev) + self.b_hn
        else:
            hidden = act["reset"] * (W_h["new"] @ h_prev + self.b_hn)
        pre["new"] = _kept(W_x["new"] @ x + self.b["new"] + hidden)
        act["new"] = _kept(squash(_clip(pre["new"], clip)))
        h = _kept((1 - act["update"]) * act["new"] + act["update"] * h_for_keep)
        return {"pre": pre, "act": act, "h": h, "h_for_keep": h_for_keep}

    def weight_grads(self) -> dict:
        return {
            "d_W": {g: _grad(w) for g, w in self.W.items()},
            "d_b": {g: _grad(v) for g, v in self.b.items()},
            "d_b_hn": _grad(self.b_hn),
        }


def torch_cell(weights, cell):
    return TorchGRU(weights, cell) if cell.variant == "gru" else TorchLSTMVariant(weights, cell)


def torch_step_reference(weights, cell, x, h_prev, c_prev, d_h, d_c) -> dict:
    """One step, L = Σ d_h ⊙ hₜ + Σ d_c ⊙ Cₜ (no C term for a GRU); forward values and every gradient as NumPy."""
    model = torch_cell(weights, cell)
    x, h_prev = _leaf(x), _leaf(h_prev)
    if cell.variant == "gru":
        values = model.step(x, h_prev)
        loss = (torch.as_tensor(d_h) * values["h"]).sum()
    else:
        c_prev = _leaf(c_prev)
        values = model.step(x, h_prev, c_prev)
        loss = (torch.as_tensor(d_h) * values["h"]).sum() + (torch.as_tensor(d_c) * values["c"]).sum()
    loss.backward()
    out = {
        "h": values["h"].detach().numpy().copy(),
        "preact": {g: a.detach().numpy().copy() for g, a in values["pre"].items()},
        "d_preact": {g: _grad(a) for g, a in values["pre"].items()},
        "d_act": {g: _grad(a) for g, a in values["act"].items()},
        "d_x": _grad(x),
        "d_h_prev": _grad(h_prev),
        **model.weight_grads(),
    }
    if cell.variant == "gru":
        out["d_h_direct"] = _grad(values["h_for_keep"])
    else:
        out.update(
            c=values["c"].detach().numpy().copy(),
            u=values["u"].detach().numpy().copy(),
            m=values["m"].detach().numpy().copy(),
            d_c_prev=_grad(c_prev),
            d_c=_grad(values["c"]),
            d_u=_grad(values["u"]),
            d_m=_grad(values["m"]),
        )
    return out


def torch_sequence_reference(weights, cell, xs, h0, c0, d_h, d_c) -> dict:
    """T steps, L = Σ d_h ⊙ h_T + Σ d_c ⊙ C_T; ∂L/∂h_t and ∂L/∂C_t for t = 0 … T and the weights' summed grads."""
    model = torch_cell(weights, cell)
    has_c = cell.variant != "gru"
    hs = [_leaf(h0)]
    cs = [_leaf(c0)] if has_c else None
    unclipped = []  # u_t = f ⊙ C_{t-1} + i ⊙ C̃ before the cell clip, t = 1 … T
    for x in xs:
        x = torch.as_tensor(np.asarray(x, dtype=np.float64))
        values = model.step(x, hs[-1], cs[-1]) if has_c else model.step(x, hs[-1])
        hs.append(values["h"])
        if has_c:
            cs.append(values["c"])
            unclipped.append(values["u"].detach().numpy().copy())
    loss = (torch.as_tensor(d_h) * hs[-1]).sum()
    if has_c:
        loss = loss + (torch.as_tensor(d_c) * cs[-1]).sum()
    loss.backward()
    return {
        "h_T": hs[-1].detach().numpy().copy(),
        "d_h": [_grad(h) for h in hs],  # index 0 = ∂L/∂h_0 … T = the upstream
        "d_c": [_grad(c) for c in cs] if has_c else None,
        "u": np.array(unclipped) if has_c else None,  # (T, H)
        **model.weight_grads(),
    }
