"""The functional API, used as ``import minisep.nn.functional as F``.

Every function takes Tensors or ndarrays and returns a Tensor. Arguments are checked here,
before any kernel runs, with messages that name the argument, the shape it got and what was
expected. The conv functions build their graph from the ops in ``minisep.ops.conv``:

    depthwise_conv2d(x, w, b)              DepthwiseConv2d → AddBias
    pointwise_conv2d(x, w, b)              PointwiseConv2d → AddBias
    conv2d(x, w, b)                        Conv2d → AddBias
    conv2d(x, w, b, groups=G)              GroupedConv2d → AddBias  (G = C: DepthwiseConv2d → AddBias)
    separable_conv2d(x, wd, wp, b)         DepthwiseConv2d → PointwiseConv2d → AddBias  (as Keras:
                                           one bias, after the pointwise conv)

(AddBias only when b is given.)
"""

from __future__ import annotations

import numpy as np

from ..ops import loss as _loss
from ..ops import shape as _shape_ops
from ..ops.conv import AddBias, Conv2d, DepthwiseConv2d, PointwiseConv2d, check_bias, check_conv_args, check_float
from ..ops.conv_grouped import GroupedConv2d, check_grouped_conv_args, check_groups
from ..ops.pool import AvgPool2d, GlobalAvgPool2d, MaxPool2d
from ..ops.norm import batch_norm2d  # noqa: F401  (re-exported: F.batch_norm2d)
from ..tensor import Tensor, as_tensor

cross_entropy = _loss.cross_entropy
nll_loss = _loss.nll_loss
mse_loss = _loss.mse_loss
relu6 = _loss.relu6
check_class_args = _loss.check_class_args
dropout = _loss.dropout

__all__ = [
    "depthwise_conv2d", "pointwise_conv2d", "conv2d", "separable_conv2d", "max_pool2d", "avg_pool2d",
    "global_avg_pool2d", "adaptive_avg_pool2d", "relu", "relu6", "sigmoid", "tanh", "softmax", "log_softmax",
    "cross_entropy", "nll_loss", "mse_loss", "dropout", "linear", "flatten",
]


def _with_bias(y: Tensor, b) -> Tensor:
    return y if b is None else AddBias.apply(y, b)


def _arg(op: str, name: str, value, optional: bool = False):
    """A Tensor for ``value`` (ndarrays wrapped without a copy); None only where the argument is optional."""
    if value is None:
        if optional:
            return None
        raise TypeError(f"{op}: {name} must be a Tensor or an ndarray, got None")
    try:
        return as_tensor(value)
    except TypeError as e:
        raise TypeError(f"{op}: {name} must be a Tensor or an ndarray, got {type(value).__name__} ({e})") from None


def _tensors(op: str, x, w, b=None):
    """(x, w, b) as Tensors for a conv function; b may be None."""
    return _arg(op, "x", x), _arg(op, "w", w), _arg(op, "b", b, optional=True)


def _check_bias(op: str, b, out_channels: int, dtype) -> None:
    if b is not None:
        check_bias(op, b, out_channels, dtype)


# ---- convolutions ------------------------------------------------------------------------------
def depthwise_conv2d(x, w, b=None, stride=1, padding=0, dilation=1) -> Tensor:
    """x (N,C,H,W), w (C·m,1,kh,kw), b (C·m,) -> (N,C·m,P,Q); output channel c·m+k. See DepthwiseConv2d."""
    x, w, b = _tensors("depthwise_conv2d", x, w, b)
    check_conv_args("depthwise_conv2d", "depthwise", x, w)
    _check_bias("depthwise_conv2d", b, w.shape[0], x.dtype)
    y = DepthwiseConv2d.apply(x, w, stride=stride, padding=padding, dilation=dilation)
    return _with_bias(y, b)


