"""Softmax, log-softmax, the losses (fused cross-entropy, NLL, MSE), ReLU6 and dropout.

All three softmax-family ops subtract the row maximum first, so exp never overflows.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from ..random import as_rng


def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _keep(ctx: Context, y, axis):
    """Save the output y and the axis for the backward (softmax and log-softmax need only those)."""
    ctx.save_for_backward(y)
    ctx.axis = axis
    return y


class Softmax(Function):
    """y_k = exp(a_k - max a) / Σ_j exp(a_j - max a).   ga_k = y_k·(gy_k - Σ_j gy_j·y_j)."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=-1):
        return _keep(ctx, np.exp(_log_softmax(a, axis)), axis)

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (y * (gy - (gy * y).sum(axis=ctx.axis, keepdims=True)),)


class LogSoftmax(Function):
    """y_k = a_k - max a - log Σ_j exp(a_j - max a).   ga_k = gy_k - softmax(a)_k·Σ_j gy_j."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=-1):
        return _keep(ctx, _log_softmax(a, axis), axis)

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (gy - np.exp(y) * gy.sum(axis=ctx.axis, keepdims=True),)


def _reduce(loss: np.ndarray, reduction: str, count: float, dtype) -> np.ndarray:
    """loss (N,) -> the mean over ``count`` rows, the sum, or loss itself ('none')."""
    if reduction == "none":
        return loss
    total = loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):  # every label ignored: 0/0 = nan, as torch
        return np.asarray(total / count if reduction == "mean" else total, dtype=dtype)


def _row_scale(gy, reduction: str, keep: np.ndarray, count: float) -> np.ndarray:
    """(N, 1) factor every row's gradient gets: gy (÷ count for 'mean'), 0 on ignored rows."""
    g = gy[:, None] if reduction == "none" else np.full((len(keep), 1), gy / count if reduction == "mean" else gy)
    return np.where(keep[:, None], g, 0).astype(gy.dtype, copy=False)


class CrossEntropy(Function):
    """Fused softmax + negative log-likelihood over integer class labels t, K classes.

    logp = log_softmax(z);  keep_n = [t_n != ignore_index];  V = Σ_n keep_n (rows that count);
    with label smoothing e, the target is q[n,k] = (1-e)·[k == t_n] + e/K:
        ℓ_n = -keep_n · Σ_k q[n,k]·logp[n,k]      (e = 0: ℓ_n = -logp[n, t_n])
    y = Σ_n ℓ_n / V ('mean', torch's: over the rows that count), Σ_n ℓ_n ('sum'), or ℓ ('none').
        gz[n,k] = keep_n · gy_n · (softmax(z_n)_k - q[n,k])    (gy_n = gy/V for 'mean', gy for 'sum')
    """

    @staticmethod
    def forward(ctx: Context, z, *, labels, reduction="mean", ignore_index=-100, label_smoothing=0.0):
        n, k = z.shape
        keep = labels != ignore_index
        t = np.where(keep, labels, 0)                       # a safe index for ignored rows
        logp = _log_softmax(z, axis=1)                      # (N, K)
        e = label_smoothing
        nll = -logp[np.arange(n), t]                        # (N,)
        if e:
            nll = (1 - e) * nll - (e / k) * logp.sum(axis=1)
        loss = np.where(keep, nll, 0).astype(z.dtype, copy=False)
        count = float(keep.sum())
        ctx.save_for_backward(logp)
        ctx.t, ctx.keep, ctx.count, ctx.reduction, ctx.e = t, keep, count, reduction, e
        return _reduce(loss, reduction, count, z.dtype)

    @staticmethod
    def backward(ctx: Context, gy):
        (logp,) = ctx.saved
        n, k = logp.shape
        gz = np.exp(logp)                                   # softmax, (N, K)
        gz[np.arange(n), ctx.t] -= 1 - ctx.e
        if ctx.e:
            gz -= ctx.e / k
        gz *= _row_scale(gy, ctx.reduction, ctx.keep, ctx.count)
        return (gz,)


