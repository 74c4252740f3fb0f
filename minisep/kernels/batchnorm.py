"""Batch normalisation kernels, one channel per job (jobs run on threads: threads.parallel_jobs).

Letters as in minisep/ops/norm.py: x, y, gy, gx (N, C, H, W); M = N·H·W values per channel;
mean[c], var[c] (biased); inv[c] = 1/√(var[c] + eps); xh = (x - mean[c])·inv[c].

    bn_stats:     mean[c] = Σ_nhw x / M,   var[c] = Σ_nhw (x - mean[c])² / M          (two passes)
    bn_forward:   y = xh·gamma[c] + beta[c]
    bn_backward:  gbeta[c] = Σ_nhw gy,   ggamma[c] = Σ_nhw gy·xh
                  batch statistics:  gx = gamma[c]·inv[c]·(gy - gbeta[c]/M - xh·ggamma[c]/M)
                  constant ones:     gx = gamma[c]·inv[c]·gy

Channel c of x is N contiguous runs of H·W values, x[n, c] (stride C·H·W between runs). Iteration c
owns channel c: its statistics, and its runs of y or gx. A channel (at most 400 kB for MNIST-sized
layers) stays in L2 between the passes over it, so a second pass costs little.

xh is never stored: the backward recomputes it from x (which the graph keeps anyway, as the input
of the op) with one multiply-add per value. Storing it would cost a write of N·C·H·W values in the
forward and a read in the backward, and these loops are bound by memory traffic, not arithmetic.

Sums are accumulated in float64 for float32 input (a channel sums ~10⁵ values), with 'reassoc' so
that they vectorise. The elementwise parts run in x's dtype without fastmath: bn_forward rounds
exactly as numpy's xh·gamma + beta; bn_backward's gx moves the 1/M onto the two sums (see above).
Small tensors run inline, by threads' one rule (work = VALUE_WORK per value of x): handing jobs to
threads costs tens of µs.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from . import checks
from .canvas.layout import REDUCE  # fused multiply-add and reordered (vectorised) sums only
from .threads import VALUE_WORK, parallel_jobs


class Stats(NamedTuple):
    """The per-channel arrays (C,) of the backward, in x's dtype."""
    mean: np.ndarray
    inv: np.ndarray  # 1/√(var + eps)
    gamma: np.ndarray


# ---- one channel ------------------------------------------------------------------------------

@njit(cache=True, fastmath=REDUCE)
def _channel_stats(x3, c):
    """(mean, var) of x3[:, c] in float64, two passes.   x3 (N, C, L) with L = H·W"""
    N, L = x3.shape[0], x3.shape[2]
    M = N * L
    s = np.float64(0.0)  # not 0.0: un-jitted (NUMBA_DISABLE_JIT=1), a Python float + float32 would stay float32
    for n in range(N):  # (N,) runs of (L,)
        row = x3[n, c]
        for i in range(L):
            s += row[i]
    m = s / M
    q = np.float64(0.0)
    for n in range(N):
        row = x3[n, c]
        for i in range(L):
            d = row[i] - m  # mean first: Σx²/M - mean² would cancel when |mean| >> std
            q += d * d
    return m, q / M


@njit(cache=True)
def _channel_forward(x3, y3, c, m, s, g, b):
    """y3[:, c] = (x3[:, c] - m)·s·g + b, rounded in the order xh = (x - m)·s, then xh·g + b."""
    for n in range(x3.shape[0]):
        xr, yr = x3[n, c], y3[n, c]  # (L,) runs
        for i in range(xr.shape[0]):
            yr[i] = (xr[i] - m) * s * g + b


@njit(cache=True, fastmath=REDUCE)
def _channel_grad_sums(gy3, x3, c, m, s):
    """(Σ gy, Σ gy·xh) over channel c, in float64; xh = (x - m)·s recomputed."""
    sb = np.float64(0.0)
    sg = np.float64(0.0)
    for n in range(gy3.shape[0]):
        gr, xr = gy3[n, c], x3[n, c]  # (L,) runs
        for i in range(gr.shape[0]):
            g = np.float64(gr[i])
            sb += g
            sg += g * ((xr[i] - m) * s)
    return sb, sg


