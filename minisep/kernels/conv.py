"""Standard 2-D convolution (cross-correlation, as PyTorch), im2col-free.

x (N, C, H, W), w (O, C, kh, kw), y (N, O, P, Q); xp is x zero-padded by g.padding = (pt, pb, pl, pr).

    y[n, o, p, q]  = Σ_{c,i,j} w[o, c, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]
    gx[n, c, h, w] = Σ_{o,p,q,i,j : p·sh + i·rh - pt = h, q·sw + j·rw - pl = w} w[o, c, i, j] · gy[n, o, p, q]
    gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]

gx is the convolution of gy (placed on the stride grid) with the kernel flipped in i, j and its
in/out channels swapped: the same jitted correlation as the forward pass (see canvas/layout.py), whose "taps"
are the C·kh·kw pairs (plane c, shift i·rh·Wc + j·rw) of the padded canvas.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import checks
from .canvas.dense import corr_dense, wgrad_dense
from .canvas.layout import canvas, grad_input_buffer
from .geometry import ConvGeometry, zero_padded
from .windows import fold, windows


def conv2d_forward(x: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]        -> (N, O, P, Q)"""
    op = "conv2d_forward"
    x, w = checks.array4d(x, "x", op), checks.array4d(w, "w", op, "(O, C, kh, kw)")
    checks.same_dtype(x, "x", w, "w", op)
    checks.channels(x.shape[1], w, op, f"x (shape {x.shape})")
    checks.geometry(g, op, x.shape[2:], w.shape[2:])
    if not checks.all_finite(w):
        # torch's meaning: y = Σ w·xp over the zero-padded xp, so an inf tap over padding gives
        # 0·inf = NaN there; the loop twin on the written-out padding says exactly that
        xp, gp = zero_padded(x, g)
        return conv2d_forward_loops(xp, w, gp)
    N, C = x.shape[:2]
    O, (kh, kw), (P, Q) = w.shape[0], g.kernel_hw, g.out_hw
    cv = canvas(g)
    y = np.empty((N, O, P, Q), x.dtype)
    # per sample n: x[n] placed on a padded canvas (C planes of Lx, in a scratch buffer); tap (c, i, j) is
    # the shift c·(plane stride) + i·rh·Wc + j·rw, and y[n, o, p, q] is read at u = p·sh·Wc + q·sw
    corr_dense(x, w.reshape(O, C * kh * kw), cv.taps, y, place=cv.x_grid, read=cv.y_grid, plane=cv.Lx,
               work=N * O * C * kh * kw * P * Q)
    return y


def conv2d_backward_input(gy: np.ndarray, w: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """gx[n, c, h, w] = Σ_{o,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]

    A convolution of the stride-dilated gy with the flipped, transposed kernel.     -> (N, C, H, W)
    """
    op = "conv2d_backward_input"
    gy, w = checks.array4d(gy, "gy", op, "(N, O, P, Q)"), checks.array4d(w, "w", op, "(O, C, kh, kw)")
    checks.same_dtype(gy, "gy", w, "w", op)
    checks.geometry(g, op, kernel_hw=w.shape[2:])
    checks.grad_shape(gy, (gy.shape[0], w.shape[0]) + g.out_hw, op)
    if not checks.all_finite(w):  # an inf tap times the stride-gap zeros of gy's grid would give NaN;
        # the loops sum only real terms, as torch's transposed conv does
        return conv2d_backward_input_loops(gy, w, g)
    N, (O, C, kh, kw) = gy.shape[0], w.shape
    (H, W), (P, Q) = g.in_hw, g.out_hw
    cv = canvas(g)
    # wf[c, o·T + t] = w[o, c, kh-1-i, kw-1-j]: flipped taps, in/out channels swapped
    wf = np.ascontiguousarray(w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)).reshape(C, O * kh * kw)
    gx = grad_input_buffer((N, C, H, W), gy.dtype, cv.x_grid)  # zeros where no output reads x
    # the forward correlation with the grids swapped and the taps flipped: per sample n, gy[n] placed on
    # the stride grid of a canvas (O planes of Lg), gx[n] read off x's grid
    corr_dense(gy, wf, cv.taps, gx, place=cv.gy_grid, read=cv.x_grid, plane=cv.Lg,
               work=N * O * C * kh * kw * P * Q)
    return gx