class NLLLoss(Function):
    """Negative log-likelihood of log-probabilities a (N, K) at integer labels t.

    keep_n = [t_n != ignore_index];  V = Σ_n keep_n;  ℓ_n = -keep_n · a[n, t_n];
    y = Σ_n ℓ_n / V ('mean'), Σ_n ℓ_n ('sum'), or ℓ ('none').
        ga[n,k] = -keep_n · gy_n · [k == t_n]    (gy_n = gy/V for 'mean', gy for 'sum')
    """

    @staticmethod
    def forward(ctx: Context, a, *, labels, reduction="mean", ignore_index=-100):
        keep = labels != ignore_index
        t = np.where(keep, labels, 0)
        loss = np.where(keep, -a[np.arange(len(a)), t], 0).astype(a.dtype, copy=False)
        count = float(keep.sum())
        ctx.shape, ctx.t, ctx.keep, ctx.count, ctx.reduction = a.shape, t, keep, count, reduction
        return _reduce(loss, reduction, count, a.dtype)

    @staticmethod
    def backward(ctx: Context, gy):
        n = ctx.shape[0]
        ga = np.zeros(ctx.shape, dtype=gy.dtype)
        ga[np.arange(n), ctx.t] = -1
        ga *= _row_scale(gy, ctx.reduction, ctx.keep, ctx.count)
        return (ga,)


class MSELoss(Function):
    """Mean squared error of a against a target b of the same shape; d = a - b, S = a.size.

    y = Σ d² / S ('mean'), Σ d² ('sum'), or d² elementwise ('none').
        ga = 2·d·gy (÷ S for 'mean'),  gb = -ga
    """

    @staticmethod
    def forward(ctx: Context, a, b, *, reduction="mean"):
        d = a - b
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        sq = d * d
        if reduction == "none":
            return sq
        return np.asarray(sq.mean() if reduction == "mean" else sq.sum(), dtype=a.dtype)

    @staticmethod
    def backward(ctx: Context, gy):
        (d,) = ctx.saved
        scale = gy / d.size if ctx.reduction == "mean" else gy
        ga = (2 * d * scale).astype(d.dtype, copy=False)
        return ga, (-ga if ctx.needs_input_grad[1] else None)


