"""Layers without spatial filters: Linear, BatchNorm2d, ReLU, pools, Flatten, Dropout (convs: layers_conv.py).

Every layer with weights (and Dropout) takes ``rng=``: None (the default) draws a fresh stream from
minisep's default generator (``minisep.manual_seed(s)`` once makes a script reproducible, and two
same-shaped layers start different, as in torch); a numpy Generator or an int seed is used as given.
``dtype=`` is float32 (default) or float64. Weight layouts are PyTorch's, so a state dict maps 1:1
onto the torch model.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import init
from ..kernels.geometry import check_window_args, machine_memory
from ..ops.norm import batch_norm2d
from ..random import as_rng  # noqa: F401  (re-exported: the one rng check)
from .module import FLOAT_DTYPES, Module, Parameter


def check_dtype(dtype, where: str) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype!r}") from None
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dt}")
    return dt


def check_int(value, name: str, where: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{where}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_weight_size(where: str, shape: tuple, dtype, args: str) -> None:
    """A ValueError before allocating a weight larger than half the machine's memory, naming ``args``."""
    nbytes = int(np.prod([int(d) for d in shape], dtype=object)) * np.dtype(dtype).itemsize
    limit = machine_memory() // 2
    if nbytes > limit:
        raise ValueError(f"{where}: the weight of shape {tuple(shape)} ({np.dtype(dtype)}) would need "
                         f"{nbytes / 2**30:,.1f} GiB, more than half of this machine's memory "
                         f"({limit / 2**30:,.1f} GiB); check {args}")


def check_real(value, name: str, where: str, expected: str = "a number") -> None:
    """A TypeError unless ``value`` is a real number (bool is not: momentum=True is a mistake)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: {name} must be {expected}, got {value!r} ({type(value).__name__})")


def check_bool(value, name: str, where: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {name} must be True or False, got {value!r}")
    return bool(value)


class Linear(Module):
    """y = x·Wᵀ + b with W (out_features, in_features), b (out_features,).

    Init: Glorot uniform for W (U(±√(6/(in+out))), suits the last, linear layer of our models), b = 0.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_features = check_int(in_features, "in_features", "Linear")
        self.out_features = check_int(out_features, "out_features", "Linear")
        dt = check_dtype(dtype, "Linear")
        check_weight_size("Linear", (out_features, in_features), dt, "in_features and out_features")
        self.weight = Parameter(init.xavier_uniform((out_features, in_features), as_rng(rng, "Linear"), dtype=dt))
        self.bias = Parameter(init.zeros((out_features,), dtype=dt)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}" + ("" if self.bias is not None else ", bias=False")


