"""Pointwise (1x1) convolution: a matrix product over channels at every pixel.

x (N, C, H, W), w (O, C, 1, 1), y (N, O, H, W):

    y[n, o, h, w]  = Σ_c w[o, c, 0, 0] · x[n, c, h, w]
    gx[n, c, h, w] = Σ_o w[o, c, 0, 0] · gy[n, o, h, w]          (the transposed matrix)
    gw[o, c, 0, 0] = Σ_{n,h,w} gy[n, o, h, w] · x[n, c, h, w]

Per sample this is the GEMM (O, C) @ (C, H·W). It runs on the same jitted correlation as the other
convolutions (every channel plane is a "tap" at offset c·H·W), not on BLAS: numba's np.dot would
need scipy, and numpy's threaded BLAS competes for the cores with numba's threads.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import checks
from .canvas.dense import corr_dense, wgrad_dense
from .canvas.layout import TILE, Grid


def pointwise_forward(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """y[n, o, h, w] = Σ_c w[o, c, 0, 0] · x[n, c, h, w]                              -> (N, O, H, W)"""
    op = "pointwise_forward"
    x, w = checks.array4d(x, "x", op), _weight(w, op)
    checks.same_dtype(x, "x", w, "w", op)
    checks.channels(x.shape[1], w, op, f"x (shape {x.shape})")
    N, C, H, W = x.shape
    O = w.shape[0]
    y = np.empty((N, O, H, W), x.dtype)
    # plane c of sample n starts at c·H·W; the wide positions u = h·W + w are the pixels themselves
    pixels = Grid(0, W, 1, H, W)
    corr_dense(x, w.reshape(O, C), ONE_TAP, y, place=pixels, read=pixels, plane=_plane(H, W),
               work=N * O * C * H * W)
    return y


def pointwise_backward_input(gy: np.ndarray, w: np.ndarray) -> np.ndarray:
    """gx[n, c, h, w] = Σ_o w[o, c, 0, 0] · gy[n, o, h, w]                             -> (N, C, H, W)"""
    op = "pointwise_backward_input"
    gy, w = checks.array4d(gy, "gy", op, "(N, O, H, W)"), _weight(w, op)
    checks.same_dtype(gy, "gy", w, "w", op)
    if gy.shape[1] != w.shape[0]:
        raise ValueError(f"{op}: gy must have the O={w.shape[0]} output channels of w (shape {w.shape}), "
                         f"got gy shape {gy.shape}")
    N, O, H, W = gy.shape
    C = w.shape[1]
    gx = np.empty((N, C, H, W), gy.dtype)
    wt = np.ascontiguousarray(w.reshape(O, C).T)  # (C, O) transposed matrix
    pixels = Grid(0, W, 1, H, W)
    corr_dense(gy, wt, ONE_TAP, gx, place=pixels, read=pixels, plane=_plane(H, W), work=N * O * C * H * W)
    return gx


def pointwise_backward_weight(x: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """gw[o, c, 0, 0] = Σ_{n,h,w} gy[n, o, h, w] · x[n, c, h, w]                       -> (O, C, 1, 1)"""
    op = "pointwise_backward_weight"
    x, gy = checks.array4d(x, "x", op), checks.array4d(gy, "gy", op, "(N, O, H, W)")
    checks.same_dtype(x, "x", gy, "gy", op)
    if gy.shape[0] != x.shape[0] or gy.shape[2:] != x.shape[2:]:
        raise ValueError(f"{op}: gy must have shape (N, O, H, W) with the N, H, W of x (shape {x.shape}), "
                         f"got gy shape {gy.shape}")
    N, C, H, W = x.shape
    O = gy.shape[1]
    pixels = Grid(0, W, 1, H, W)
    gw = wgrad_dense(x, gy, ONE_TAP, place=pixels, read=pixels, plane=_plane(H, W),
                     work=N * O * C * H * W)  # (O, C)
    return gw.reshape(O, C, 1, 1)


ONE_TAP = np.zeros(1, np.int64)  # a 1x1 kernel: the only tap is the pixel itself (offset 0)


def _plane(H: int, W: int) -> int:
    """The canvas plane handed to the dense kernels: 0 (use x's own planes, no copy) for large images;
    H·W (copy, so that canvas/dense.py can stack small images into long loops) below TILE / 2 pixels."""
    return H * W if 2 * H * W <= TILE else 0


def _weight(w, op):
    w = checks.array4d(w, "w", op, "(O, C, 1, 1)")
    if w.shape[2:] != (1, 1):
        raise ValueError(f"{op}: w must have shape (O, C, 1, 1), got shape {w.shape}")
    return w


# ---- loop twins: the formulas verbatim, jitted ---------------------------------------------------
# No padding and no stride: the fast kernels read only real terms, so no non-finite fallback is needed.
# In these loops (row, col) is the formula's pixel (h, w): w is the weight.

@njit(cache=True, nogil=True)
def pointwise_forward_loops(x, w):
    """y[n, o, h, w] = Σ_c w[o, c, 0, 0] · x[n, c, h, w]"""
    N, C, H, W = x.shape
    O = w.shape[0]
    y = np.zeros((N, O, H, W), x.dtype)
    for n in range(N):
        for o in range(O):
            for c in range(C):
                for row in range(H):
                    for col in range(W):
                        y[n, o, row, col] += w[o, c, 0, 0] * x[n, c, row, col]
    return y


@njit(cache=True, nogil=True)
def pointwise_backward_input_loops(gy, w):
    """gx[n, c, h, w] = Σ_o w[o, c, 0, 0] · gy[n, o, h, w]"""
    N, O, H, W = gy.shape
    C = w.shape[1]
    gx = np.zeros((N, C, H, W), gy.dtype)
    for n in range(N):
        for o in range(O):
            for c in range(C):
                for row in range(H):
                    for col in range(W):
                        gx[n, c, row, col] += w[o, c, 0, 0] * gy[n, o, row, col]
    return gx


@njit(cache=True, nogil=True)
def pointwise_backward_weight_loops(x, gy):
    """gw[o, c, 0, 0] = Σ_{n,h,w} gy[n, o, h, w] · x[n, c, h, w]"""
    N, C, H, W = x.shape
    O = gy.shape[1]
    gw = np.zeros((O, C, 1, 1), x.dtype)
    for n in range(N):
        for o in range(O):
            for c in range(C):
                for row in range(H):
                    for col in range(W):
                        gw[o, c, 0, 0] += gy[n, o, row, col] * x[n, c, row, col]
    return gw


# ---- references: einsum, not jitted ---------------------------------------------------------------

def pointwise_forward_reference(x, w):
    """y[n, o, h, w] = Σ_c w[o, c, 0, 0] · x[n, c, h, w]"""
    return np.einsum("oc,nchw->nohw", w[:, :, 0, 0], x)


def pointwise_backward_input_reference(gy, w):
    """gx[n, c, h, w] = Σ_o w[o, c, 0, 0] · gy[n, o, h, w]"""
    return np.einsum("oc,nohw->nchw", w[:, :, 0, 0], gy)


def pointwise_backward_weight_reference(x, gy):
    """gw[o, c, 0, 0] = Σ_{n,h,w} gy[n, o, h, w] · x[n, c, h, w]"""
    return np.einsum("nohw,nchw->oc", gy, x)[:, :, None, None]
