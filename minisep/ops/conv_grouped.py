"""Grouped convolution (PyTorch's groups=G): G standard convolutions side by side on channel slices.

G = 1 is the standard conv, G = C (with w (C·m, 1, kh, kw)) the depthwise conv; in between, as in
ResNeXt and ShuffleNet, each group of Cg = C/G inputs feeds its own Og = O/G outputs, at 1/G of the
standard conv's cost. F.conv2d(x, w, groups=G) sends G = 1 to Conv2d, G = C to DepthwiseConv2d and
every other G here. Letters as in ops/conv.py; e = o // Og is the group of output channel o and
c < Cg indexes the channels of a group (input channel e·Cg + c).
"""

from __future__ import annotations

from ..autograd import Context, Function
from ..kernels import conv_geometry
from ..kernels.geometry import check_buffers
from ..kernels.grouped_conv import (check_channels, check_groups, grouped_conv2d_backward_input,
                                    grouped_conv2d_backward_weight, grouped_conv2d_forward)
from .conv import _c, _shape, check_4d, check_float


def check_grouped_conv_args(op: str, x, w, groups) -> int:
    """x (N,C,H,W), w (O, C/groups, kh, kw), groups a positive int dividing C and O; returns groups."""
    G = check_groups(groups, op)
    check_4d(op, "x", x, "(N, C, H, W)")
    check_4d(op, "w", w, "(O, C/groups, kh, kw)")
    check_channels(x.shape[1], w.shape[0], w.shape[1], G, op, f"x {_shape(x)}")
    check_float(op, x=x, w=w)
    return G


class GroupedConv2d(Function):
    """Grouped conv (groups=G): output channel o sees only the Cg = C/G inputs of its group e = o // Og.

    x (N,C,H,W), w (O,Cg,kh,kw) (PyTorch layout), y (N,O,P,Q), Og = O/G:
        y[n,o,p,q]       = Σ_cij w[o,c,i,j]·xp[n,e·Cg+c, p·sh+i·rh, q·sw+j·rw]
    backward:
        gx[n,e·Cg+c,h,w] = Σ_{o in e,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o,c,i,j]·gy[n,o,p,q]
        gw[o,c,i,j]      = Σ_npq gy[n,o,p,q]·xp[n,e·Cg+c, p·sh+i·rh, q·sw+j·rw]
    (per group e: a standard conv of x[:, e·Cg:(e+1)·Cg] with w[e·Og:(e+1)·Og].)
    kernels: grouped_conv2d_forward / grouped_conv2d_backward_input / grouped_conv2d_backward_weight
    loops: grouped_conv2d_forward_loops / grouped_conv2d_backward_input_loops / grouped_conv2d_backward_weight_loops
    reference: grouped_conv2d_forward_reference / grouped_conv2d_backward_input_reference /
               grouped_conv2d_backward_weight_reference
    """

    @staticmethod
    def forward(ctx: Context, x, w, *, stride=1, padding=0, dilation=1, groups=1):
        G = check_grouped_conv_args("grouped_conv2d", x, w, groups)
        g = conv_geometry("grouped_conv2d", x.shape[2:], w.shape[2:], stride, padding, dilation)
        check_buffers("grouped_conv2d", g, x.shape[0], x.shape[1], w.shape[0], x.dtype.itemsize)
        x, w = _c(x), _c(w)
        ctx.save_for_backward(x, w)
        ctx.g, ctx.groups = g, G
        return grouped_conv2d_forward(x, w, g, G)

    @staticmethod
    def backward(ctx: Context, gy):
        x, w = ctx.saved
        gy = _c(gy.astype(x.dtype, copy=False))
        g, G = ctx.g, ctx.groups
        gx = grouped_conv2d_backward_input(gy, w, g, G) if ctx.needs_input_grad[0] else None
        gw = grouped_conv2d_backward_weight(x, gy, g, G) if ctx.needs_input_grad[1] else None
        return gx, gw
