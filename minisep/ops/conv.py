"""Convolution ops: depthwise, pointwise (1x1), standard conv2d, and the channel bias.

Each Function is a thin shell round the Numba kernels in ``minisep.kernels``: it checks its
arguments (``check_conv_args``, before any kernel runs), computes the geometry once with
``conv_geometry`` and keeps it on ctx, and in backward computes only the gradients asked for.

Letters (as in the kernel code): x (N,C,H,W) input, w weight, y (N,O,P,Q) output, gy = dL/dy,
gx = dL/dx, gw = dL/dw; n batch, c in-channel, o out-channel, k depth-multiplier index,
h/w input row/column, p/q output row/column, i/j kernel row/column, stride (sh, sw),
dilation (rh, rw), xp = x zero-padded by g.padding = (pt, pb, pl, pr): xp[n,c,h+pt,w+pl] = x[n,c,h,w].
A separable conv is DepthwiseConv2d → PointwiseConv2d → AddBias: three graph nodes, as Keras.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from ..kernels import conv as conv_kernels
from ..kernels import depthwise as depthwise_kernels
from ..kernels import pointwise as pointwise_kernels
from ..kernels.bias import bias_backward
from ..kernels.checks import FLOAT_DTYPES as FLOATS
from ..kernels.geometry import ConvGeometry, check_buffers, conv_geometry


def _shape(a) -> str:
    """Compact shape text as in the messages: (2,3,5,5), (3,)."""
    return "(" + ",".join(str(n) for n in a.shape) + ("," if a.ndim == 1 else "") + ")"


def check_float(op: str, **arrays) -> np.dtype:
    """All arrays (Tensors or ndarrays) float32 or float64 and of one dtype; returns that dtype."""
    for name, a in arrays.items():
        if a.dtype not in FLOATS:
            raise TypeError(f"{op}: {name} must be float32 or float64, got {name} of dtype {a.dtype} "
                            f"(convert with .astype(np.float32))")
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        got = ", ".join(f"{name} {dt}" for name, dt in dtypes.items())
        raise TypeError(f"{op}: all inputs must have the same dtype (no silent casts), got {got}")
    return next(iter(dtypes.values()))


def check_4d(op: str, name: str, a, layout: str) -> None:
    """``a`` is 4-D with C, H, W >= 1 (N = 0 is allowed); ``layout`` (e.g. '(N, C, H, W)') goes in the message."""
    if a.ndim != 4:
        raise ValueError(f"{op}: {name} must be 4-D {layout}, got {name} of shape {_shape(a)} ({a.ndim}-D)")
    if 0 in a.shape[1:]:  # an empty batch (N = 0) is fine; an empty channel or image axis is not
        raise ValueError(f"{op}: {name} has an empty axis, shape {_shape(a)}; expected {layout} "
                         f"with every size after the first >= 1")


def check_conv_args(op: str, kind: str, x, w) -> None:
    """Shapes of x and w for ``kind`` in 'depthwise' | 'pointwise' | 'conv2d'; a ValueError naming both."""
    check_4d(op, "x", x, "(N, C, H, W)")
    both = f"(x {_shape(x)}, w {_shape(w)})"
    C = x.shape[1]
    if kind == "depthwise":
        check_4d(op, "w", w, "(C·m, 1, kh, kw)")
        if w.shape[1] != 1:
            raise ValueError(f"{op}: w must have shape (C·m, 1, kh, kw) with 1 on axis 1, got w {_shape(w)} {both}")
        if w.shape[0] % C:
            raise ValueError(f"{op}: w has {w.shape[0]} output channels, not a multiple of x's {C} "
                             f"input channels {both}")
    elif kind == "pointwise":
        check_4d(op, "w", w, "(O, C, 1, 1)")
        if w.shape[2:] != (1, 1):
            raise ValueError(f"{op}: w must have shape (O, C, 1, 1), got w {_shape(w)} {both}")
        if w.shape[1] != C:
            raise ValueError(f"{op}: w has {w.shape[1]} input channels (axis 1) but x has {C} {both}")
    elif kind == "conv2d":
        check_4d(op, "w", w, "(O, C, kh, kw)")
        if w.shape[1] != C:
            raise ValueError(f"{op}: w has {w.shape[1]} input channels (axis 1) but x has {C} {both}")
    else:  # pragma: no cover - programming error
        raise ValueError(f"check_conv_args: unknown kind {kind!r}")
    check_float(op, x=x, w=w)


def check_bias(op: str, b, out_channels: int, dtype) -> None:
    """b has shape (O,) and the dtype of the conv's inputs."""
    if tuple(b.shape) != (out_channels,):
        raise ValueError(f"{op}: b must have shape ({out_channels},), one value per output channel, "
                         f"got b of shape {_shape(b)}")
    if b.dtype != dtype:
        raise TypeError(f"{op}: b must have the dtype of x and w ({dtype}), got b {b.dtype}")


def _c(a: np.ndarray) -> np.ndarray:
    """C-contiguous once, here: the kernels copy any other layout on every call (gy may arrive as a view)."""
    return np.ascontiguousarray(a)


