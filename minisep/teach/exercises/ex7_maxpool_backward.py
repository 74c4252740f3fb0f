"""Exercise 7: max-pool backward with ties (minisep's rule, PyTorch's: the first maximum of the window
in row-major (i, j) order takes all of gy; padding is -inf, so it never wins)."""
from __future__ import annotations

import numpy as np

from ...kernels import max_pool2d_backward, max_pool2d_forward, pool_geometry
from . import _conv
from .grade import Exercise, learner_variants


def _geometry(cfg):
    return pool_geometry("exercise", (cfg["H"], cfg["W"]), cfg["kernel"], cfg["stride"], cfg["padding"])


def configs():
    from hypothesis import assume, strategies as st

    @st.composite
    def config(draw):
        kernel = draw(st.integers(1, 3))
        cfg = dict(N=draw(st.integers(1, 2)), C=draw(st.integers(1, 2)), H=draw(st.integers(1, 6)),
                   W=draw(st.integers(1, 6)), kernel=kernel, stride=draw(st.integers(1, 3)),
                   padding=draw(st.integers(0, kernel // 2)), seed=draw(st.integers(0, 3)))
        try:
            _geometry(cfg)
        except ValueError:
            assume(False)
        return cfg
    return config()


def make_case(cfg, values=(-2, 2)):
    g = _geometry(cfg)
    rng = np.random.default_rng(cfg["seed"])
    N, C = cfg["N"], cfg["C"]
    # few distinct integers: many ties, and negative windows next to the padding
    return dict(cfg=cfg, g=g, x=rng.integers(values[0], values[1], (N, C, cfg["H"], cfg["W"])).astype(np.float64),
                gy=rng.integers(1, 5, (N, C) + g.out_hw).astype(np.float64))


def reference(c):
    _y, argmax = max_pool2d_forward(c["x"], c["g"])
    return max_pool2d_backward(c["gy"], argmax, c["g"])


def call(fn, c):
    cfg = c["cfg"]
    return fn(c["x"], c["gy"], cfg["kernel"], cfg["stride"], cfg["padding"])


def _loops(x, gy, k, stride, padding, *, tie="first", pad_value=-np.inf, add=True, use_stride=True):
    """The max-pool backward as loops, one term switchable (the known mistakes)."""
    N, C, H, W = x.shape
    P, Q = gy.shape[2:]
    s = stride if use_stride else 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)), constant_values=pad_value)
    gxp = np.zeros(xp.shape)
    for n in range(N):
        for c in range(C):
            for p in range(P):
                for q in range(Q):
                    window = xp[n, c, p * s:p * s + k, q * s:q * s + k]
                    best = window.max()
                    ties = [(i, j) for i in range(window.shape[0]) for j in range(window.shape[1])
                            if window[i, j] == best]
                    if tie == "first":
                        ties = ties[:1]
                    elif tie == "last":
                        ties = ties[-1:]
                    share = gy[n, c, p, q] / (len(ties) if tie == "split" else 1)
                    for i, j in ties:
                        if add:
                            gxp[n, c, p * s + i, q * s + j] += share
                        else:
                            gxp[n, c, p * s + i, q * s + j] = share
    return gxp[:, :, padding:padding + H, padding:padding + W]


def _learner(**knobs):
    return lambda x, gy, kernel, stride, padding: _loops(x, gy, kernel, stride, padding, **knobs)


MISTAKES = {
    "all-ties": (
        dict(tie="all"),
        "when several pixels tie for the max, only the FIRST in row-major (i, j) order gets gy (minisep's and "
        "PyTorch's rule); yours gives gy to every tied pixel"),
    "last-max": (
        dict(tie="last"),
        "ties go to the first maximum in (i, j) order: compare with > (strictly), not >=; yours keeps the last"),
    "split-ties": (
        dict(tie="split"),
        "the gradient is not shared among tied pixels: the first maximum in (i, j) order gets all of gy"),
    "padding-as-zero": (
        dict(pad_value=0.0),
        "max-pool padding is -inf, not 0: it never wins, so a window of negative values still sends gy to its "
        "largest real pixel; yours lets a zero padding cell win and the gradient vanishes"),
    "overwrite-not-add": (
        dict(add=False),
        "a pixel can be the max of several overlapping windows (stride < kernel): it collects all their "
        "gradients, so add (+=), do not assign"),
    "no-stride": (
        dict(use_stride=False),
        "window (p, q) starts at row p·s - pad and column q·s - pad: multiply by the stride"),
}


def wrong_learner(name):
    return _learner(**MISTAKES[name][0])


def _fd(fn):
    cfg = dict(N=1, C=2, H=5, W=6, kernel=3, stride=2, padding=1, seed=2)
    g = _geometry(cfg)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 5, 6))  # distinct values: no ties, the max is differentiable
    gy = rng.standard_normal((1, 2) + g.out_hw)
    return _conv.fd_check("your gx vs central differences (no ties)", cfg,
                          lambda: float(np.sum(max_pool2d_forward(x, g)[0] * gy)), {"gx": (fn(x, gy, 3, 2, 1), x)})


EXERCISE = Exercise(
    number=7, name="maxpool-backward", title="max-pool backward with ties (the first max takes gy)",
    function="max_pool_backward", stub="ex7_maxpool_backward.py",
    configs=configs, make_case=make_case, reference=reference, call=call,
    variants=learner_variants(call, MISTAKES, wrong_learner),
    map_axes="(c, h, w), max over n",
    probes=(dict(N=1, C=1, H=4, W=4, kernel=2, stride=1, padding=1, seed=0),
            dict(N=1, C=2, H=5, W=5, kernel=3, stride=2, padding=1, seed=1)),
    solution="minisep/kernels/pool.py: max_pool2d_forward (records the argmax) and max_pool2d_backward "
    "(readable twins: max_pool2d_forward_reference, max_pool2d_backward_reference)",
    docs="docs/learn-by-doing.md, section 'Max-pool ties'", fd_check=_fd, max_examples=40)