def pointwise_conv2d(x, w, b=None) -> Tensor:
    """x (N,C,H,W), w (O,C,1,1), b (O,) -> (N,O,H,W). See PointwiseConv2d."""
    x, w, b = _tensors("pointwise_conv2d", x, w, b)
    check_conv_args("pointwise_conv2d", "pointwise", x, w)
    _check_bias("pointwise_conv2d", b, w.shape[0], x.dtype)
    return _with_bias(PointwiseConv2d.apply(x, w), b)


def conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:
    """x (N,C,H,W), w (O,C/groups,kh,kw), b (O,) -> (N,O,P,Q). See Conv2d.

    groups=G as PyTorch: G = 1 is Conv2d; G = C is DepthwiseConv2d (w (C·m,1,kh,kw), m = O/C: output
    c·m+k reads input c, as torch's groups=C); any other G dividing C and O is GroupedConv2d.
    """
    x, w, b = _tensors("conv2d", x, w, b)
    G = check_groups(groups, "conv2d")
    geometry = dict(stride=stride, padding=padding, dilation=dilation)
    if G == 1:
        check_conv_args("conv2d", "conv2d", x, w)
        _check_bias("conv2d", b, w.shape[0], x.dtype)
        return _with_bias(Conv2d.apply(x, w, **geometry), b)
    check_grouped_conv_args("conv2d", x, w, G)
    _check_bias("conv2d", b, w.shape[0], x.dtype)
    if G == x.shape[1]:  # one input channel per group: the depthwise layout, m = O/C
        return _with_bias(DepthwiseConv2d.apply(x, w, **geometry), b)
    return _with_bias(GroupedConv2d.apply(x, w, groups=G, **geometry), b)


def separable_conv2d(x, w_depthwise, w_pointwise, b=None, stride=1, padding=0, dilation=1) -> Tensor:
    """Depthwise then pointwise conv, one bias after the pointwise (Keras SeparableConv2D).

    x (N,C,H,W), w_depthwise (C·m,1,kh,kw), w_pointwise (O,C·m,1,1), b (O,) -> (N,O,P,Q).
    Equal to conv2d with W[o,c,i,j] = Σ_k w_pointwise[o,c·m+k,0,0]·w_depthwise[c·m+k,0,i,j].
    """
    op = "separable_conv2d"
    x, wd, b = _tensors(op, x, w_depthwise, b)
    wp = _arg(op, "w_pointwise", w_pointwise)
    check_conv_args(op, "depthwise", x, wd)
    if wp.ndim != 4 or tuple(wp.shape[1:]) != (wd.shape[0], 1, 1):
        raise ValueError(
            f"{op}: w_pointwise must have shape (O, {wd.shape[0]}, 1, 1), one input per depthwise output "
            f"channel (C·m = {wd.shape[0]}), got w_pointwise of shape {tuple(wp.shape)} "
            f"(x {tuple(x.shape)}, w_depthwise {tuple(wd.shape)})")
    if wp.dtype != x.dtype:
        raise TypeError(f"{op}: w_pointwise must have the dtype of x and w_depthwise ({x.dtype}), got {wp.dtype}")
    _check_bias(op, b, wp.shape[0], x.dtype)
    h = DepthwiseConv2d.apply(x, wd, stride=stride, padding=padding, dilation=dilation)  # (N, C·m, P, Q)
    return _with_bias(PointwiseConv2d.apply(h, wp), b)                                 # (N, O, P, Q)


# ---- pooling -----------------------------------------------------------------------------------
def max_pool2d(x, kernel_size, stride=None, padding=0) -> Tensor:
    """Max over kh×kw windows (stride defaults to the kernel size, padding counts as -inf)."""
    return MaxPool2d.apply(_arg("max_pool2d", "x", x), kernel_size=kernel_size, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True) -> Tensor:
    """Mean over kh×kw windows; count_include_pad=False divides by the taps inside x only."""
    return AvgPool2d.apply(_arg("avg_pool2d", "x", x), kernel_size=kernel_size, stride=stride, padding=padding,
                           count_include_pad=count_include_pad)


