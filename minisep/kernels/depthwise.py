"""Depthwise 2-D convolution: every input channel c has its own m filters (depth multiplier m).

Layout as PyTorch (groups=C) and Keras (depth_multiplier=m): x (N, C, H, W), w (C·m, 1, kh, kw),
output channel o = c·m + k for k < m. xp is x zero-padded by g.padding = (pt, pb, pl, pr).

    y[n, c·m+k, p, q]  = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]
    gx[n, c, h, w]     = Σ_{k,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[c·m+k, 0, i, j] · gy[n, c·m+k, p, q]
    gw[c·m+k, 0, i, j] = Σ_{n,p,q} gy[n, c·m+k, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]

gx is a depthwise convolution of gy (placed on the stride grid, i.e. dilated by s) with the kernel
flipped in i and j and the m filters of a channel summed: the same kernel as the forward pass.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import checks
from .canvas.grouped import grouped_corr, grouped_wgrad
from .canvas.layout import canvas, grad_input_buffer
from .geometry import ConvGeometry, zero_padded
from .windows import fold, windows


def _inputs(op, x, w, g):
    x, w = checks.array4d(x, "x", op), checks.array4d(w, "w", op, "(C·m, 1, kh, kw)")
    checks.same_dtype(x, "x", w, "w", op)
    m = checks.depthwise_weight(w, x.shape[1], op)
    checks.geometry(g, op, x.shape[2:], w.shape[2:])
    return x, w, m


def _grad_inputs(op, gy, w, g, in_channels):
    gy, w = checks.array4d(gy, "gy", op, "(N, C·m, P, Q)"), checks.array4d(w, "w", op, "(C·m, 1, kh, kw)")
    checks.same_dtype(gy, "gy", w, "w", op)
    C = w.shape[0] if in_channels is None else in_channels
    if not isinstance(C, (int, np.integer)) or isinstance(C, bool) or C < 1:
        raise TypeError(f"{op}: in_channels must be a positive int (x.shape[1]), got {in_channels!r}")
    m = checks.depthwise_weight(w, C, op, "in_channels")
    checks.geometry(g, op, kernel_hw=w.shape[2:])
    checks.grad_shape(gy, (gy.shape[0], C * m) + g.out_hw, op)
    return gy, w, int(C), m


def depthwise_forward(x: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """y[n, c·m+k, p, q] = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]   -> (N, C·m, P, Q)"""
    x, w, m = _inputs("depthwise_forward", x, w, g)
    if not checks.all_finite(w):
        # torch's meaning: y = Σ w·xp over the zero-padded xp, so an inf tap over padding gives
        # 0·inf = NaN there; the loop twin on the written-out padding says exactly that
        xp, gp = zero_padded(x, g)
        return depthwise_forward_loops(xp, w, gp)
    N, C = x.shape[:2]
    (kh, kw), (P, Q) = g.kernel_hw, g.out_hw
    cv = canvas(g)
    y = np.empty((N, C * m, P, Q), x.dtype)
    # per plane (n, c): x[n, c] placed on a padded canvas (Hc·Wc), y[n, c·m+k] read off its stride grid,
    # u = p·sh·Wc + q·sw, as Σ_t w[c·m+k, 0, i, j]·cv[taps[t] + u] with taps[t] = i·rh·Wc + j·rw
    grouped_corr(x, w.reshape(C, m, kh * kw), cv.taps, y, place=cv.x_grid, read=cv.y_grid, plane=cv.Lx,
                 work=N * C * m * kh * kw * P * Q)
    return y


def depthwise_backward_input(gy: np.ndarray, w: np.ndarray, g: ConvGeometry,
                             in_channels: int | None = None) -> np.ndarray:
    """gx[n, c, h, w] = Σ_{k,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[c·m+k, 0, i, j] · gy[n, c·m+k, p, q]

    A flipped, dilated depthwise conv of gy. w alone cannot tell C from m (w.shape[0] = C·m): pass
    in_channels = x.shape[1] when m > 1; None means m = 1.                        -> (N, C, H, W)
    """
    gy, w, C, m = _grad_inputs("depthwise_backward_input", gy, w, g, in_channels)
    if not checks.all_finite(w):  # an inf tap times the stride-gap zeros of gy's grid would give NaN;
        # the loops sum only real terms, as torch's transposed conv does
        return depthwise_backward_input_loops(gy, w, g, C)
    N = gy.shape[0]
    (H, W), (kh, kw), (P, Q) = g.in_hw, g.kernel_hw, g.out_hw
    cv = canvas(g)
    # wf[c, 0, k·T + t] = w[c·m+k, 0, kh-1-i, kw-1-j]: flipped taps, the m filters of channel c side by side
    wf = np.ascontiguousarray(w[:, 0, ::-1, ::-1]).reshape(C, 1, m * kh * kw)
    gx = grad_input_buffer((N, C, H, W), gy.dtype, cv.x_grid)  # zeros where no output reads x
    # the forward correlation with the grids swapped and the taps flipped: per plane (n, c), the m planes
    # gy[n, c·m+k] placed on the stride grid of m canvas planes (Lg apart), gx[n, c] read off x's grid
    grouped_corr(gy, wf, cv.taps, gx, place=cv.gy_grid, read=cv.x_grid, plane=cv.Lg,
                 work=N * C * m * kh * kw * P * Q)
    return gx


def depthwise_backward_weight(x: np.ndarray, gy: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """gw[c·m+k, 0, i, j] = Σ_{n,p,q} gy[n, c·m+k, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]

    -> (C·m, 1, kh, kw)
    """
    op = "depthwise_backward_weight"
    x, gy = checks.array4d(x, "x", op), checks.array4d(gy, "gy", op, "(N, C·m, P, Q)")
    checks.same_dtype(x, "x", gy, "gy", op)
    checks.geometry(g, op, x.shape[2:])
    N, C = x.shape[:2]
    if gy.shape[1] % C != 0:
        raise ValueError(f"{op}: gy must have C·m channels for the {C} channels of x (shape {x.shape}), "
                         f"got gy shape {gy.shape}")
    checks.grad_shape(gy, (N, gy.shape[1]) + g.out_hw, op)
    m = gy.shape[1] // C
    if not checks.all_finite(x, gy):
        # only pixels some output reads, padding zeros included (0·NaN = NaN, as torch); the fast
        # kernel would also multiply canvas zeros that no formula term has
        xp, gp = zero_padded(x, g)
        return depthwise_backward_weight_loops(xp, gy, gp)
    (kh, kw), (P, Q) = g.kernel_hw, g.out_hw
    cv = canvas(g)
    # per sample: x[n, c] placed on a canvas, gy[n, c·m+k] on the output grid, kh·kw dot products
    gw = grouped_wgrad(x, gy, cv.taps, place=cv.x_grid, read=cv.y_grid, plane=cv.Lx,
                       work=N * C * m * kh * kw * P * Q)  # (C·m, T): sums over n and (p, q)
    return gw.reshape(C * m, 1, kh, kw)


# ---- loop twins: the formulas verbatim, jitted; only real terms (padding is skipped, not multiplied) ----
# In these loops (row, col) is the formula's input position (h, w): w is the weight.

@njit(cache=True, nogil=True)
def depthwise_forward_loops(x, w, geo):
    """y[n, c·m+k, p, q] = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, C, O = x.shape[0], x.shape[1], w.shape[0]
    m = O // C
    y = np.zeros((N, O, P, Q), x.dtype)
    for n in range(N):
        for o in range(O):  # o = c·m + k
            c = o // m
            for p in range(P):
                for q in range(Q):
                    for i in range(kh):
                        for j in range(kw):
                            row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                            if 0 <= row < H and 0 <= col < W:
                                y[n, o, p, q] += w[o, 0, i, j] * x[n, c, row, col]
    return y


@njit(cache=True, nogil=True)
def depthwise_backward_input_loops(gy, w, geo, in_channels):
    """gx[n, c, h, w] = Σ_{k,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[c·m+k, 0, i, j] · gy[n, c·m+k, p, q]"""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, O = gy.shape[0], gy.shape[1]
    m = O // in_channels
    gx = np.zeros((N, in_channels, H, W), gy.dtype)
    for n in range(N):
        for o in range(O):  # o = c·m + k
            c = o // m
            for p in range(P):
                for q in range(Q):
                    for i in range(kh):
                        for j in range(kw):
                            row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                            if 0 <= row < H and 0 <= col < W:
                                gx[n, c, row, col] += w[o, 0, i, j] * gy[n, o, p, q]
    return gx


@njit(cache=True, nogil=True)
def depthwise_backward_weight_loops(x, gy, geo):
    """gw[c·m+k, 0, i, j] = Σ_{n,p,q} gy[n, c·m+k, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, C, O = x.shape[0], x.shape[1], gy.shape[1]
    m = O // C
    gw = np.zeros((O, 1, kh, kw), x.dtype)
    for n in range(N):
        for o in range(O):  # o = c·m + k
            c = o // m
            for p in range(P):
                for q in range(Q):
                    for i in range(kh):
                        for j in range(kw):
                            row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                            if 0 <= row < H and 0 <= col < W:
                                gw[o, 0, i, j] += gy[n, o, p, q] * x[n, c, row, col]
    return gw


# ---- references: np.pad + sliding windows + einsum, not jitted ------------------------------------

def depthwise_forward_reference(x, w, g):
    """y[n, c·m+k, p, q] = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    N, C = x.shape[:2]
    m, (kh, kw), (P, Q) = w.shape[0] // C, g.kernel_hw, g.out_hw
    y = np.einsum("ncpqij,ckij->nckpq", windows(x, g), w.reshape(C, m, kh, kw))
    return y.reshape(N, C * m, P, Q)


def depthwise_backward_input_reference(gy, w, g, in_channels=None):
    """gx[n, c, h, w] = Σ_{k,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[c·m+k, 0, i, j] · gy[n, c·m+k, p, q]
    """
    C = w.shape[0] if in_channels is None else in_channels
    N, m, (kh, kw), (P, Q) = gy.shape[0], w.shape[0] // C, g.kernel_hw, g.out_hw
    t = np.einsum("nckpq,ckij->ncpqij", gy.reshape(N, C, m, P, Q), w.reshape(C, m, kh, kw))
    return fold(t, g)


def depthwise_backward_weight_reference(x, gy, g):
    """gw[c·m+k, 0, i, j] = Σ_{n,p,q} gy[n, c·m+k, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    N, C = x.shape[:2]
    m, (kh, kw), (P, Q) = gy.shape[1] // C, g.kernel_hw, g.out_hw
    gw = np.einsum("nckpq,ncpqij->ckij", gy.reshape(N, C, m, P, Q), windows(x, g))
    return gw.reshape(C * m, 1, kh, kw)
