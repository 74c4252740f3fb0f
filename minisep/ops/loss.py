"""Softmax, log-softmax, the fused cross-entropy loss and dropout.

All three softmax-family ops subtract the row maximum first, so exp never overflows.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function


def _log_softmax(a: np.ndarray, axis: int) -> np.ndarray:
    shifted = a - a.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """y_k = exp(a_k - max a) / Σ_j exp(a_j - max a).   ga_k = y_k·(gy_k - Σ_j gy_j·y_j)."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=-1):
        y = np.exp(_log_softmax(a, axis))
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (y * (gy - (gy * y).sum(axis=ctx.axis, keepdims=True)),)


class LogSoftmax(Function):
    """y_k = a_k - max a - log Σ_j exp(a_j - max a).   ga_k = gy_k - softmax(a)_k·Σ_j gy_j."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=-1):
        y = _log_softmax(a, axis)
        ctx.save_for_backward(y)
        ctx.axis = axis
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (gy - np.exp(y) * gy.sum(axis=ctx.axis, keepdims=True),)


class CrossEntropy(Function):
    """Fused softmax + negative log-likelihood over integer class labels t.

    ℓ_n = -log softmax(z_n)[t_n] = logsumexp(z_n) - z_n[t_n];  y = Σ_n ℓ_n (reduction='sum')
    or (1/N)·Σ_n ℓ_n ('mean'), or the vector ℓ ('none').
    gz[n, k] = gy_n·(softmax(z_n)_k - [k == t_n])   (divided by N for 'mean').
    """

    @staticmethod
    def forward(ctx: Context, z, *, labels, reduction="mean"):
        logp = _log_softmax(z, axis=1)                    # (N, K)
        nll = -logp[np.arange(len(z)), labels]            # (N,)
        ctx.save_for_backward(logp)
        ctx.labels, ctx.reduction = labels, reduction
        if reduction == "mean":
            return np.asarray(nll.mean(), dtype=z.dtype)
        if reduction == "sum":
            return np.asarray(nll.sum(), dtype=z.dtype)
        return nll

    @staticmethod
    def backward(ctx: Context, gy):
        (logp,) = ctx.saved
        n = len(logp)
        gz = np.exp(logp)                                 # softmax, (N, K)
        gz[np.arange(n), ctx.labels] -= 1
        if ctx.reduction == "mean":
            gz *= gy / n
        elif ctx.reduction == "sum":
            gz *= gy
        else:
            gz *= gy[:, None]
        return (gz,)


def cross_entropy(logits, labels, reduction: str = "mean"):
    """Cross-entropy of (N, K) logits against (N,) integer labels in [0, K)."""
    from ..tensor import Tensor

    z_shape = logits.shape
    t = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if len(z_shape) != 2:
        raise ValueError(f"cross_entropy: logits must be 2-D (N, K), got shape {z_shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: labels must be integers, got dtype {t.dtype}")
    if t.shape != (z_shape[0],):
        raise ValueError(f"cross_entropy: labels must have shape ({z_shape[0]},) to match logits {z_shape}, got {t.shape}")
    if t.size and (t.min() < 0 or t.max() >= z_shape[1]):
        raise ValueError(f"cross_entropy: labels must lie in [0, {z_shape[1]}), got range [{t.min()}, {t.max()}]")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return CrossEntropy.apply(logits, labels=t.astype(np.int64), reduction=reduction)


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


def dropout(x, p: float = 0.5, rng: np.random.Generator | None = None, training: bool = True):
    """Zero each element with probability p (scaling the rest by 1/(1-p)) when training."""
    if not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if not isinstance(rng, np.random.Generator):
        raise TypeError("dropout: pass rng=np.random.default_rng(seed) so the mask is reproducible")
    return Dropout.apply(x, p=float(p), rng=rng)