class ReLU6(Function):
    """y = min(max(a, 0), 6).   ga = gy · [0 < a < 6]  (0 at both kinks, as torch's hardtanh)."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.save_for_backward(a)
        return np.clip(a, 0, 6).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, gy):
        (a,) = ctx.saved
        return (np.where((a > 0) & (a < 6), gy, 0).astype(gy.dtype, copy=False),)


REDUCTIONS = ("mean", "sum", "none")


def check_class_args(where: str, ignore_index, label_smoothing) -> None:
    """ignore_index an int; label_smoothing a number in [0, 1]."""
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise TypeError(f"{where}: ignore_index must be an int, got {ignore_index!r}")
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float, np.floating, np.integer)):
        raise TypeError(f"{where}: label_smoothing must be a number in [0, 1], got {label_smoothing!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {label_smoothing!r}")


def _check_scores(op: str, name: str, z):
    """z a Tensor or ndarray of float dtype, 2-D (N, K); a list or an integer array is a TypeError."""
    from ..tensor import Tensor

    if not isinstance(z, (Tensor, np.ndarray)):
        raise TypeError(f"{op}: {name} must be a Tensor or a float ndarray of shape (N, K), got a {type(z).__name__}")
    if z.dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: {name} must be float32 or float64, got dtype {z.dtype} "
                        f"(integer scores would be truncated; convert them with .astype(np.float32))")
    if len(z.shape) != 2:
        raise ValueError(f"{op}: {name} must be 2-D (N, K), got shape {tuple(z.shape)}")


def _check_labels(op: str, labels, z_shape, ignore_index) -> np.ndarray:
    from ..tensor import Tensor

    t = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if t.dtype.kind not in "iu":
        raise TypeError(f"{op}: labels must be integers, got dtype {t.dtype}")
    if t.shape != (z_shape[0],):
        raise ValueError(f"{op}: labels must have shape ({z_shape[0]},) to match {tuple(z_shape)}, got {t.shape}")
    counted = t[t != ignore_index]
    if counted.size and (counted.min() < 0 or counted.max() >= z_shape[1]):
        raise ValueError(f"{op}: labels must lie in [0, {z_shape[1]}) (or equal ignore_index={ignore_index}), "
                         f"got range [{counted.min()}, {counted.max()}]")
    return t.astype(np.int64)


def _check_reduction(op: str, reduction) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def cross_entropy(logits, labels, reduction: str = "mean", ignore_index: int = -100, label_smoothing: float = 0.0):
    """Cross-entropy of (N, K) float logits against (N,) integer labels in [0, K) (or ignore_index), as torch."""
    _check_scores("cross_entropy", "logits", logits)
    _check_reduction("cross_entropy", reduction)
    check_class_args("cross_entropy", ignore_index, label_smoothing)
    t = _check_labels("cross_entropy", labels, logits.shape, ignore_index)
    return CrossEntropy.apply(logits, labels=t, reduction=reduction, ignore_index=int(ignore_index),
                              label_smoothing=float(label_smoothing))


def nll_loss(logp, labels, reduction: str = "mean", ignore_index: int = -100):
    """Negative log-likelihood of (N, K) log-probabilities (e.g. log_softmax output) at (N,) labels, as torch."""
    _check_scores("nll_loss", "input", logp)
    _check_reduction("nll_loss", reduction)
    check_class_args("nll_loss", ignore_index, 0.0)
    t = _check_labels("nll_loss", labels, logp.shape, ignore_index)
    return NLLLoss.apply(logp, labels=t, reduction=reduction, ignore_index=int(ignore_index))


def mse_loss(y, target, reduction: str = "mean"):
    """Mean (or sum, or elementwise) squared error; y and target of the same shape and float dtype."""
    from ..tensor import Tensor

    _check_reduction("mse_loss", reduction)
    for name, v in (("input", y), ("target", target)):
        if not isinstance(v, (Tensor, np.ndarray)):
            raise TypeError(f"mse_loss: {name} must be a Tensor or a float ndarray, got a {type(v).__name__}")
        if v.dtype not in (np.float32, np.float64):
            raise TypeError(f"mse_loss: {name} must be float32 or float64, got dtype {v.dtype}")
    if tuple(y.shape) != tuple(target.shape) or y.dtype != target.dtype:
        raise ValueError(f"mse_loss: input and target must have the same shape and dtype, got {tuple(y.shape)} "
                         f"{y.dtype} and {tuple(target.shape)} {target.dtype}")
    return MSELoss.apply(y, target, reduction=reduction)


def relu6(x):
    """y = min(max(x, 0), 6)."""
    return ReLU6.apply(x)


class Dropout(Function):
    """Inverted dropout: y = a·mask/(1-p) with mask ~ Bernoulli(1-p) drawn from ``rng``.

    ga = gy·mask/(1-p). (Identity when not training or p == 0; p == 1 gives zeros.)
    """

    @staticmethod
    def forward(ctx: Context, a, *, p, rng):
        keep = rng.random(a.shape) >= p
        scale = 0.0 if p >= 1 else 1.0 / (1.0 - p)
        mask = (keep * scale).astype(a.dtype)
        ctx.save_for_backward(mask)
        return a * mask

    @staticmethod
    def backward(ctx: Context, gy):
        (mask,) = ctx.saved
        return (gy * mask,)


def dropout(x, p: float = 0.5, training: bool = True, rng: np.random.Generator | None = None):
    """Zero each element with probability p (scaling the rest by 1/(1-p)) when training.

    Arguments in torch's order (x, p, training); rng: a Generator, an int seed, or None for a stream
    of minisep's default generator (see minisep.manual_seed)."""
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"dropout: p must be a number in [0, 1], got {p!r} ({type(p).__name__})")
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    # rng=None draws the mask from minisep's default generator (reproducible after manual_seed), as torch
    return Dropout.apply(x, p=float(p), rng=as_rng(rng, "dropout"))
