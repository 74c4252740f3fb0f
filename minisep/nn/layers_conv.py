"""Convolution layers: Conv2d, DepthwiseConv2d, PointwiseConv2d and SeparableConv2d (depthwise then pointwise).

Layouts (PyTorch's): Conv2d w (O,C/groups,kh,kw); depthwise w (C·m,1,kh,kw) (torch: Conv2d(C, C·m,
groups=C)); pointwise w (O,C,1,1); bias (O,). Inputs are NCHW: an (N,H,W,C) input is an error that says so.

Constructor arguments follow torch.nn.Conv2d: (in_channels, out_channels, kernel_size, stride, padding,
dilation, bias); the depth multiplier m is keyword-only (DepthwiseConv2d(32, 32, 3) is m = 1, k = 3).

Init: He normal, std = √2/√fan_in (fan_in = C/groups·kh·kw; kh·kw for depthwise, C for pointwise), as the
layer is followed by ReLU (or BN+ReLU) in our models. A SeparableConv2d with nothing between its two
halves (Keras) draws the depthwise weights with gain 1 instead of √2, since no ReLU follows them: the
pair then scales the input variance by 2, as one He-initialised conv does. Biases start at 0.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import init
from ..random import as_rng
from ..kernels.geometry import check_window_args, pair
from .layers import BatchNorm2d, ReLU, check_dtype, check_int, check_weight_size
from .module import Module, Parameter, Sequential


def kernel_pair(value, where: str) -> tuple[int, int]:
    """3 -> (3, 3); (3, 5) stays; each >= 1 (the one ``pair`` of kernels/geometry.py, plus the bound)."""
    kh, kw = pair(value, "kernel_size", where)
    if min(kh, kw) < 1:
        raise ValueError(f"{where}: kernel_size must be >= 1 in both dimensions, got {value!r}")
    return kh, kw


def _geometry_repr(layer) -> str:
    parts = [f"kernel_size={layer.kernel_size}"]
    for name, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
        value = getattr(layer, name)
        if value != default:
            parts.append(f"{name}={value}")
    if layer.bias is None:
        parts.append("bias=False")
    return ", ".join(parts)


def check_nchw(where: str, x, in_channels: int) -> None:
    """x must be (N, in_channels, H, W); an NHWC-looking input (last axis = in_channels) says minisep is NCHW."""
    shape = tuple(getattr(x, "shape", ()))
    if len(shape) == 4 and shape[1] != in_channels:
        hint = (" It looks channels-last (N, H, W, C): minisep is NCHW, as PyTorch; use x.permute(0, 3, 1, 2)"
                " (on an ndarray: x.transpose(0, 3, 1, 2))." if shape[3] == in_channels else "")
        raise ValueError(f"{where}: x must be (N, {in_channels}, H, W) (NCHW) for in_channels={in_channels}, "
                         f"got shape {shape}.{hint}")


class Conv2d(Module):
    """y[n,o,p,q] = b[o] + Σ_cij w[o,c,i,j]·xp[n,e·Cg+c, p·s+i·d, q·s+j·d].  w (O,C/groups,kh,kw).

    groups=G (as torch): output channel o sees only the Cg = C/G inputs of its group e = o // (O/G);
    G = 1 is the standard conv, G = C the depthwise one. C and O must be divisible by G.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels = C = check_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = O = check_int(out_channels, "out_channels", "Conv2d")
        self.groups = G = check_int(groups, "groups", "Conv2d")
        if C % G or O % G:
            raise ValueError(f"Conv2d: in_channels ({C}) and out_channels ({O}) must both be divisible by "
                             f"groups ({G})")
        self.kernel_size = kernel_pair(kernel_size, "Conv2d")
        check_window_args("Conv2d", self.kernel_size, stride, padding, dilation)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        dt = check_dtype(dtype, "Conv2d")
        shape = (O, C // G, *self.kernel_size)  # fan_in = C/G·kh·kw
        check_weight_size("Conv2d", shape, dt, "in_channels, out_channels and kernel_size")
        self.weight = Parameter(init.kaiming_normal(shape, as_rng(rng, "Conv2d"), dtype=dt))
        self.bias = Parameter(init.zeros((O,), dtype=dt)) if bias else None

    def forward(self, x):
        check_nchw("Conv2d", x, self.in_channels)
        if self.groups == 1:  # the plain call, so F.conv2d without groups= keeps working
            return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def extra_repr(self) -> str:
        g = f", groups={self.groups}" if self.groups != 1 else ""
        return f"{self.in_channels}, {self.out_channels}, " + _geometry_repr(self) + g


def depthwise_channels(where: str, in_channels, out_channels, kernel_size, depth_multiplier) -> tuple[int, int]:
    """(C, m) from torch-style (in, out) and/or the keyword depth_multiplier; clear errors otherwise."""
    C = check_int(in_channels, "in_channels", where)
    if kernel_size is None:
        raise TypeError(f"{where}: kernel_size is missing. The arguments are (in_channels, out_channels, "
                        f"kernel_size, ...) as torch.nn.Conv2d(C, C·m, k, groups=C): write {where}({C}, {C}, 3) "
                        f"or {where}({C}, kernel_size=3, depth_multiplier=m)")
    m = None if depth_multiplier is None else check_int(depth_multiplier, "depth_multiplier", where)
    if out_channels is None:
        return C, 1 if m is None else m
    O = check_int(out_channels, "out_channels", where)
    if O % C:
        raise ValueError(f"{where}: out_channels ({O}) must be a multiple of in_channels ({C}): each input "
                         f"channel gets m = out_channels / in_channels filters")
    if m is not None and m != O // C:
        raise ValueError(f"{where}: depth_multiplier={m} contradicts out_channels={O} = {O // C}·in_channels; "
                         "pass one of them")
    return C, O // C


class DepthwiseConv2d(Module):
    """y[n,c·m+k,p,q] = b[c·m+k] + Σ_ij w[c·m+k,0,i,j]·xp[n,c,p·s+i·d, q·s+j·d].  w (C·m,1,kh,kw).

    Each input channel c gets its own m filters; channels never mix (that is the pointwise layer's job).
    Arguments as torch.nn.Conv2d(C, C·m, k, groups=C): ``DepthwiseConv2d(32, 32, 3)`` is m = 1, k = 3;
    or give m itself: ``DepthwiseConv2d(32, kernel_size=3, depth_multiplier=2)``.
    ``gain``: the nonlinearity He init assumes follows ('relu'; SeparableConv2d passes 'linear' when mid=None).
    """

    def __init__(self, in_channels: int, out_channels: int | None = None, kernel_size=None, stride=1, padding=0,
                 dilation=1, bias: bool = True, *, depth_multiplier: int | None = None, rng=None,
                 dtype=np.float32, gain: str = "relu"):
        super().__init__()
        self.in_channels, self.depth_multiplier = depthwise_channels(
            "DepthwiseConv2d", in_channels, out_channels, kernel_size, depth_multiplier)
        self.out_channels = self.in_channels * self.depth_multiplier
        self.kernel_size = kernel_pair(kernel_size, "DepthwiseConv2d")
        check_window_args("DepthwiseConv2d", self.kernel_size, stride, padding, dilation)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        dt = check_dtype(dtype, "DepthwiseConv2d")
        shape = (self.out_channels, 1, *self.kernel_size)  # fan_in = 1·kh·kw
        check_weight_size("DepthwiseConv2d", shape, dt, "in_channels, the depth multiplier and kernel_size")
        self.weight = Parameter(init.kaiming_normal(shape, as_rng(rng, "DepthwiseConv2d"), nonlinearity=gain, dtype=dt))
        self.bias = Parameter(init.zeros((self.out_channels,), dtype=dt)) if bias else None

    def forward(self, x):
        check_nchw("DepthwiseConv2d", x, self.in_channels)
        return F.depthwise_conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, " + _geometry_repr(self)


class PointwiseConv2d(Module):
    """y[n,o,p,q] = b[o] + Σ_c w[o,c,0,0]·x[n,c,p,q].  w (O,C,1,1): a 1x1 conv, a Linear at every pixel."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", "PointwiseConv2d")
        self.out_channels = check_int(out_channels, "out_channels", "PointwiseConv2d")
        dt = check_dtype(dtype, "PointwiseConv2d")
        shape = (out_channels, in_channels, 1, 1)
        check_weight_size("PointwiseConv2d", shape, dt, "in_channels and out_channels")
        self.weight = Parameter(init.kaiming_normal(shape, as_rng(rng, "PointwiseConv2d"), dtype=dt))
        self.bias = Parameter(init.zeros((out_channels,), dtype=dt)) if bias else None

    def forward(self, x):
        check_nchw("PointwiseConv2d", x, self.in_channels)
        return F.pointwise_conv2d(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}" + ("" if self.bias is not None else ", bias=False")


MIDS = (None, "relu", "bn_relu")


class SeparableConv2d(Module):
    """A depthwise conv (C -> C·m, no bias) then a pointwise conv (C·m -> O, one bias).

    Arguments as torch.nn.Conv2d (stride is the 4th); ``depth_multiplier`` and ``mid`` are keyword-only.

    mid=None (Keras SeparableConv2D): nothing between, so the pair is linear and equals one full
    conv with W[o,c,i,j] = Σ_k P[o,c·m+k]·D[c·m+k,i,j] (``equivalent_conv_weight``).
    mid='bn_relu' (MobileNet): BatchNorm2d + ReLU between.  mid='relu': only ReLU (Xception found it worse).
    Sub-modules: ``depthwise``, ``mid`` (when given), ``pointwise``; run in that order.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, *, depth_multiplier: int = 1, mid: str | None = None, rng=None,
                 dtype=np.float32):
        super().__init__()
        if mid not in MIDS:
            raise ValueError(f"SeparableConv2d: mid must be one of {MIDS}, got {mid!r}")
        rng = as_rng(rng, "SeparableConv2d")
        m = check_int(depth_multiplier, "depth_multiplier", "SeparableConv2d")
        C = check_int(in_channels, "in_channels", "SeparableConv2d")
        self.depthwise = DepthwiseConv2d(C, C * m, kernel_size, stride, padding, dilation, bias=False, rng=rng,
                                         dtype=dtype, gain="linear" if mid is None else "relu")
        if mid == "bn_relu":
            self.mid = Sequential(BatchNorm2d(C * m, dtype=dtype), ReLU())
        elif mid == "relu":
            self.mid = ReLU()
        self.pointwise = PointwiseConv2d(C * m, out_channels, bias=bias, rng=rng, dtype=dtype)
        self.mid_kind = mid

    in_channels = property(lambda self: self.depthwise.in_channels)
    out_channels = property(lambda self: self.pointwise.out_channels)
    depth_multiplier = property(lambda self: self.depthwise.depth_multiplier)
    kernel_size = property(lambda self: self.depthwise.kernel_size)
    stride = property(lambda self: self.depthwise.stride)
    padding = property(lambda self: self.depthwise.padding)
    dilation = property(lambda self: self.depthwise.dilation)
    bias = property(lambda self: self.pointwise.bias)

    def forward(self, x):
        h = self.depthwise(x)  # (N,C,H,W) -> (N,C·m,P,Q)
        if self.mid_kind is not None:
            h = self.mid(h)
        return self.pointwise(h)  # (N,C·m,P,Q) -> (N,O,P,Q)

    def equivalent_conv_weight(self) -> np.ndarray:
        """W (O,C,kh,kw) with W[o,c,i,j] = Σ_k P[o,c·m+k,0,0]·D[c·m+k,0,i,j]; conv2d(x, W, b) == self(x)."""
        if self.mid_kind is not None:
            raise ValueError(f"SeparableConv2d.equivalent_conv_weight: with mid={self.mid_kind!r} the block is "
                             "not linear, so no single convolution equals it (only mid=None has one)")
        C, m, (kh, kw) = self.in_channels, self.depth_multiplier, self.kernel_size
        D = self.depthwise.weight.data.reshape(C, m, kh, kw)  # (C·m,1,kh,kw) -> (C,m,kh,kw)
        P = self.pointwise.weight.data.reshape(-1, C, m)  # (O,C·m,1,1) -> (O,C,m)
        return np.einsum("ock,ckij->ocij", P, D)

    def extra_repr(self) -> str:
        m = f", depth_multiplier={self.depth_multiplier}" if self.depth_multiplier != 1 else ""
        mid = f", mid={self.mid_kind!r}" if self.mid_kind is not None else ""
        return f"{self.in_channels}, {self.out_channels}{m}, " + _geometry_repr(self) + mid