@njit(cache=True)
def _channel_backward(gy3, x3, gx3, c, m, s, gamma_c, batch_stats):
    """gx3[:, c]; returns (gbeta[c], ggamma[c]) in float64.

    consts (3,) has x's dtype: storing into it rounds k, gbeta/M, ggamma/M to that dtype, so the
    elementwise loop runs in x's precision (as the numpy formula does).
    """
    N, L = gy3.shape[0], gy3.shape[2]
    sb, sg = _channel_grad_sums(gy3, x3, c, m, s)
    consts = np.empty(3, gx3.dtype)
    consts[0] = gamma_c * s  # k = gamma[c]·inv[c]
    k = consts[0]
    if batch_stats and N * L > 0:
        # gamma·inv/M·(M·gy - gbeta - xh·ggamma), with the 1/M moved onto the two sums
        consts[1], consts[2] = sb / (N * L), sg / (N * L)
        mb, mg = consts[1], consts[2]
        for n in range(N):
            gr, xr, gxr = gy3[n, c], x3[n, c], gx3[n, c]  # (L,) runs
            for i in range(L):
                gxr[i] = k * (gr[i] - mb - (xr[i] - m) * s * mg)
    else:
        for n in range(N):
            gr, gxr = gy3[n, c], gx3[n, c]
            for i in range(L):
                gxr[i] = k * gr[i]
    return sb, sg


# ---- all channels: job kernels, run on threads by threads.parallel_jobs (job c = channel c) -------

@njit(cache=True, nogil=True)
def _stats_jobs(x3, out, c_lo, c_hi):
    for c in range(c_lo, c_hi):  # job c writes only out[:, c]   x3 (N, C, L), out (2, C) = (mean, var)
        out[0, c], out[1, c] = _channel_stats(x3, c)


@njit(cache=True, nogil=True)
def _forward_jobs(x3, mean, inv, gamma, beta, y3, c_lo, c_hi):
    for c in range(c_lo, c_hi):  # job c writes only y3[:, c]   (N, C, L)
        _channel_forward(x3, y3, c, mean[c], inv[c], gamma[c], beta[c])


@njit(cache=True, nogil=True)
def _backward_jobs(gy3, x3, st, batch_stats, gx3, sums, c_lo, c_hi):
    for c in range(c_lo, c_hi):  # job c writes only gx3[:, c] and sums[c] = (gbeta, ggamma)
        sums[c, 0], sums[c, 1] = _channel_backward(gy3, x3, gx3, c, st.mean[c], st.inv[c], st.gamma[c],
                                                   batch_stats)


def _run(kernel, x3, *args):
    """Every channel c of x3 (N, C, L) is job c."""
    parallel_jobs(kernel, x3.shape[1], *args, work=VALUE_WORK * x3.size)


# ---- public entry points ---------------------------------------------------------------------

def _flat(x, name, op):
    """(N, C, H, W) float array -> C-contiguous (N, C, H·W) view (a copy only when not contiguous).

    Any size may be 0 (an empty batch or image gives empty results, as the numpy formulas do)."""
    if not isinstance(x, np.ndarray) or x.dtype not in checks.FLOAT_DTYPES:
        got = f"dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(f"{op}: {name} must be a float32 or float64 numpy.ndarray, got {got}")
    if x.ndim != 4:
        raise ValueError(f"{op}: {name} must be 4-D (N, C, H, W), got shape {x.shape}")
    N, C, H, W = x.shape
    return np.ascontiguousarray(x).reshape(N, C, H * W)


def _per_channel(v, C, dtype, name, op):
    v = np.asarray(v)
    if v.shape != (C,):
        raise ValueError(f"{op}: {name} must have shape ({C},), one value per channel of x, got shape {v.shape}")
    return np.ascontiguousarray(v, dtype=dtype)


def bn_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """mean[c] = Σ_nhw x / M,  var[c] = Σ_nhw (x - mean[c])² / M (biased), in x's dtype  -> (mean, var)

    Summed in float64 (also for float32 x). With M = 0 (an empty batch) both are NaN, as numpy's.
    """
    x3 = _flat(x, "x", "bn_stats")
    if x3.shape[0] * x3.shape[2] == 0:
        nan = np.full(x3.shape[1], np.nan, x3.dtype)
        return nan, nan.copy()
    out = np.empty((2, x3.shape[1]), np.float64)  # (mean, var) per channel
    _run(_stats_jobs, x3, x3, out)
    return out[0].astype(x3.dtype), out[1].astype(x3.dtype)