def global_avg_pool2d(x) -> Tensor:
    """(N,C,H,W) -> (N,C): the mean over each channel's whole image."""
    return GlobalAvgPool2d.apply(_arg("global_avg_pool2d", "x", x))


def adaptive_output_size(output_size, where: str) -> tuple[int, int]:
    """1 -> (1, 1); (P, Q) stays; each an int >= 1 (None, torch's 'keep this size', is not supported)."""
    v = (output_size, output_size) if isinstance(output_size, (int, np.integer)) else output_size
    ok = isinstance(v, (tuple, list)) and len(v) == 2 and all(
        isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1 for n in v)
    if not ok:
        raise ValueError(f"{where}: output_size must be an int >= 1 or a pair of them, got {output_size!r}")
    return int(v[0]), int(v[1])


def adaptive_avg_pool2d(x, output_size) -> Tensor:
    """(N,C,H,W) -> (N,C,P,Q), torch's adaptive bins. (1, 1) is the global mean, kept 4-D; other sizes
    need H % P == W % Q == 0, where torch's bins are exactly avg_pool2d with kernel = stride = (H/P, W/Q)."""
    P, Q = adaptive_output_size(output_size, "adaptive_avg_pool2d")
    x = _arg("adaptive_avg_pool2d", "x", x)
    if x.ndim != 4:
        raise ValueError(f"adaptive_avg_pool2d: x must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    H, W = x.shape[2:]
    if (P, Q) == (1, 1):
        return GlobalAvgPool2d.apply(x).reshape(x.shape[0], x.shape[1], 1, 1)
    if H % P or W % Q:
        raise ValueError(f"adaptive_avg_pool2d: output_size {(P, Q)} must divide the input size {(H, W)} "
                         "(uneven adaptive bins are not implemented; output_size 1 always works)")
    return AvgPool2d.apply(x, kernel_size=(H // P, W // Q), stride=(H // P, W // Q), padding=0)


# ---- the rest of a CNN: thin wrappers over Tensor methods and core ops -------------------------
def relu(x) -> Tensor:
    return _arg("relu", "x", x).relu()


def sigmoid(x) -> Tensor:
    return _arg("sigmoid", "x", x).sigmoid()


def tanh(x) -> Tensor:
    return _arg("tanh", "x", x).tanh()


def softmax(x, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """softmax over ``dim`` (torch's name; numpy's ``axis=`` also works)."""
    return _arg("softmax", "x", x).softmax(dim, axis=axis)


def log_softmax(x, dim: int = -1, *, axis: int | None = None) -> Tensor:
    """log_softmax over ``dim`` (torch's name; numpy's ``axis=`` also works)."""
    return _arg("log_softmax", "x", x).log_softmax(dim, axis=axis)


def flatten(x, start_dim: int = 1, end_dim: int = -1) -> Tensor:
    """(N,C,H,W) -> (N, C·H·W) by default (keeps the batch axis, unlike Tensor.flatten, as torch).

    An out-of-range dim is an IndexError naming it: F.flatten(x, 4) on 4-D x never merges the batch axis."""
    return _shape_ops.flatten(_arg("flatten", "x", x), start_dim, end_dim)


def linear(x, w, b=None) -> Tensor:
    """y = x @ wᵀ + b, PyTorch layout: x (..., in), w (out, in), b (out,)."""
    x, w, b = _tensors("linear", x, w, b)
    if w.ndim != 2:
        raise ValueError(f"linear: w must be 2-D (out, in), got w of shape {tuple(w.shape)}")
    if x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(f"linear: x's last axis must have w's {w.shape[1]} input features, "
                         f"got x {tuple(x.shape)} and w {tuple(w.shape)} (w is (out, in))")
    check_float("linear", x=x, w=w, **({} if b is None else {"b": b}))
    if b is not None and tuple(b.shape) != (w.shape[0],):
        raise ValueError(f"linear: b must have shape ({w.shape[0]},), got b of shape {tuple(b.shape)}")
    y = x @ w.T
    return y if b is None else y + b

