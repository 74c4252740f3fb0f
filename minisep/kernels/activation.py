"""ReLU, forward and backward, on flat contiguous arrays of any shape.

    y[k]  = 0 if x[k] <= 0 else x[k]         (a NaN stays NaN, as PyTorch: a diverged run shows it)
    gx[k] = 0 if y[k] <= 0 else gy[k]        (the subgradient at 0 is 0, as PyTorch)

Backward reads the output y, not a saved mask: y[k] <= 0 exactly when x[k] <= 0, and the graph keeps y
alive anyway (it is the next op's input), so no extra array is stored.

Both are memory bound (one compare per element), so the work is split in blocks of BLK contiguous
elements (jobs for threads.parallel_jobs): each thread streams long runs. Small arrays run inline
on the calling thread, by threads' one rule (work = VALUE_WORK per element): handing work to a
thread costs tens of µs, more than the whole loop on a few thousand elements (gradient checks call
ReLU thousands of times on tiny arrays).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .checks import FLOAT_DTYPES
from .threads import VALUE_WORK, parallel_jobs

BLK = 16384  # elements per job: 64 kB of float32, long enough to stream, short enough to balance


@njit(cache=True)
def _relu_run(x, y):
    """y = 0 where x <= 0, else x.   x, y: (L,) views of one block.

    Indices start at 0 inside a block, so numba knows they are non-negative and the loop vectorises
    (with k in range(lo, hi) the negative-index wrap test stays in and it runs ~3x slower)."""
    zero = np.zeros(1, y.dtype)[0]
    for k in range(x.shape[0]):
        v = x[k]
        y[k] = zero if v <= 0 else v  # NaN <= 0 is False: a NaN passes through, as in PyTorch


@njit(cache=True)
def _relu_grad_run(gy, y, gx):
    """gx = 0 where y <= 0, else gy.   gy, y, gx: (L,) views of one block"""
    zero = np.zeros(1, gx.dtype)[0]
    for k in range(y.shape[0]):
        g = gy[k]  # loaded unconditionally, so the select vectorises (a branch on random signs mispredicts)
        gx[k] = zero if y[k] <= 0 else g  # a dead unit passes 0 even when gy is inf or NaN, as PyTorch


@njit(cache=True, nogil=True)
def _relu_forward_jobs(x, y, b_lo, b_hi):
    L = x.shape[0]  # (L,) = (N·C·H·W,) flattened
    for b in range(b_lo, b_hi):  # job b writes only y[b*BLK:(b+1)*BLK]
        lo, hi = b * BLK, min(L, (b + 1) * BLK)
        _relu_run(x[lo:hi], y[lo:hi])


@njit(cache=True, nogil=True)
def _relu_backward_jobs(gy, y, gx, b_lo, b_hi):
    L = y.shape[0]  # (L,)
    for b in range(b_lo, b_hi):  # job b writes only gx[b*BLK:(b+1)*BLK]
        lo, hi = b * BLK, min(L, (b + 1) * BLK)
        _relu_grad_run(gy[lo:hi], y[lo:hi], gx[lo:hi])


def relu_forward(x: np.ndarray) -> np.ndarray:
    """y = 0 where x <= 0, else x (same shape and dtype; a NaN stays NaN)                   -> y

    Any shape; float32/float64 run jitted (a non-contiguous x is copied to a contiguous one first),
    other dtypes take the numpy reference.
    """
    x = np.asarray(x)
    if x.dtype not in FLOAT_DTYPES:
        return relu_forward_reference(x)
    flat = np.ascontiguousarray(x).reshape(-1)  # (L,): a view when x is already C-contiguous
    y = np.empty_like(flat)
    L = flat.shape[0]
    parallel_jobs(_relu_forward_jobs, -(-L // BLK), flat, y, work=VALUE_WORK * L)  # job b: block b
    return y.reshape(x.shape)


def relu_backward(gy: np.ndarray, y: np.ndarray) -> np.ndarray:
    """gx = 0 where y <= 0, else gy   (y is relu_forward's output; gx has y's dtype)         -> gx

    gy may be any array of y's shape: a broadcast or strided view (as the engine passes after a sum
    or a transpose) is copied to a contiguous one of y's dtype first.
    """
    y = np.asarray(y)
    gy = np.asarray(gy)
    if gy.shape != y.shape:
        raise ValueError(f"relu_backward: gy must have the forward output's shape {y.shape}, got shape {gy.shape}")
    if y.dtype not in FLOAT_DTYPES:
        return relu_backward_reference(gy, y)
    g = np.ascontiguousarray(gy, dtype=y.dtype).reshape(-1)  # (L,)
    v = np.ascontiguousarray(y).reshape(-1)
    gx = np.empty_like(g)
    L = v.shape[0]
    parallel_jobs(_relu_backward_jobs, -(-L // BLK), g, v, gx, work=VALUE_WORK * L)  # job b: block b
    return gx.reshape(y.shape)


# ---- references: whole-array numpy, not jitted --------------------------------------------------

def relu_forward_reference(x):
    """y = x masked by x <= 0 (np.where over the whole array)"""
    x = np.asarray(x)
    return np.where(x <= 0, np.zeros_like(x), x)


def relu_backward_reference(gy, y):
    """gx = gy masked by y <= 0 (np.where over the whole array)"""
    y = np.asarray(y)
    return np.where(y <= 0, np.zeros((), y.dtype), np.asarray(gy)).astype(y.dtype, copy=False)