def bn_forward(x, mean, inv, gamma, beta) -> np.ndarray:
    """y[n,c,h,w] = (x[n,c,h,w] - mean[c])·inv[c]·gamma[c] + beta[c]                    -> (N, C, H, W)

    mean, inv, gamma, beta (C,) are cast to x's dtype.
    """
    op = "bn_forward"
    x3 = _flat(x, "x", op)
    C, dt = x3.shape[1], x3.dtype
    args = [_per_channel(v, C, dt, name, op) for v, name in
            ((mean, "mean"), (inv, "inv"), (gamma, "gamma"), (beta, "beta"))]
    y3 = np.empty_like(x3)  # (N, C, L)
    _run(_forward_jobs, x3, x3, *args, y3)
    return y3.reshape(np.shape(x))


def bn_backward(gy, x, mean, inv, gamma, batch_stats: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """gbeta[c] = Σ_nhw gy,  ggamma[c] = Σ_nhw gy·xh   (xh = (x - mean[c])·inv[c], recomputed from x)
    gx = gamma[c]·inv[c]·(gy - gbeta[c]/M - xh·ggamma[c]/M)  if batch_stats, else gamma[c]·inv[c]·gy
                                                                              -> (gx, ggamma, gbeta)
    gy is cast to x's dtype; every result has x's dtype.
    """
    op = "bn_backward"
    x3 = _flat(x, "x", op)
    N, C, L = x3.shape
    gy = np.asarray(gy)
    if gy.shape != np.shape(x):
        raise ValueError(f"{op}: gy must have x's shape {np.shape(x)}, got shape {gy.shape}")
    gy3 = np.ascontiguousarray(gy, dtype=x3.dtype).reshape(N, C, L)
    st = Stats(*(_per_channel(v, C, x3.dtype, name, op) for v, name in
                 ((mean, "mean"), (inv, "inv"), (gamma, "gamma"))))
    gx3 = np.empty_like(gy3)  # (N, C, L)
    sums = np.empty((C, 2), np.float64)  # (gbeta, ggamma) per channel
    _run(_backward_jobs, x3, gy3, x3, st, bool(batch_stats), gx3, sums)
    return gx3.reshape(gy.shape), sums[:, 1].astype(x3.dtype), sums[:, 0].astype(x3.dtype)


# ---- references: whole-array numpy / einsum, not jitted ---------------------------------------

def bn_stats_reference(x):
    """mean = x averaged over (n, h, w); var = the average of (x - mean)², by einsum in float64"""
    x64 = np.asarray(x, np.float64)
    M = x64.shape[0] * x64.shape[2] * x64.shape[3]
    mean = np.einsum("nchw->c", x64) / M
    d = x64 - mean[None, :, None, None]
    return mean.astype(x.dtype), (np.einsum("nchw,nchw->c", d, d) / M).astype(x.dtype)


def bn_forward_reference(x, mean, inv, gamma, beta):
    """y = xh·gamma + beta with xh = (x - mean)·inv, per channel by broadcasting"""
    dt = x.dtype
    at = [np.asarray(v).astype(dt)[None, :, None, None] for v in (mean, inv, gamma, beta)]
    xh = (x - at[0]) * at[1]
    return xh * at[2] + at[3]


def bn_backward_reference(gy, x, mean, inv, gamma, batch_stats):
    """gx = gamma·inv/M·(M·gy - gbeta - xh·ggamma) (training) or gamma·inv·gy (eval), as the numpy op"""
    dt = x.dtype
    m, s, g = (np.asarray(v).astype(dt) for v in (mean, inv, gamma))
    xh = (x - m[:, None, None]) * s[:, None, None]  # (N,C,H,W) - (C,1,1)
    gbeta = np.einsum("nchw->c", gy.astype(np.float64))
    ggamma = np.einsum("nchw,nchw->c", gy.astype(np.float64), xh.astype(np.float64))
    scale = (g * s)[:, None, None]
    M = x.shape[0] * x.shape[2] * x.shape[3]
    if batch_stats and M > 0:
        gx = scale / M * (M * gy - gbeta.astype(dt)[:, None, None] - xh * ggamma.astype(dt)[:, None, None])
    else:
        gx = scale * gy
    return gx.astype(dt), ggamma.astype(dt), gbeta.astype(dt)
