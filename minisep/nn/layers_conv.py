"""Convolution layers: Conv2d, DepthwiseConv2d, PointwiseConv2d and SeparableConv2d (depthwise then pointwise).

Layouts (PyTorch's): Conv2d w (O,C,kh,kw); depthwise w (C·m,1,kh,kw) (torch: Conv2d(C, C·m, groups=C));
pointwise w (O,C,1,1); bias (O,).

Init: He normal, std = √2/√fan_in (fan_in = C·kh·kw; kh·kw for depthwise, C for pointwise), as the
layer is followed by ReLU (or BN+ReLU) in our models. A SeparableConv2d with nothing between its two
halves (Keras) draws the depthwise weights with gain 1 instead of √2, since no ReLU follows them: the
pair then scales the input variance by 2, as one He-initialised conv does. Biases start at 0.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import init
from .layers import BatchNorm2d, ReLU, as_rng, check_dtype, check_int
from .module import Module, Parameter, Sequential


def pair(value, name: str, where: str) -> tuple[int, int]:
    """3 -> (3, 3); (3, 5) stays; anything else is a ValueError."""
    v = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not (isinstance(v, (tuple, list)) and len(v) == 2):
        raise ValueError(f"{where}: {name} must be an int or a pair of ints, got {value!r}")
    return check_int(v[0], name, where), check_int(v[1], name, where)


def _geometry_repr(layer) -> str:
    parts = [f"kernel_size={layer.kernel_size}"]
    for name, default in (("stride", 1), ("padding", 0), ("dilation", 1)):
        value = getattr(layer, name)
        if value != default:
            parts.append(f"{name}={value}")
    if layer.bias is None:
        parts.append("bias=False")
    return ", ".join(parts)


class Conv2d(Module):
    """y[n,o,p,q] = b[o] + Σ_cij w[o,c,i,j]·xp[n,c,p·s+i·d, q·s+j·d].  w (O,C,kh,kw)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 bias: bool = True, *, rng=0, dtype=np.float32):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", "Conv2d")
        self.out_channels = check_int(out_channels, "out_channels", "Conv2d")
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d")
        self.stride, self.padding, self.dilation = stride, padding, dilation
        dt = check_dtype(dtype, "Conv2d")
        shape = (out_channels, in_channels, *self.kernel_size)
        self.weight = Parameter(init.kaiming_normal(shape, as_rng(rng, "Conv2d"), dtype=dt))
        self.bias = Parameter(init.zeros((out_channels,), dtype=dt)) if bias else None

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, " + _geometry_repr(self)


class DepthwiseConv2d(Module):
    """y[n,c·m+k,p,q] = b[c·m+k] + Σ_ij w[c·m+k,0,i,j]·xp[n,c,p·s+i·d, q·s+j·d].  w (C·m,1,kh,kw).

    Each input channel c gets its own m filters; channels never mix (that is the pointwise layer's job).
    ``gain``: the nonlinearity He init assumes follows ('relu'; SeparableConv2d passes 'linear' when mid=None).
    """

    def __init__(self, in_channels: int, kernel_size, depth_multiplier: int = 1, stride=1, padding=0, dilation=1,
                 bias: bool = True, *, rng=0, dtype=np.float32, gain: str = "relu"):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", "DepthwiseConv2d")
        self.depth_multiplier = check_int(depth_multiplier, "depth_multiplier", "DepthwiseConv2d")
        self.out_channels = self.in_channels * self.depth_multiplier
        self.kernel_size = pair(kernel_size, "kernel_size", "DepthwiseConv2d")
        self.stride, self.padding, self.dilation = stride, padding, dilation
        dt = check_dtype(dtype, "DepthwiseConv2d")
        shape = (self.out_channels, 1, *self.kernel_size)  # fan_in = 1·kh·kw
        self.weight = Parameter(init.kaiming_normal(shape, as_rng(rng, "DepthwiseConv2d"), nonlinearity=gain, dtype=dt))
        self.bias = Parameter(init.zeros((self.out_channels,), dtype=dt)) if bias else None

    def forward(self, x):
        return F.depthwise_conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)

    def extra_repr(self) -> str:
        m = f", depth_multiplier={self.depth_multiplier}" if self.depth_multiplier != 1 else ""
        return f"{self.in_channels}{m}, " + _geometry_repr(self)


class PointwiseConv2d(Module):
    """y[n,o,p,q] = b[o] + Σ_c w[o,c,0,0]·x[n,c,p,q].  w (O,C,1,1): a 1x1 conv, a Linear at every pixel."""

    def __init__(self, in_channels: int, out_channels: int, bias: bool = True, *, rng=0, dtype=np.float32):
        super().__init__()
        self.in_channels = check_int(in_channels, "in_channels", "PointwiseConv2d")
        self.out_channels = check_int(out_channels, "out_channels", "PointwiseConv2d")
        dt = check_dtype(dtype, "PointwiseConv2d")
        shape = (out_channels, in_channels, 1, 1)
        self.weight = Parameter(init.kaiming_normal(shape, as_rng(rng, "PointwiseConv2d"), dtype=dt))
        self.bias = Parameter(init.zeros((out_channels,), dtype=dt)) if bias else None

    def forward(self, x):
        return F.pointwise_conv2d(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}" + ("" if self.bias is not None else ", bias=False")


MIDS = (None, "relu", "bn_relu")


class SeparableConv2d(Module):
    """A depthwise conv (C -> C·m, no bias) then a pointwise conv (C·m -> O, one bias).

    mid=None (Keras SeparableConv2D): nothing between, so the pair is linear and equals one full
    conv with W[o,c,i,j] = Σ_k P[o,c·m+k]·D[c·m+k,i,j] (``equivalent_conv_weight``).
    mid='bn_relu' (MobileNet): BatchNorm2d + ReLU between.  mid='relu': only ReLU (Xception found it worse).
    Sub-modules: ``depthwise``, ``mid`` (when given), ``pointwise``; run in that order.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, depth_multiplier: int = 1, stride=1,
                 padding=0, dilation=1, bias: bool = True, mid: str | None = None, *, rng=0, dtype=np.float32):
        super().__init__()
        if mid not in MIDS:
            raise ValueError(f"SeparableConv2d: mid must be one of {MIDS}, got {mid!r}")
        rng = as_rng(rng, "SeparableConv2d")
        m = check_int(depth_multiplier, "depth_multiplier", "SeparableConv2d")
        C = check_int(in_channels, "in_channels", "SeparableConv2d")
        self.depthwise = DepthwiseConv2d(C, kernel_size, m, stride, padding, dilation, bias=False, rng=rng,
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