class BatchNorm2d(Module):
    """Per-channel normalisation of (N,C,H,W) with learned scale ``weight`` (gamma) and shift ``bias`` (beta).

    PyTorch semantics: training normalises with the batch mean and biased variance and updates
    running_mean / running_var (unbiased) with ``momentum``; eval normalises with the running stats.
    The backward is one Function, ``minisep.ops.norm.BatchNorm2d``, with its formula in the docstring.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.num_features = C = check_int(num_features, "num_features", "BatchNorm2d")
        check_real(eps, "eps", "BatchNorm2d")
        if not eps > 0:
            raise ValueError(f"BatchNorm2d: eps must be > 0, got {eps!r}")
        if momentum is not None:
            check_real(momentum, "momentum", "BatchNorm2d", "a number in [0, 1] or None")
            if not 0.0 <= momentum <= 1.0:
                raise ValueError(f"BatchNorm2d: momentum must be in [0, 1] or None, got {momentum!r}")
            momentum = float(momentum)
        self.eps, self.momentum, self.affine = float(eps), momentum, bool(affine)
        dt = check_dtype(dtype, "BatchNorm2d")
        self.weight = Parameter(init.ones((C,), dtype=dt)) if affine else None
        self.bias = Parameter(init.zeros((C,), dtype=dt)) if affine else None
        self.track_running_stats = bool(track_running_stats)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(C, dtype=dt))
            self.register_buffer("running_var", np.ones(C, dtype=dt))
            self.register_buffer("num_batches_tracked", np.zeros((), dtype=np.int64))

    def forward(self, x):
        dt = x.dtype
        gamma = self.weight if self.affine else np.ones(self.num_features, dtype=dt)
        beta = self.bias if self.affine else np.zeros(self.num_features, dtype=dt)
        if not self.track_running_stats:
            return batch_norm2d(x, gamma, beta, None, None, True, eps=self.eps)
        return batch_norm2d(x, gamma, beta, self.running_mean, self.running_var, self.training,
                            self.momentum, self.eps, self.num_batches_tracked)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum}" + ("" if self.affine else ", affine=False")


class ReLU(Module):
    """y = max(x, 0)."""

    def forward(self, x):
        return F.relu(x)


class ReLU6(Module):
    """y = min(max(x, 0), 6) (MobileNet's clipped ReLU); gradient 0 at x <= 0 and x >= 6, as torch."""

    def forward(self, x):
        return F.relu6(x)


class Identity(Module):
    """y = x; a placeholder (e.g. to drop a model's head: ``model.classifier = nn.Identity()``)."""

    def __init__(self, *args, **kwargs):  # torch's Identity ignores its arguments too
        super().__init__()

    def forward(self, x):
        return x


class MaxPool2d(Module):
    """Max over each kernel_size window (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        check_window_args("MaxPool2d", kernel_size, stride, padding)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over each kernel_size window; count_include_pad as PyTorch."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad: bool = True):
        super().__init__()
        check_window_args("AvgPool2d", kernel_size, stride, padding)
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.count_include_pad = check_bool(count_include_pad, "count_include_pad", "AvgPool2d")

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class GlobalAvgPool2d(Module):
    """(N,C,H,W) -> (N,C): the mean of each channel (torch: AdaptiveAvgPool2d(1) + Flatten)."""

    def forward(self, x):
        return F.global_avg_pool2d(x)


class AdaptiveAvgPool2d(Module):
    """(N,C,H,W) -> (N,C,P,Q) for output_size (P, Q) (an int means (P, P)), torch's bins.

    output_size 1 is the global average (kept 4-D: (N,C,1,1)); other sizes need H % P == 0 and
    W % Q == 0, where torch's bins are the plain kernel = stride = (H/P, W/Q) average pool.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = F.adaptive_output_size(output_size, "AdaptiveAvgPool2d")

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1·d2·...) for start_dim=1."""

    def __init__(self, start_dim: int = 1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x):
        return F.flatten(x, self.start_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"


class Dropout(Module):
    """Zero each value with probability p while training (scaling the rest by 1/(1-p)); identity in eval.

    The layer owns its Generator, drawn at construction (rng=None: the next stream of minisep's default
    generator; an int seed; or one draw from a given Generator), so the masks are reproducible and
    independent of other layers' randomness.
    """

    def __init__(self, p: float = 0.5, *, rng=None):
        super().__init__()
        check_real(p, "p", "Dropout", "a number in [0, 1]")
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a number in [0, 1], got {p!r}")
        self.p = float(p)
        seed = rng.integers(2**63) if isinstance(rng, np.random.Generator) else rng
        self.rng = as_rng(seed, "Dropout")

    def forward(self, x):
        return F.dropout(x, self.p, training=self.training, rng=self.rng)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{type(self).__name__}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """loss(logits (N, K), labels (N,)) = F.cross_entropy; ``ignore_index`` labels count for nothing."""

    def __init__(self, reduction: str = "mean", ignore_index: int = -100, label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        F.check_class_args("CrossEntropyLoss", ignore_index, label_smoothing)

    def forward(self, logits, labels):
        return F.cross_entropy(logits, labels, reduction=self.reduction, ignore_index=self.ignore_index,
                               label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """loss(log-probabilities (N, K), labels (N,)) = F.nll_loss (use after log_softmax)."""

    def __init__(self, reduction: str = "mean", ignore_index: int = -100):
        super().__init__(reduction)
        self.ignore_index = ignore_index
        F.check_class_args("NLLLoss", ignore_index, 0.0)

    def forward(self, logp, labels):
        return F.nll_loss(logp, labels, reduction=self.reduction, ignore_index=self.ignore_index)


class MSELoss(_Loss):
    """loss(y, t) = mean (or sum, or none) of (y - t)²; y and t of the same shape."""

    def forward(self, y, target):
        return F.mse_loss(y, target, reduction=self.reduction)
