"""Pooling ops: max, average (over kernel windows) and global average (over the whole image).

Letters as in ``ops/conv.py`` and the kernel code: x (N,C,H,W), y (N,C,P,Q), gy = dL/dy,
gx = dL/dx; window offsets i < kh, j < kw; stride (sh, sw); padding g.padding = (pt, pb, pl, pr),
at most half the kernel (PyTorch's rule), so every window holds at least one pixel of x.
Pooling has no dilation; stride defaults to the kernel size.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from ..kernels import pool as pool_kernels
from ..kernels.geometry import ConvGeometry, pool_geometry
from .conv import check_4d, check_float


def _check_x(op: str, x) -> None:
    check_4d(op, "x", x, "(N, C, H, W)")
    check_float(op, x=x)


class MaxPool2d(Function):
    """Max over each kh×kw window; the window of (p,q) is rows(p) = {p·sh-pt+i : i < kh}, cols(q) =
    {q·sw-pl+j : j < kw}, clipped to the image (so padding acts as -inf).

        y[n,c,p,q]      = max_{h ∈ rows(p), w ∈ cols(q)} x[n,c,h,w]
        argmax[n,c,p,q] = h·W + w of the first maximum in (i, j) order (as PyTorch)
    backward (overlapping windows add up):
        gx[n,c,h,w]     = Σ_{p,q : argmax[n,c,p,q] = h·W + w} gy[n,c,p,q]
    kernels: max_pool2d_forward / max_pool2d_backward
    """

    @staticmethod
    def forward(ctx: Context, x, *, kernel_size, stride=None, padding=0):
        _check_x("max_pool2d", x)
        g: ConvGeometry = pool_geometry("max_pool2d", x.shape[2:], kernel_size, stride, padding)
        y, argmax = pool_kernels.max_pool2d_forward(np.ascontiguousarray(x), g)
        ctx.save_for_backward(argmax)
        ctx.g, ctx.dtype = g, x.dtype
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (argmax,) = ctx.saved
        gy = np.ascontiguousarray(gy.astype(ctx.dtype, copy=False))
        return (pool_kernels.max_pool2d_backward(gy, argmax, ctx.g),)


class AvgPool2d(Function):
    """Mean over each kh×kw window (rows(p), cols(q) as in MaxPool2d; padding acts as zeros).

        y[n,c,p,q]  = Σ_{h ∈ rows(p), w ∈ cols(q)} x[n,c,h,w] / D[p,q]
    backward:
        gx[n,c,h,w] = Σ_{p,q : h ∈ rows(p), w ∈ cols(q)} gy[n,c,p,q] / D[p,q]
    with D = kh·kw if count_include_pad else |rows(p)|·|cols(q)| (the pixels inside the image).
    kernels: avg_pool2d_forward / avg_pool2d_backward
    """

    @staticmethod
    def forward(ctx: Context, x, *, kernel_size, stride=None, padding=0, count_include_pad=True):
        _check_x("avg_pool2d", x)
        if not isinstance(count_include_pad, (bool, np.bool_)):
            raise TypeError(f"avg_pool2d: count_include_pad must be True or False, got {count_include_pad!r}")
        g: ConvGeometry = pool_geometry("avg_pool2d", x.shape[2:], kernel_size, stride, padding)
        ctx.g, ctx.dtype, ctx.count_include_pad = g, x.dtype, bool(count_include_pad)
        return pool_kernels.avg_pool2d_forward(np.ascontiguousarray(x), g, bool(count_include_pad))

    @staticmethod
    def backward(ctx: Context, gy):
        gy = np.ascontiguousarray(gy.astype(ctx.dtype, copy=False))
        return (pool_kernels.avg_pool2d_backward(gy, ctx.g, ctx.count_include_pad),)


class GlobalAvgPool2d(Function):
    """Mean over the whole image: (N,C,H,W) -> (N,C).

        y[n,c]      = Σ_hw x[n,c,h,w] / (H·W)
    backward:
        gx[n,c,h,w] = gy[n,c] / (H·W)
    kernels: global_avg_pool2d_forward / global_avg_pool2d_backward (plain numpy: nothing to jit)
    """

    @staticmethod
    def forward(ctx: Context, x):
        _check_x("global_avg_pool2d", x)
        ctx.in_hw, ctx.dtype = x.shape[2:], x.dtype
        return pool_kernels.global_avg_pool2d_forward(x)

    @staticmethod
    def backward(ctx: Context, gy):
        return (pool_kernels.global_avg_pool2d_backward(gy.astype(ctx.dtype, copy=False), ctx.in_hw),)
