"""Exercise 4: the pointwise (1x1) convolution, forward and backward (gx, gw)."""
from __future__ import annotations

import numpy as np

from ...kernels import (pointwise_backward_input, pointwise_backward_input_reference, pointwise_backward_weight,
                        pointwise_backward_weight_reference, pointwise_forward, pointwise_forward_reference)
from . import _conv
from .grade import Exercise, learner_variants


def configs():
    from hypothesis import strategies as st
    return st.fixed_dictionaries(dict(N=st.integers(1, 2), C=st.integers(1, 3), O=st.integers(1, 3),
                                      H=st.integers(1, 3), W=st.integers(1, 3), seed=st.integers(0, 3)))


def make_case(cfg):
    rng = np.random.default_rng(cfg["seed"])
    N, C, O, H, W = (cfg[a] for a in "NCOHW")
    return dict(cfg=cfg, x=rng.integers(-3, 4, (N, C, H, W)).astype(np.float64),
                w=rng.integers(-3, 4, (O, C, 1, 1)).astype(np.float64),
                gy=rng.integers(-3, 4, (N, O, H, W)).astype(np.float64))


def reference(c):
    return (pointwise_forward(c["x"], c["w"]), pointwise_backward_input(c["gy"], c["w"]),
            pointwise_backward_weight(c["x"], c["gy"]))


def call(fn, c):
    gx, gw = fn.pointwise_backward(c["gy"], c["x"], c["w"])
    return fn.pointwise_forward(c["x"], c["w"]), gx, gw


# the known mistakes, each as the learner's (forward, backward) with ONE term wrong; the right terms
# are minisep's einsum references
_fwd, _gx, _gw = pointwise_forward_reference, pointwise_backward_input_reference, pointwise_backward_weight_reference


MISTAKES = {
    "forward-transposed-w": (
        lambda x, w: np.einsum("co,nchw->nohw", w[:, :, 0, 0], x), None,
        "the forward reads w[o, c, 0, 0] (output channel first, PyTorch's layout): y[n,o] = Σ_c w[o,c]·x[n,c]; "
        "yours reads w[c, o]"),
    "gx-not-transposed": (
        None, lambda gy, x, w: (np.einsum("co,nohw->nchw", w[:, :, 0, 0], gy), _gw(x, gy)),
        "gx multiplies gy by the TRANSPOSED matrix: gx[n,c,h,w] = Σ_o w[o,c]·gy[n,o,h,w] (sum over the "
        "output channel o); yours reads w[c, o] as the forward's matrix"),
    "gw-transposed": (
        None, lambda gy, x, w: (_gx(gy, w), np.einsum("nohw,nchw->co", gy, x)[:, :, None, None]),
        "gw has w's shape (O, C, 1, 1): gw[o,c] = Σ_nhw gy[n,o,h,w]·x[n,c,h,w]; yours is its transpose (C, O)"),
    "gw-no-batch-sum": (
        None, lambda gy, x, w: (_gx(gy, w), np.einsum("ohw,chw->oc", gy[0], x[0])[:, :, None, None]),
        "gw sums over every sample n of the batch (and every pixel): yours keeps only n = 0"),
    "gw-no-pixel-sum": (
        None, lambda gy, x, w: (_gx(gy, w), np.einsum("no,nc->oc", gy[:, :, 0, 0], x[:, :, 0, 0])[:, :, None, None]),
        "gw sums over every pixel (h, w) too: the same 1x1 filter is used at every pixel; yours uses only (0, 0)"),
    "gw-mean-not-sum": (
        None, lambda gy, x, w: (_gx(gy, w), _gw(x, gy) / (x.shape[0] * x.shape[2] * x.shape[3])),
        "gw is a SUM over (n, h, w), not a mean: a weight used N·H·W times collects N·H·W gradients"),
}


class _Learner:
    """A (forward, backward) pair with one of them wrong, shaped like a learner's module."""

    def __init__(self, fwd=None, bwd=None):
        self.pointwise_forward = fwd or _fwd
        self.pointwise_backward = bwd or (lambda gy, x, w: (_gx(gy, w), _gw(x, gy)))


def wrong_learner(name):
    fwd, bwd, _ = MISTAKES[name]
    return _Learner(fwd, bwd)


def _fd(fn):
    cfg = dict(N=2, C=3, O=2, H=2, W=3, seed=5)
    c = make_case(cfg)
    x, w, gy = c["x"], c["w"], c["gy"]
    gx, gw = fn.pointwise_backward(gy, x, w)

    return _conv.fd_check("d<y, gy>/dx and /dw of your forward, against your gx and gw,", cfg,
                          lambda: float(np.sum(fn.pointwise_forward(x, w) * gy)), {"gx": (gx, x), "gw": (gw, w)})


EXERCISE = Exercise(
    number=4, name="pointwise", title="pointwise (1x1) conv: forward y, backward gx and gw",
    function=("pointwise_forward", "pointwise_backward"), stub="ex4_pointwise.py",
    configs=configs, make_case=make_case, reference=reference, call=call,
    variants=learner_variants(call, MISTAKES, wrong_learner),
    parts=("y", "gx", "gw"), map_kinds=("nchw", "nchw", "matrix"),
    map_axes=("(o, h, w), max over n", "(c, h, w), max over n", "(o, c)"),
    probes=(dict(N=2, C=2, O=2, H=2, W=2, seed=1),),
    solution="minisep/kernels/pointwise.py: pointwise_forward, pointwise_backward_input, "
    "pointwise_backward_weight (readable twins: *_reference)",
    docs="docs/backprop-separable-conv.md, section 4", fd_check=_fd)
