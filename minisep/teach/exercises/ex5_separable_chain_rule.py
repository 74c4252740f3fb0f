"""Exercise 5: the separable chain rule, dD and dP from dW = ∂L/∂W of the equivalent full conv.

    W[o, c, i, j] = Σ_k P[o, c·m+k] · D[c·m+k, i, j]      (k < m: the depth-multiplier index)
    dD[c·m+k, i, j] = Σ_o  P[o, c·m+k] · dW[o, c, i, j]
    dP[o, c·m+k]    = Σ_ij D[c·m+k, i, j] · dW[o, c, i, j]
"""
from __future__ import annotations

import numpy as np

from . import _conv
from .grade import Exercise, learner_variants


def configs():
    from hypothesis import strategies as st
    return st.fixed_dictionaries(dict(O=st.integers(1, 3), C=st.integers(1, 3), m=st.integers(1, 3),
                                      kh=st.integers(1, 3), kw=st.integers(1, 3), seed=st.integers(0, 3)))


def make_case(cfg):
    rng = np.random.default_rng(cfg["seed"])
    O, C, m, kh, kw = (cfg[a] for a in ("O", "C", "m", "kh", "kw"))
    return dict(cfg=cfg, dW=rng.integers(-3, 4, (O, C, kh, kw)).astype(np.float64),
                D=rng.integers(-3, 4, (C * m, 1, kh, kw)).astype(np.float64),
                P=rng.integers(-3, 4, (O, C * m, 1, 1)).astype(np.float64))


def compose(D, P, C):
    """W (O, C, kh, kw) = Σ_k P[o, c·m+k]·D[c·m+k, i, j], as SeparableConv2d.equivalent_conv_weight."""
    m, (kh, kw) = D.shape[0] // C, D.shape[2:]
    return np.einsum("ock,ckij->ocij", P.reshape(-1, C, m), D.reshape(C, m, kh, kw))


def reference(c):
    """minisep's autograd through W = Σ_k P·D, written with Tensor ops, then W.backward(dW)."""
    import minisep as ms

    dW, D, P = c["dW"], c["D"], c["P"]
    (O, C, kh, kw), m = dW.shape, D.shape[0] // dW.shape[1]
    Dt, Pt = ms.tensor(D, requires_grad=True), ms.tensor(P, requires_grad=True)
    W = (Pt.reshape(O, C, m, 1, 1) * Dt.reshape(1, C, m, kh, kw)).sum(axis=2)  # (O, C, kh, kw)
    W.backward(dW)
    return Dt.grad, Pt.grad


def call(fn, c):
    return fn(c["dW"], c["D"], c["P"])


def _loops(dW, D, P, channel=lambda c, k, m, C: c * m + k, ks=None, o_sum=True, taps=True, k_sum=False):
    """The reference as loops, with one term switchable (the known mistakes)."""
    O, C, kh, kw = dW.shape
    m = D.shape[0] // C
    dD, dP = np.zeros(D.shape), np.zeros(P.shape)
    for c in range(C):
        for k in range(m if ks is None else ks):
            for kk in (range(m) if k_sum else (k,)):
                u = channel(c, kk, m, C)
                for o in range(O if o_sum else 1):
                    dD[c * m + k, 0] += P[o, u, 0, 0] * dW[o, c]
                for o in range(O):
                    dP[o, c * m + k, 0, 0] += np.sum((D[u, 0] * dW[o, c]) if taps else D[u, 0, 0, 0] * dW[o, c, 0, 0])
    return dD, dP


MISTAKES = {
    "wrong-index-c": (
        lambda dW, D, P: _loops(dW, D, P, channel=lambda c, k, m, C: c),
        "the intermediate channel of input c and multiplier index k is c·m+k: read P[o, c·m+k] and D[c·m+k], "
        "not P[o, c] and D[c] (the same only when m = 1)"),
    "wrong-index-k·C+c": (
        lambda dW, D, P: _loops(dW, D, P, channel=lambda c, k, m, C: k * C + c),
        "the m channels of input c sit side by side, c·m .. c·m+m-1 (PyTorch's and Keras' order); yours "
        "indexes k·C + c"),
    "only-k-0": (
        lambda dW, D, P: _loops(dW, D, P, ks=1),
        "every multiplier index k < m has its own filter D[c·m+k] and weights P[:, c·m+k]: loop k over all m "
        "(yours fills in only k = 0)"),
    "summed-over-k": (
        lambda dW, D, P: _loops(dW, D, P, k_sum=True),
        "the m-sum belongs to the forward W = Σ_k P·D, not to its gradient: dD[c·m+k] uses only P[:, c·m+k] "
        "and dP[:, c·m+k] only D[c·m+k]; yours sums over all k < m"),
    "no-o-sum": (
        lambda dW, D, P: _loops(dW, D, P, o_sum=False),
        "D[c·m+k] feeds every output channel o of W: dD sums P[o, c·m+k]·dW[o, c] over all o (yours keeps o = 0)"),
    "no-tap-sum": (
        lambda dW, D, P: _loops(dW, D, P, taps=False),
        "P[o, c·m+k] multiplies every tap (i, j) of D[c·m+k]: dP sums D·dW over all (i, j) (yours uses (0, 0))"),
}


def wrong_learner(name):
    return MISTAKES[name][0]


def _fd(fn):
    cfg = dict(O=2, C=2, m=2, kh=2, kw=3, seed=3)
    c = make_case(cfg)
    dW, D, P = c["dW"], c["D"], c["P"]
    dD, dP = fn(dW, D, P)

    # L = <W(D, P), dW>: its gradients are exactly dD and dP
    return _conv.fd_check("your dD, dP vs central differences of L = <W(D, P), dW>", cfg,
                          lambda: float(np.sum(compose(D, P, dW.shape[1]) * dW)), {"dD": (dD, D), "dP": (dP, P)})


EXERCISE = Exercise(
    number=5, name="separable-chain-rule", title="the separable chain rule: dD and dP from dW (W = Σ_k P·D)",
    function="separable_chain_rule", stub="ex5_separable_chain_rule.py",
    configs=configs, make_case=make_case, reference=reference, call=call,
    variants=learner_variants(call, MISTAKES, wrong_learner),
    parts=("dD", "dP"), map_kinds=("kernel", "matrix"), map_axes=("(c·m+k, i, j)", "(o, c·m+k)"),
    probes=(dict(O=2, C=2, m=2, kh=2, kw=2, seed=1),),
    solution="minisep/nn/layers_conv.py: SeparableConv2d.equivalent_conv_weight (W = Σ_k P·D, which "
    "minisep's autograd differentiates); tests/test_separable_oracles.py holds dD and dP to it",
    docs="docs/backprop-separable-conv.md, section 5", fd_check=_fd)