def conv2d_backward_weight(x: np.ndarray, gy: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]     -> (O, C, kh, kw)"""
    op = "conv2d_backward_weight"
    x, gy = checks.array4d(x, "x", op), checks.array4d(gy, "gy", op, "(N, O, P, Q)")
    checks.same_dtype(x, "x", gy, "gy", op)
    checks.geometry(g, op, x.shape[2:])
    N, C = x.shape[:2]
    checks.grad_shape(gy, (N, gy.shape[1]) + g.out_hw, op)
    if not checks.all_finite(x, gy):
        # only pixels some output reads, padding zeros included (0·NaN = NaN, as torch); the fast
        # kernel would also multiply canvas zeros that no formula term has
        xp, gp = zero_padded(x, g)
        return conv2d_backward_weight_loops(xp, gy, gp)
    O, (kh, kw), (P, Q) = gy.shape[1], g.kernel_hw, g.out_hw
    cv = canvas(g)
    # per sample: x[n] placed on its canvas, gy[n] on the output grid u = p·sh·Wc + q·sw; one dot product
    # per (o, c, tap)
    gw = wgrad_dense(x, gy, cv.taps, place=cv.x_grid, read=cv.y_grid, plane=cv.Lx,
                     work=N * O * C * kh * kw * P * Q)
    return gw.reshape(O, C, kh, kw)  # (O, C·T) -> (O, C, kh, kw)


# ---- loop twins: the formulas verbatim, jitted; only real terms (padding is skipped, not multiplied) ----
# In these loops (row, col) is the formula's input position (h, w): w is the weight.

@njit(cache=True, nogil=True)
def conv2d_forward_loops(x, w, geo):
    """y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, C, O = x.shape[0], x.shape[1], w.shape[0]
    y = np.zeros((N, O, P, Q), x.dtype)
    for n in range(N):
        for o in range(O):
            for c in range(C):
                for p in range(P):
                    for q in range(Q):
                        for i in range(kh):
                            for j in range(kw):
                                row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                                if 0 <= row < H and 0 <= col < W:
                                    y[n, o, p, q] += w[o, c, i, j] * x[n, c, row, col]
    return y


@njit(cache=True, nogil=True)
def conv2d_backward_input_loops(gy, w, geo):
    """gx[n, c, h, w] = Σ_{o,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]"""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, O, C = gy.shape[0], w.shape[0], w.shape[1]
    gx = np.zeros((N, C, H, W), gy.dtype)
    for n in range(N):
        for o in range(O):
            for c in range(C):
                for p in range(P):
                    for q in range(Q):
                        for i in range(kh):
                            for j in range(kw):
                                row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                                if 0 <= row < H and 0 <= col < W:
                                    gx[n, c, row, col] += w[o, c, i, j] * gy[n, o, p, q]
    return gx


@njit(cache=True, nogil=True)
def conv2d_backward_weight_loops(x, gy, geo):
    """gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = geo
    N, C, O = x.shape[0], x.shape[1], gy.shape[1]
    gw = np.zeros((O, C, kh, kw), x.dtype)
    for n in range(N):
        for o in range(O):
            for c in range(C):
                for p in range(P):
                    for q in range(Q):
                        for i in range(kh):
                            for j in range(kw):
                                row, col = p * sh + i * rh - pt, q * sw + j * rw - pl
                                if 0 <= row < H and 0 <= col < W:
                                    gw[o, c, i, j] += gy[n, o, p, q] * x[n, c, row, col]
    return gw


# ---- references: np.pad + sliding windows + einsum, not jitted ------------------------------------

def conv2d_forward_reference(x, w, g):
    """y[n, o, p, q] = Σ_{c,i,j} w[o, c, i, j] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    return np.einsum("ncpqij,ocij->nopq", windows(x, g), w)


def conv2d_backward_input_reference(gy, w, g):
    """gx[n, c, h, w] = Σ_{o,p,q,i,j : p·sh+i·rh-pt = h, q·sw+j·rw-pl = w} w[o, c, i, j] · gy[n, o, p, q]"""
    return fold(np.einsum("nopq,ocij->ncpqij", gy, w), g)


def conv2d_backward_weight_reference(x, gy, g):
    """gw[o, c, i, j] = Σ_{n,p,q} gy[n, o, p, q] · xp[n, c, p·sh + i·rh, q·sw + j·rw]"""
    return np.einsum("nopq,ncpqij->ocij", gy, windows(x, g))