class DepthwiseConv2d(Function):
    """Depthwise conv: every input channel c has its own m filters; output channel c·m+k.

    x (N,C,H,W), w (C·m,1,kh,kw) (PyTorch groups=C layout), y (N,C·m,P,Q):
        y[n,c·m+k,p,q]  = Σ_ij w[c·m+k,0,i,j]·xp[n,c, p·sh+i·rh, q·sw+j·rw]
    backward:
        gx[n,c,h,w]     = Σ_{k,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[c·m+k,0,i,j]·gy[n,c·m+k,p,q]
        gw[c·m+k,0,i,j] = Σ_npq gy[n,c·m+k,p,q]·xp[n,c, p·sh+i·rh, q·sw+j·rw]
    (gx is a depthwise conv of gy placed on the stride grid, with the kernel flipped in i and j.)
    kernel: depthwise_forward / _backward_input / _backward_weight; loops: depthwise_*_loops;
    reference: depthwise_*_reference (all in kernels/depthwise.py)
    """

    @staticmethod
    def forward(ctx: Context, x, w, *, stride=1, padding=0, dilation=1):
        check_conv_args("depthwise_conv2d", "depthwise", x, w)
        g: ConvGeometry = conv_geometry("depthwise_conv2d", x.shape[2:], w.shape[2:], stride, padding, dilation)
        check_buffers("depthwise_conv2d", g, x.shape[0], x.shape[1], w.shape[0], x.dtype.itemsize)
        x, w = _c(x), _c(w)
        ctx.save_for_backward(x, w)
        ctx.g = g
        return depthwise_kernels.depthwise_forward(x, w, g)

    @staticmethod
    def backward(ctx: Context, gy):
        x, w = ctx.saved
        gy = _c(gy.astype(x.dtype, copy=False))
        gx = None
        if ctx.needs_input_grad[0]:  # w (C·m,1,kh,kw) alone cannot tell C from m: pass C
            gx = depthwise_kernels.depthwise_backward_input(gy, w, ctx.g, in_channels=x.shape[1])
        gw = depthwise_kernels.depthwise_backward_weight(x, gy, ctx.g) if ctx.needs_input_grad[1] else None
        return gx, gw


class PointwiseConv2d(Function):
    """Pointwise (1x1) conv: mixes channels at every pixel; a matrix product over c.

    x (N,C,H,W), w (O,C,1,1), y (N,O,H,W):
        y[n,o,h,w]   = Σ_c w[o,c,0,0]·x[n,c,h,w]
    backward:
        gx[n,c,h,w]  = Σ_o w[o,c,0,0]·gy[n,o,h,w]
        gw[o,c,0,0]  = Σ_nhw gy[n,o,h,w]·x[n,c,h,w]
    kernel: pointwise_forward / _backward_input / _backward_weight; loops: pointwise_*_loops;
    reference: pointwise_*_reference (all in kernels/pointwise.py)
    """

    @staticmethod
    def forward(ctx: Context, x, w):
        check_conv_args("pointwise_conv2d", "pointwise", x, w)
        x, w = _c(x), _c(w)
        ctx.save_for_backward(x, w)
        return pointwise_kernels.pointwise_forward(x, w)

    @staticmethod
    def backward(ctx: Context, gy):
        x, w = ctx.saved
        gy = _c(gy.astype(x.dtype, copy=False))
        gx = pointwise_kernels.pointwise_backward_input(gy, w) if ctx.needs_input_grad[0] else None
        gw = pointwise_kernels.pointwise_backward_weight(x, gy) if ctx.needs_input_grad[1] else None
        return gx, gw


class Conv2d(Function):
    """Standard 2-D convolution (cross-correlation, as PyTorch): every output channel sees all c.

    x (N,C,H,W), w (O,C,kh,kw), y (N,O,P,Q):
        y[n,o,p,q]   = Σ_cij w[o,c,i,j]·xp[n,c, p·sh+i·rh, q·sw+j·rw]
    backward:
        gx[n,c,h,w]  = Σ_{o,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o,c,i,j]·gy[n,o,p,q]
        gw[o,c,i,j]  = Σ_npq gy[n,o,p,q]·xp[n,c, p·sh+i·rh, q·sw+j·rw]
    kernel: conv2d_forward / _backward_input / _backward_weight; loops: conv2d_*_loops;
    reference: conv2d_*_reference (all in kernels/conv.py)
    """

    @staticmethod
    def forward(ctx: Context, x, w, *, stride=1, padding=0, dilation=1):
        check_conv_args("conv2d", "conv2d", x, w)
        g: ConvGeometry = conv_geometry("conv2d", x.shape[2:], w.shape[2:], stride, padding, dilation)
        check_buffers("conv2d", g, x.shape[0], x.shape[1], w.shape[0], x.dtype.itemsize)
        x, w = _c(x), _c(w)
        ctx.save_for_backward(x, w)
        ctx.g = g
        return conv_kernels.conv2d_forward(x, w, g)

    @staticmethod
    def backward(ctx: Context, gy):
        x, w = ctx.saved
        gy = _c(gy.astype(x.dtype, copy=False))
        gx = conv_kernels.conv2d_backward_input(gy, w, ctx.g) if ctx.needs_input_grad[0] else None
        gw = conv_kernels.conv2d_backward_weight(x, gy, ctx.g) if ctx.needs_input_grad[1] else None
        return gx, gw


class AddBias(Function):
    """One bias per channel: x (N,O,P,Q), b (O,).

        y[n,o,p,q]   = x[n,o,p,q] + b[o]
    backward:
        gx[n,o,p,q]  = gy[n,o,p,q]
        gb[o]        = Σ_npq gy[n,o,p,q]
    kernel: bias_backward (for gb); reference: bias_backward_reference (kernels/bias.py)
    """

    @staticmethod
    def forward(ctx: Context, x, b):
        check_4d("add_bias", "x", x, "(N, O, P, Q)")
        check_float("add_bias", x=x, b=b)
        check_bias("add_bias", b, x.shape[1], x.dtype)
        return x + b[None, :, None, None]

    @staticmethod
    def backward(ctx: Context, gy):
        gb = bias_backward(gy) if ctx.needs_input_grad[1] else None
        return (gy if ctx.needs_input_grad[0] else None), gb
