"""Batch normalisation over (N, H, W) per channel c, with its backward written out.

Letters: x (N,C,H,W), gamma/beta (C,), y (N,C,H,W), gy = dL/dy; M = N·H·W values per channel;
mu[c], var[c] the statistics used (the batch's when training, the running ones in eval);
inv[c] = 1/√(var[c] + eps);  xh[n,c,h,w] = (x[n,c,h,w] - mu[c])·inv[c].
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from ..kernels.batchnorm import bn_backward, bn_forward, bn_stats
from ..kernels.checks import FLOAT_DTYPES
from ..tensor import Tensor


class BatchNorm2d(Function):
    """y[n,c,h,w] = gamma[c]·xh[n,c,h,w] + beta[c].

    Training (mu, var = the batch's mean and biased variance, so they depend on x):
        gbeta[c]  = Σ_nhw gy[n,c,h,w]
        ggamma[c] = Σ_nhw gy[n,c,h,w]·xh[n,c,h,w]
        gx[n,c,h,w] = gamma[c]·inv[c]/M · (M·gy[n,c,h,w] - gbeta[c] - xh[n,c,h,w]·ggamma[c])
    Eval (mu, var = running statistics, constants):
        gx[n,c,h,w] = gamma[c]·inv[c]·gy[n,c,h,w]   (gbeta, ggamma as above)
    """

    @staticmethod
    def forward(ctx: Context, x, gamma, beta, *, mean, var, eps=1e-5, batch_stats=False):
        # batch_stats=True: mean/var are x's own batch statistics (so backward differentiates through them)
        inv = (1.0 / np.sqrt(var + eps)).astype(x.dtype)  # (C,)
        mean = np.array(mean, dtype=x.dtype)  # (C,) a copy: running_mean may change in place before backward
        # xh is not saved: the kernel recomputes it from x and mean, inv (see minisep/kernels/batchnorm.py)
        ctx.save_for_backward(x, mean, inv, gamma)
        ctx.batch_stats = batch_stats
        return bn_forward(x, mean, inv, gamma, beta)  # (N,C,H,W): xh·gamma + beta, one pass per channel

    @staticmethod
    def backward(ctx: Context, gy):
        x, mean, inv, gamma = ctx.saved
        gx, ggamma, gbeta = bn_backward(gy, x, mean, inv, gamma, ctx.batch_stats)  # (N,C,H,W), (C,), (C,)
        return gx, ggamma, gbeta


def _check_args(x, gamma, beta, running_mean, running_var) -> int:
    """Shapes and dtypes, as torch: x, gamma, beta one float dtype (a float64 gamma does not silently
    upcast a float32 x: TypeError); running_mean / running_var both None or both (C,) float ndarrays."""
    for name, v in (("x", x), ("gamma", gamma), ("beta", beta)):
        if not isinstance(v, (Tensor, np.ndarray)):
            raise TypeError(f"batch_norm2d: {name} must be a Tensor or an ndarray, got {type(v).__name__}")
    if gamma.ndim != 1:
        raise ValueError(f"batch_norm2d: gamma must be 1-D (C,), got shape {tuple(gamma.shape)}")
    C = gamma.shape[0]
    if x.ndim != 4 or x.shape[1] != C:
        raise ValueError(f"batch_norm2d: x must be (N, {C}, H, W) for {C} channels, got shape {tuple(x.shape)}")
    if tuple(beta.shape) != (C,):
        raise ValueError(f"batch_norm2d: beta must have shape ({C},) like gamma, got {tuple(beta.shape)}")
    if x.dtype not in FLOAT_DTYPES or gamma.dtype != x.dtype or beta.dtype != x.dtype:
        raise TypeError(f"batch_norm2d: x, gamma and beta must share one float dtype (float32 or float64), got "
                        f"x {x.dtype}, gamma {gamma.dtype}, beta {beta.dtype}; cast the input or the layer "
                        f"(layer.to(x.dtype)) so nothing is silently upcast")
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_norm2d: pass both running_mean and running_var, or neither")
    for name, v in (("running_mean", running_mean), ("running_var", running_var)):
        if v is None:
            continue
        if not isinstance(v, np.ndarray) or v.dtype not in FLOAT_DTYPES:
            raise TypeError(f"batch_norm2d: {name} must be a float ndarray of shape ({C},) (updated in place), "
                            f"got {type(v).__name__}{' ' + str(v.dtype) if isinstance(v, np.ndarray) else ''}")
        if v.shape != (C,):
            raise ValueError(f"batch_norm2d: {name} must have shape ({C},) for {C} channels, got {v.shape}")
    return C


def batch_norm2d(x, gamma, beta, running_mean: np.ndarray | None, running_var: np.ndarray | None,
                 training: bool, momentum: float | None = 0.1, eps: float = 1e-5,
                 num_batches_tracked: np.ndarray | None = None):
    """Normalise x (N,C,H,W) per channel; in training, also update the running statistics IN PLACE:

        running_mean ← (1-momentum)·running_mean + momentum·mu
        running_var  ← (1-momentum)·running_var  + momentum·var·M/(M-1)   (unbiased, as PyTorch)

    momentum=None gives the cumulative average (momentum = 1/num_batches_tracked). Without running
    statistics (None), batch statistics are used in eval too.
    """
    C = _check_args(x, gamma, beta, running_mean, running_var)
    use_batch = training or running_mean is None
    if not use_batch:
        return BatchNorm2d.apply(x, gamma, beta, mean=running_mean, var=running_var, eps=eps)
    M = x.shape[0] * x.shape[2] * x.shape[3]
    if M < 2 and training:
        raise ValueError(f"batch_norm2d: training needs more than one value per channel to take a variance, "
                         f"got x of shape {tuple(x.shape)}; use a larger batch or call model.eval()")
    data = x.data if isinstance(x, Tensor) else x
    mean, var = bn_stats(data)  # (C,) each; var biased (divides by M): what normalises the batch
    if training and running_mean is not None:
        if num_batches_tracked is not None:
            num_batches_tracked += 1
        f = 1.0 / float(num_batches_tracked) if momentum is None else float(momentum)
        running_mean *= 1 - f
        running_mean += f * mean
        running_var *= 1 - f
        running_var += f * var * (M / (M - 1))  # unbiased for the running estimate, as PyTorch
    return BatchNorm2d.apply(x, gamma, beta, mean=mean, var=var, eps=eps, batch_stats=True)
