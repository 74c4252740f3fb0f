"""Exercise 8: BatchNorm2d backward in training mode (batch statistics): gx, ggamma, gbeta."""
from __future__ import annotations

import numpy as np

from ...kernels.batchnorm import bn_backward, bn_forward, bn_stats
from .. import bugs
from . import _conv
from .grade import Exercise, learner_variants


def configs():
    from hypothesis import strategies as st
    return st.fixed_dictionaries(dict(N=st.integers(1, 3), C=st.integers(1, 2), H=st.integers(1, 3),
                                      W=st.integers(1, 3), eps=st.sampled_from([1e-5, 0.1]), seed=st.integers(0, 3)))


def make_case(cfg):
    rng = np.random.default_rng(cfg["seed"])
    N, C, H, W = (cfg[a] for a in "NCHW")
    return dict(cfg=cfg, x=rng.standard_normal((N, C, H, W)), gamma=rng.uniform(0.5, 2.0, C),
                gy=rng.standard_normal((N, C, H, W)))


def _inv(var, eps):
    return 1.0 / np.sqrt(var + eps)


def reference(c):
    x, eps = c["x"], c["cfg"]["eps"]
    mean, var = bn_stats(x)
    return bn_backward(c["gy"], x, mean, _inv(var, eps), c["gamma"], True)


def call(fn, c):
    return fn(c["gy"], c["x"], c["gamma"], c["cfg"]["eps"])


def _formula(gy, x, gamma, eps, *, ddof=0, mean_term=True, xhat_term=True, use_gamma=True, eps_inside=True,
             ggamma_xhat=True):
    """The BN backward by the formula, one term switchable (the known mistakes)."""
    ax = (0, 2, 3)
    M = x.shape[0] * x.shape[2] * x.shape[3]
    mean = x.mean(axis=ax, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = ((x - mean) ** 2).sum(axis=ax, keepdims=True) / (M - ddof)
        inv = 1.0 / np.sqrt(var + eps) if eps_inside else 1.0 / (np.sqrt(var) + eps)
        xh = (x - mean) * inv
        g = gamma[None, :, None, None] if use_gamma else 1.0
        gx = gy.copy()
        if mean_term:
            gx = gx - gy.mean(axis=ax, keepdims=True)
        if xhat_term:
            gx = gx - xh * (gy * xh).mean(axis=ax, keepdims=True)
        gx = g * inv * gx
    return gx, np.sum(gy * (xh if ggamma_xhat else x), axis=ax), np.sum(gy, axis=ax)


def _learner(**knobs):
    return lambda gy, x, gamma, eps: _formula(gy, x, gamma, eps, **knobs)


MISTAKES = {
    "wrong-mean-in-BN": (bugs.bn_backward_wrong_mean, bugs.BN_BUGS["wrong-mean-in-BN"][1]),
    "no-mean-term": (
        _learner(mean_term=False),
        "x moves the batch mean too: gx = γ·inv·(gy - mean(gy) - x̂·mean(gy·x̂)); yours lacks the - mean(gy) "
        "term (the means are over (n, h, w) of channel c)"),
    "no-xhat-term": (
        _learner(xhat_term=False),
        "x moves the batch variance too: gx = γ·inv·(gy - mean(gy) - x̂·mean(gy·x̂)); yours lacks the "
        "- x̂·mean(gy·x̂) term (the ĝ·x̂ term, ĝ = γ·gy)"),
    "unbiased-variance": (
        _learner(ddof=1),
        "BatchNorm normalises with the BIASED batch variance, Σ(x - mean)² / M with M = N·H·W (the unbiased "
        "/ (M - 1) one only goes into running_var); yours divides by M - 1"),
    "no-gamma": (
        _learner(use_gamma=False),
        "y = γ·x̂ + β, so gx carries the factor γ[c]: gx = γ·inv·(...); yours leaves γ out"),
    "eps-outside-sqrt": (
        _learner(eps_inside=False),
        "inv = 1 / sqrt(var + eps): eps goes INSIDE the square root; yours uses 1 / (sqrt(var) + eps)"),
    "ggamma-uses-x": (
        _learner(ggamma_xhat=False),
        "ggamma[c] = Σ_nhw gy·x̂ (the normalised x̂ = (x - mean)·inv), not Σ gy·x"),
}


def wrong_learner(name):
    return MISTAKES[name][0]


def _fd(fn):
    cfg = dict(N=2, C=2, H=2, W=3, eps=1e-5, seed=4)
    c = make_case(cfg)
    x, gamma, gy, eps = c["x"], c["gamma"], c["gy"], cfg["eps"]
    beta = np.zeros(2)
    gx, ggamma, gbeta = fn(gy, x, gamma, eps)

    def loss():
        mean, var = bn_stats(x)
        return float(np.sum(bn_forward(x, mean, _inv(var, eps), gamma, beta) * gy))
    return _conv.fd_check("your gx, ggamma, gbeta vs central differences of <BN(x), gy>", cfg, loss,
                          {"gx": (gx, x), "ggamma": (ggamma, gamma), "gbeta": (gbeta, beta)})


EXERCISE = Exercise(
    number=8, name="batchnorm-backward", title="BatchNorm2d backward, training mode: gx, ggamma, gbeta",
    function="batchnorm_backward", stub="ex8_batchnorm_backward.py",
    configs=configs, make_case=make_case, reference=reference, call=call,
    variants=learner_variants(call, MISTAKES, wrong_learner),
    parts=("gx", "ggamma", "gbeta"), map_kinds=("nchw", "vector", "vector"),
    map_axes=("(c, h, w), max over n", "(c,)", "(c,)"),
    probes=(dict(N=2, C=2, H=2, W=2, eps=0.1, seed=1),),
    solution="minisep/kernels/batchnorm.py: bn_backward (readable twin: bn_backward_reference); the op is "
    "minisep/ops/norm.py: BatchNorm2d",
    docs="docs/learn-by-doing.md, section 'BatchNorm backward in three terms'", fd_check=_fd)
