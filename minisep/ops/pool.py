"""Pooling ops: max, average (over kernel windows) and global average (over the whole image).

Letters as in ``ops/conv.py``: x (N,C,H,W), y (N,C,P,Q), gy = dL/dy, gx = dL/dx; window
offsets i/j in [0,kh)×[0,kw), stride s, xp = x padded by (pt, pb, pl, pr) (with -inf for max,
with 0 for average). Pooling has no dilation.
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
    """y[n,c,p,q] = max_ij xp[n,c,p·s+i, q·s+j];  the kernel also returns where each max was,
    argmax[n,c,p,q] = the flat (h·W + w) position in x of that maximum.

    backward: gx[n,c,h,w] = Σ_{p,q : argmax[n,c,p,q] = (h,w)} gy[n,c,p,q]   (overlapping windows add up;
    a tie goes to the first maximum in window order, as PyTorch).
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
    """y[n,c,p,q] = (1/cnt[p,q])·Σ_ij xp[n,c,p·s+i, q·s+j]  with cnt[p,q] = kh·kw when
    count_include_pad, else the number of window taps that fall inside x (not in the padding).

    backward: gxp[n,c,p·s+i, q·s+j] += gy[n,c,p,q] / cnt[p,q]   (for every p,q,i,j), gx = gxp cropped.
    kernels: avg_pool2d_forward / avg_pool2d_backward
    """

    @staticmethod
    def forward(ctx: Context, x, *, kernel_size, stride=None, padding=0, count_include_pad=True):
        _check_x("avg_pool2d", x)
        g: ConvGeometry = pool_geometry("avg_pool2d", x.shape[2:], kernel_size, stride, padding)
        ctx.g, ctx.dtype, ctx.count_include_pad = g, x.dtype, bool(count_include_pad)
        return pool_kernels.avg_pool2d_forward(np.ascontiguousarray(x), g, bool(count_include_pad))

    @staticmethod
    def backward(ctx: Context, gy):
        gy = np.ascontiguousarray(gy.astype(ctx.dtype, copy=False))
        return (pool_kernels.avg_pool2d_backward(gy, ctx.g, ctx.count_include_pad),)


class GlobalAvgPool2d(Function):
    """y[n,c] = (1/(H·W))·Σ_hw x[n,c,h,w]   (N,C,H,W) -> (N,C).

    backward: gx[n,c,h,w] = gy[n,c] / (H·W)   (numpy broadcast; no kernel needed).
    """

    @staticmethod
    def forward(ctx: Context, x):
        _check_x("global_avg_pool2d", x)
        ctx.in_shape = x.shape
        return x.mean(axis=(2, 3), dtype=x.dtype)

    @staticmethod
    def backward(ctx: Context, gy):
        N, C, H, W = ctx.in_shape
        gx = np.broadcast_to((gy / (H * W))[:, :, None, None], ctx.in_shape)  # (N,C) -> (N,C,H,W)
        return (np.ascontiguousarray(gx),)
