"""Deliberately wrong depthwise backwards, one per classic mistake, for the break-it mode and the hints.

Each bug changes ONE term of the correct formulas (letters as in docs/backprop-separable-conv.md;
k is the depth-multiplier index, output channel c·m + k):

    gx[n, c, h, w]     = Σ_{k,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[c·m+k, 0, i, j] · gy[n, c·m+k, p, q]
    gw[c·m+k, 0, i, j] = Σ_{n,p,q} gy[n, c·m+k, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]

The implementations are plain loops over (k, p, q, i, j) with numpy over (n, c), switched by a
`Knobs` record, so a learner can read exactly which term each one gets wrong.

    minisep gradcheck --layer depthwise --shape 1,2,6,6 --stride 2 --bug no-flip
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.geometry import ConvGeometry


@dataclass(frozen=True)
class Knobs:
    """Which term to get wrong; the defaults give the correct gradients."""

    flip: bool = True        # dX reads w[kh-1-i, kw-1-j] when gy is gathered (False: the kernel is not flipped)
    stride: bool = True      # output p reads row p·sh + i·rh (False: p + i·rh, the stride forgotten)
    dilation: bool = True    # tap i sits at i·rh (False: at i)
    pad_shift: int = 0       # added to (pt, pl): -1 is the off-by-one crop
    extra_top: bool = False  # the odd 'same' pad at the top/left instead of the bottom/right
    m_sum: bool = True       # dX sums the m filters of channel c (False: only k = 0)
    batch_sum: bool = True   # dD sums over the batch n (False: only n = 0)


EXACT = Knobs()


def _offsets(g: ConvGeometry, kn: Knobs) -> tuple[int, int]:
    pt, pb, pl, pr = g.padding
    if kn.extra_top:
        pt, pl = pb, pr
    return pt + kn.pad_shift, pl + kn.pad_shift


def _steps(g: ConvGeometry, kn: Knobs):
    (sh, sw), (rh, rw) = g.stride, g.dilation
    return ((sh, sw) if kn.stride else (1, 1)), ((rh, rw) if kn.dilation else (1, 1))


def _reads(g: ConvGeometry, kn: Knobs):
    """Yield (p, q, i, j, h, w): output (p, q) reads input (h, w) through tap (i, j), inside the image."""
    (H, W), (kh, kw), (P, Q) = g.in_hw, g.kernel_hw, g.out_hw
    (sh, sw), (rh, rw) = _steps(g, kn)
    top, left = _offsets(g, kn)
    for p in range(P):
        for q in range(Q):
            for i in range(kh):
                for j in range(kw):
                    h, w = p * sh + i * rh - top, q * sw + j * rw - left
                    if 0 <= h < H and 0 <= w < W:
                        yield p, q, i, j, h, w


def depthwise_input(gy, w, g: ConvGeometry, in_channels: int, kn: Knobs = EXACT) -> np.ndarray:
    """gx (N, C, H, W) with the terms of `kn`."""
    N, C = gy.shape[0], int(in_channels)
    m, (kh, kw) = w.shape[0] // C, g.kernel_hw
    # the gather formula reads w[o, i, j]; a backward written as 'correlate gy with w' without the flip
    # reads w[o, kh-1-i, kw-1-j] instead
    wk = w[:, 0] if kn.flip else w[:, 0, ::-1, ::-1]
    gx = np.zeros((N, C) + tuple(g.in_hw), np.result_type(gy, w))
    channels = np.arange(C) * m
    for k in range(m if kn.m_sum else 1):
        o = channels + k  # (C,): output channel c·m + k of every input channel c
        for p, q, i, j, h, x_w in _reads(g, kn):
            gx[:, :, h, x_w] += wk[o, i, j] * gy[:, o, p, q]
    return gx


def depthwise_weight(x, gy, g: ConvGeometry, kn: Knobs = EXACT) -> np.ndarray:
    """gw (C·m, 1, kh, kw) with the terms of `kn`."""
    N, C = x.shape[:2]
    m, (kh, kw) = gy.shape[1] // C, g.kernel_hw
    gw = np.zeros((C * m, kh, kw), np.result_type(x, gy))
    batch = slice(None) if kn.batch_sum else slice(0, 1)
    channels = np.arange(C) * m
    for k in range(m):
        o = channels + k
        for p, q, i, j, h, w in _reads(g, kn):
            gw[o, i, j] += np.sum(gy[batch, o, p, q] * x[batch, :, h, w], axis=0)
    return gw[:, None]


def depthwise_forward(x, w, g: ConvGeometry, kn: Knobs = EXACT) -> np.ndarray:
    """y (N, C·m, P, Q) with the read terms of `kn` (flip: the kernel read backwards)."""
    N, C = x.shape[:2]
    m = w.shape[0] // C
    wk = w[:, 0] if kn.flip else w[:, 0, ::-1, ::-1]
    y = np.zeros((N, C * m) + tuple(g.out_hw), np.result_type(x, w))
    channels = np.arange(C) * m
    for k in range(m):
        o = channels + k
        for p, q, i, j, h, x_w in _reads(g, kn):
            y[:, o, p, q] += wk[o, i, j] * x[:, :, h, x_w]
    return y


@dataclass(frozen=True)
class Bug:
    name: str
    knobs: Knobs
    breaks: tuple         # which gradients it breaks: "dX", "dD"
    hint: str             # the term that is wrong, as a learner should hear it
    pattern: str          # what its error map looks like


DEPTHWISE_BUGS = {b.name: b for b in (
    Bug("no-flip", Knobs(flip=False), ("dX",),
        "dX gathers gy with the kernel flipped in i and j (w[c·m+k, 0, kh-1-i, kw-1-j] when written as a "
        "correlation); yours reads the kernel unflipped",
        "errors almost everywhere in dX; dD is right"),
    Bug("no-stride-grid", Knobs(stride=False), ("dX", "dD"),
        "output p reads input row p·sh + i·rh - pt: gy must be placed on the stride grid (s-1 zeros between "
        "neighbours); yours uses p + i·rh",
        "dX: gradient piled into the top-left corner, rows/columns beyond (P-1) + (k-1)·d get none"),
    Bug("symmetric-same", Knobs(extra_top=True), ("dX", "dD"),
        "Keras 'same' puts the odd extra padding row/column at the bottom/right (pt = total // 2, "
        "pb = total - pt); yours puts it at the top/left",
        "no error when total padding is even; with stride 2 and an even size everything shifts by one pixel"),
    Bug("no-m-sum", Knobs(m_sum=False), ("dX",),
        "input channel c feeds the m outputs c·m + k (k < m): dX[c] must sum all m of them; yours keeps k = 0",
        "no error with m = 1; with m > 1 errors everywhere in dX"),
    Bug("no-dilation", Knobs(dilation=False), ("dX", "dD"),
        "tap (i, j) sits at i·rh, j·rw: multiply the tap offset by the dilation",
        "no error with dilation 1; otherwise dD wrong at every tap but (0, 0)"),
    Bug("off-by-one-padding", Knobs(pad_shift=-1), ("dX",),
        "x[h] is xp[h + pt]: crop the padded gradient from row pt and column pl; yours is off by one",
        "dX shifted by one row and one column: errors along the moving edges, the far row/column only partly"),
    Bug("no-batch-sum", Knobs(batch_sum=False), ("dD",),
        "dD sums over every sample n of the batch; yours keeps only n = 0",
        "no error with N = 1; otherwise errors at every tap of dD"),
)}


def bn_backward_wrong_mean(gy, x, gamma, eps):
    """The 'instance norm' mistake: the two means of the BN backward taken per sample over (h, w)."""
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    inv = 1.0 / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
    xh = (x - mean) * inv
    g = gamma[None, :, None, None]
    gx = g * inv * (gy - gy.mean(axis=(2, 3), keepdims=True) - xh * (gy * xh).mean(axis=(2, 3), keepdims=True))
    return gx, np.sum(gy * xh, axis=(0, 2, 3)), np.sum(gy, axis=(0, 2, 3))


BN_BUGS = {"wrong-mean-in-BN": (
    bn_backward_wrong_mean,
    "the means in dX = γ·inv·(gy - mean(gy) - xh·mean(gy·xh)) are per channel c over (n, h, w); yours averages "
    "over (h, w) of each sample",
    "no error with N = 1; otherwise small errors everywhere in dX, dgamma and dbeta right")}

BUG_NAMES = tuple(DEPTHWISE_BUGS) + tuple(BN_BUGS)


def buggy_depthwise(name: str):
    """A DepthwiseConv2d Function whose backward has bug `name` (its forward is minisep's)."""
    from ..ops.conv import DepthwiseConv2d

    bug = DEPTHWISE_BUGS[name]

    def backward(ctx, gy):
        x, w = ctx.saved
        gx = depthwise_input(gy, w, ctx.g, x.shape[1], bug.knobs if "dX" in bug.breaks else EXACT)
        gw = depthwise_weight(x, gy, ctx.g, bug.knobs if "dD" in bug.breaks else EXACT)
        return gx, gw

    return type(f"DepthwiseConv2d_{name.replace('-', '_')}", (DepthwiseConv2d,),
                {"backward": staticmethod(backward), "__doc__": f"DepthwiseConv2d with the bug {name!r}: {bug.hint}"})


def buggy_batchnorm(name: str, eps: float = 1e-5):
    """fn(x, gamma, beta): training-mode batch norm whose backward has bug `name`."""
    from ..autograd import Function

    wrong = BN_BUGS[name][0]

    class BuggyBatchNorm(Function):
        """y = gamma·xh + beta with batch statistics; backward deliberately wrong."""

        @staticmethod
        def forward(ctx, x, gamma, beta):
            ctx.save_for_backward(x, gamma)
            mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
            xh = (x - mean[None, :, None, None]) / np.sqrt(var + eps)[None, :, None, None]
            return gamma[None, :, None, None] * xh + beta[None, :, None, None]

        @staticmethod
        def backward(ctx, gy):
            x, gamma = ctx.saved
            return wrong(gy, x, gamma, eps)

    return BuggyBatchNorm.apply
