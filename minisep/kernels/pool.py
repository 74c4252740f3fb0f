"""Max and average pooling (PyTorch semantics), and global average pooling.

x (N, C, H, W) -> y (N, C, P, Q); a window is rows p·sh - pt + i (i < kh), columns q·sw - pl + j (j < kw),
clipped to the image: `rows(p)`, `cols(q)`. Padding acts as -inf for max and as zeros for average.

    max:  y[n, c, p, q] = max_{h ∈ rows(p), w ∈ cols(q)} x[n, c, h, w];  argmax[n, c, p, q] = h·W + w of the
          first maximum in (i, j) order (a NaN wins, as in PyTorch)
          gx[n, c, h, w] = Σ_{p,q : argmax[n, c, p, q] = h·W + w} gy[n, c, p, q]
    avg:  y[n, c, p, q] = Σ_{h ∈ rows(p), w ∈ cols(q)} x[n, c, h, w] / D[p, q]
          gx[n, c, h, w] = Σ_{p,q : h ∈ rows(p), w ∈ cols(q)} gy[n, c, p, q] / D[p, q]
          D = kh·kw if count_include_pad else |rows(p)|·|cols(q)|
    global average:  y[n, c] = Σ_hw x[n, c, h, w] / (H·W);   gx[n, c, h, w] = gy[n, c] / (H·W)

Every window holds at least one pixel (padding <= kernel // 2, checked), so no window is empty.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from . import checks
from .geometry import ConvGeometry, pair
from .threads import parallel_jobs
from .windows import fold, windows


def _pool_inputs(op, x, g):
    x = checks.array4d(x, "x", op)
    checks.geometry(g, op, x.shape[2:])
    _pool_geometry(g, op)
    return x


def _pool_geometry(g, op):
    (kh, kw), (pt, pb, pl, pr) = g.kernel_hw, g.padding
    if g.dilation != (1, 1) or max(pt, pb) > kh // 2 or max(pl, pr) > kw // 2:
        raise ValueError(f"{op}: g must be a pooling geometry (dilation 1, padding <= kernel // 2 = "
                         f"{(kh // 2, kw // 2)}), got dilation {g.dilation} and padding {g.padding}; "
                         f"build it with pool_geometry")


def _grad_inputs(op, gy, g):
    gy = checks.array4d(gy, "gy", op, "(N, C, P, Q)")
    checks.geometry(g, op)
    _pool_geometry(g, op)
    checks.grad_shape(gy, gy.shape[:2] + g.out_hw, op)
    return gy


# ---- job kernels: job nc = (n, c) writes only [n, c] of its outputs (threads.parallel_jobs) -------

@njit(cache=True, nogil=True)
def _clipped(p, sh, pt, kh, H):
    """Window p starts at row h0 = p·sh - pt; its rows h0 + i with i_lo <= i < i_hi lie inside [0, H).
    (The same for columns: _clipped(q, sw, pl, kw, W).)                          -> (h0, i_lo, i_hi)"""
    h0 = p * sh - pt
    return h0, max(0, -h0), min(kh, H - h0)


@njit(cache=True, nogil=True)
def _max_pool_forward_jobs(x, g, y, arg, nc_lo, nc_hi):
    """y[n, c, p, q] = max over the clipped window, arg = h·W + w of the first maximum in (i, j) order."""
    (H, W), (kh, kw), (sh, sw), _, (pt, _, pl, _), (P, Q) = g
    C = x.shape[1]
    for nc in range(nc_lo, nc_hi):  # iteration (n, c) writes only y[n, c] and arg[n, c]
        n, c = nc // C, nc % C
        img = x[n, c]
        for p in range(P):
            h0, i_lo, i_hi = _clipped(p, sh, pt, kh, H)  # window rows h0 + i inside [0, H)
            for q in range(Q):
                w0, j_lo, j_hi = _clipped(q, sw, pl, kw, W)
                best_h, best_w = h0 + i_lo, w0 + j_lo
                best = img[best_h, best_w]
                for i in range(i_lo, i_hi):
                    for j in range(j_lo, j_hi):
                        v = img[h0 + i, w0 + j]
                        if v > best or np.isnan(v):
                            best, best_h, best_w = v, h0 + i, w0 + j
                y[n, c, p, q] = best
                arg[n, c, p, q] = best_h * W + best_w


@njit(cache=True, nogil=True)
def _max_pool_forward_inside_jobs(x, g, y, arg, nc_lo, nc_hi):
    """_max_pool_forward_jobs when no window is clipped (no padding): the same comparisons in the same
    (i, j) order per output, but with the output column q innermost, so one loop compares a whole output
    row against window tap (i, j) without bounds tests (branch-free selects; it vectorises)."""
    (_, W), (kh, kw), (sh, sw), _, _, (P, Q) = g
    C = x.shape[1]
    for nc in range(nc_lo, nc_hi):  # iteration (n, c) writes only y[n, c] and arg[n, c]
        n, c = nc // C, nc % C
        img = x[n, c]
        for p in range(P):
            best, where = y[n, c, p], arg[n, c, p]  # (Q,) rows of the outputs
            first = img[p * sh]
            for q in range(Q):  # tap (0, 0) starts every window
                best[q] = first[q * sw]
                where[q] = p * sh * W + q * sw
            for i in range(kh):
                row = img[p * sh + i]
                for j in range(kw):
                    if i == 0 and j == 0:
                        continue
                    offset = (p * sh + i) * W + j
                    # y[n, c, p, q] = max(y, x[n, c, p·sh + i, q·sw + j]) for every q of the row
                    for q in range(Q):
                        v = row[q * sw + j]
                        take = v > best[q] or v != v  # a NaN wins, as in PyTorch
                        best[q] = v if take else best[q]
                        where[q] = offset + q * sw if take else where[q]


@njit(cache=True, nogil=True)
def _max_pool_backward_jobs(gy, arg, gx, nc_lo, nc_hi):
    """gx[n, c, argmax[n, c, p, q]] += gy[n, c, p, q].   gy, arg (N, C, P, Q); gx (N, C, H·W)"""
    C = gy.shape[1]
    for nc in range(nc_lo, nc_hi):  # iteration (n, c) writes only gx[n, c]: scatter-add inside one image
        n, c = nc // C, nc % C
        flat, g_img, a_img = gx[n, c], gy[n, c], arg[n, c]
        for p in range(gy.shape[2]):
            for q in range(gy.shape[3]):
                flat[a_img[p, q]] += g_img[p, q]


@njit(cache=True, nogil=True)
def _avg_pool_forward_jobs(x, g, include_pad, y, nc_lo, nc_hi):
    """y[n, c, p, q] = Σ over the clipped window / D[p, q]"""
    (H, W), (kh, kw), (sh, sw), _, (pt, _, pl, _), (P, Q) = g
    C = x.shape[1]
    zero = np.zeros(1, x.dtype)[0]
    for nc in range(nc_lo, nc_hi):  # iteration (n, c) writes only y[n, c]
        n, c = nc // C, nc % C
        img = x[n, c]
        for p in range(P):
            h0, i_lo, i_hi = _clipped(p, sh, pt, kh, H)
            for q in range(Q):
                w0, j_lo, j_hi = _clipped(q, sw, pl, kw, W)
                s = zero
                for i in range(i_lo, i_hi):
                    for j in range(j_lo, j_hi):
                        s += img[h0 + i, w0 + j]
                y[n, c, p, q] = s / (kh * kw if include_pad else (i_hi - i_lo) * (j_hi - j_lo))


@njit(cache=True, nogil=True)
def _avg_pool_backward_jobs(gy, g, include_pad, gx, nc_lo, nc_hi):
    """gx[n, c, h, w] += gy[n, c, p, q] / D[p, q] over every window (p, q) holding (h, w)"""
    (H, W), (kh, kw), (sh, sw), _, (pt, _, pl, _), (P, Q) = g
    C = gy.shape[1]
    for nc in range(nc_lo, nc_hi):  # iteration (n, c) writes only gx[n, c]
        n, c = nc // C, nc % C
        img = gx[n, c]
        for p in range(P):
            h0, i_lo, i_hi = _clipped(p, sh, pt, kh, H)
            for q in range(Q):
                w0, j_lo, j_hi = _clipped(q, sw, pl, kw, W)
                v = gy[n, c, p, q] / (kh * kw if include_pad else (i_hi - i_lo) * (j_hi - j_lo))
                for i in range(i_lo, i_hi):
                    for j in range(j_lo, j_hi):
                        img[h0 + i, w0 + j] += v


# ---- public entry points: validate, allocate, run the jobs (one per (n, c) plane) ----------------

def max_pool2d_forward(x: np.ndarray, g: ConvGeometry) -> tuple[np.ndarray, np.ndarray]:
    """y[n, c, p, q] = max_{i,j} xp[n, c, p·sh + i, q·sw + j]  (xp: x padded with -inf)

    argmax[n, c, p, q] = h·W + w of the first maximum in (i, j) order (int64)       -> (y, argmax)
    """
    x = _pool_inputs("max_pool2d_forward", x, g)
    (H, W), (kh, kw), (sh, sw), _, (pt, _, pl, _), (P, Q) = g
    N, C = x.shape[:2]
    y, arg = np.empty((N, C, P, Q), x.dtype), np.empty((N, C, P, Q), np.int64)
    inside = pt == 0 and pl == 0 and (P - 1) * sh + kh <= H and (Q - 1) * sw + kw <= W  # no window clipped
    parallel_jobs(_max_pool_forward_inside_jobs if inside else _max_pool_forward_jobs, N * C, x, g, y, arg,
                  work=N * C * P * Q * kh * kw)
    return y, arg


def max_pool2d_backward(gy: np.ndarray, argmax: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """gx[n, c, h, w] = Σ_{p,q : argmax[n, c, p, q] = h·W + w} gy[n, c, p, q]                -> (N, C, H, W)"""
    op = "max_pool2d_backward"
    gy = _grad_inputs(op, gy, g)
    H, W = g.in_hw
    if not isinstance(argmax, np.ndarray) or argmax.dtype != np.int64 or argmax.shape != gy.shape:
        got = f"shape {argmax.shape} dtype {argmax.dtype}" if isinstance(argmax, np.ndarray) else type(argmax).__name__
        raise ValueError(f"{op}: argmax must be the int64 array of shape {gy.shape} returned by "
                         f"max_pool2d_forward, got {got}")
    if argmax.size and (argmax.min() < 0 or argmax.max() >= H * W):
        raise ValueError(f"{op}: argmax values must be flat indices h·W + w in [0, {H * W}), "
                         f"got values in [{argmax.min()}, {argmax.max()}]")
    N, C = gy.shape[:2]
    gx = np.zeros((N, C, H * W), gy.dtype)  # (N, C, H·W): argmax holds flat indices
    parallel_jobs(_max_pool_backward_jobs, N * C, gy, np.ascontiguousarray(argmax), gx, work=gy.size)
    return gx.reshape(N, C, H, W)


def avg_pool2d_forward(x: np.ndarray, g: ConvGeometry, count_include_pad: bool = True) -> np.ndarray:
    """y[n, c, p, q] = Σ_{h ∈ rows(p), w ∈ cols(q)} x[n, c, h, w] / D[p, q]                  -> (N, C, P, Q)"""
    x = _pool_inputs("avg_pool2d_forward", x, g)
    (kh, kw), (P, Q) = g.kernel_hw, g.out_hw
    N, C = x.shape[:2]
    y = np.empty((N, C, P, Q), x.dtype)
    parallel_jobs(_avg_pool_forward_jobs, N * C, x, g, bool(count_include_pad), y, work=N * C * P * Q * kh * kw)
    return y


def avg_pool2d_backward(gy: np.ndarray, g: ConvGeometry, count_include_pad: bool = True) -> np.ndarray:
    """gx[n, c, h, w] = Σ_{p,q : h ∈ rows(p), w ∈ cols(q)} gy[n, c, p, q] / D[p, q]           -> (N, C, H, W)"""
    gy = _grad_inputs("avg_pool2d_backward", gy, g)
    (kh, kw), N, C = g.kernel_hw, gy.shape[0], gy.shape[1]
    gx = np.zeros((N, C) + g.in_hw, gy.dtype)
    parallel_jobs(_avg_pool_backward_jobs, N * C, gy, g, bool(count_include_pad), gx, work=gy.size * kh * kw)
    return gx


def global_avg_pool2d_forward(x: np.ndarray) -> np.ndarray:
    """y[n, c] = Σ_hw x[n, c, h, w] / (H·W)                                                  -> (N, C)"""
    x = checks.array4d(x, "x", "global_avg_pool2d_forward")
    return x.mean(axis=(2, 3), dtype=x.dtype)


def global_avg_pool2d_backward(gy: np.ndarray, in_hw: tuple[int, int]) -> np.ndarray:
    """gx[n, c, h, w] = gy[n, c] / (H·W)                                                    -> (N, C, H, W)"""
    op = "global_avg_pool2d_backward"
    if not isinstance(gy, np.ndarray) or gy.dtype not in checks.FLOAT_DTYPES:
        raise TypeError(f"{op}: gy must be a float32 or float64 numpy.ndarray, "
                        f"got {getattr(gy, 'dtype', type(gy).__name__)}")
    if gy.ndim != 2:
        raise ValueError(f"{op}: gy must be 2-D (N, C), got shape {gy.shape}")
    H, W = pair(in_hw, "in_hw", op)
    return np.ascontiguousarray(np.broadcast_to((gy / (H * W))[:, :, None, None], gy.shape + (H, W)))


# ---- references: sliding windows / np.add.at, not jitted ------------------------------------------

def _window_counts(g):
    """D[p, q] of count_include_pad=False: how many real pixels each window holds."""
    return windows(np.ones((1, 1) + g.in_hw), g).sum(axis=(-2, -1))[0, 0]


def max_pool2d_forward_reference(x, g):
    """y[n, c, p, q] = max_{i,j} xp[n, c, p·sh + i, q·sw + j]; argmax = h·W + w of the first maximum,
    a NaN wins (the last NaN)."""
    (H, W), (kh, kw), (sh, sw), _, (pt, _, pl, _), (P, Q) = g
    flat = windows(x, g, -np.inf).reshape(x.shape[:2] + (P, Q, kh * kw))
    valid = windows(np.ones((1, 1, H, W)), g).reshape(P, Q, kh * kw) > 0
    t = np.argmax(np.where(valid, flat, -np.inf), axis=-1)
    t = np.where(np.take_along_axis(flat, t[..., None], -1)[..., 0] == -np.inf, np.argmax(valid, -1), t)
    nan = np.isnan(flat)
    t = np.where(nan.any(-1), kh * kw - 1 - np.argmax(nan[..., ::-1], -1), t)  # the last NaN
    y = np.take_along_axis(flat, t[..., None], -1)[..., 0]
    h = np.arange(P)[:, None] * sh - pt + t // kw
    w = np.arange(Q)[None, :] * sw - pl + t % kw
    return y, (h * W + w).astype(np.int64)


def max_pool2d_backward_reference(gy, argmax, g):
    """gx[n, c, h, w] = Σ_{p,q : argmax[n, c, p, q] = h·W + w} gy[n, c, p, q]"""
    N, C = gy.shape[:2]
    gx = np.zeros((N, C, g.in_hw[0] * g.in_hw[1]), gy.dtype)
    n, c = np.indices((N, C))
    np.add.at(gx, (n[..., None, None], c[..., None, None], argmax), gy)
    return gx.reshape((N, C) + g.in_hw)


def avg_pool2d_forward_reference(x, g, count_include_pad=True):
    """y[n, c, p, q] = Σ_{h ∈ rows(p), w ∈ cols(q)} x[n, c, h, w] / D[p, q]"""
    D = g.kernel_hw[0] * g.kernel_hw[1] if count_include_pad else _window_counts(g)
    return (windows(x, g).sum(axis=(-2, -1)) / D).astype(x.dtype)


def avg_pool2d_backward_reference(gy, g, count_include_pad=True):
    """gx[n, c, h, w] = Σ_{p,q : h ∈ rows(p), w ∈ cols(q)} gy[n, c, p, q] / D[p, q]"""
    D = g.kernel_hw[0] * g.kernel_hw[1] if count_include_pad else _window_counts(g)
    t = np.broadcast_to((gy / D)[..., None, None], gy.shape + g.kernel_hw)  # (N, C, P, Q, kh, kw)
    return fold(t, g).astype(gy.dtype)


def global_avg_pool2d_forward_reference(x):
    """y[n, c] = Σ_hw x[n, c, h, w] / (H·W)"""
    return (np.einsum("nchw->nc", x) / (x.shape[2] * x.shape[3])).astype(x.dtype)


def global_avg_pool2d_backward_reference(gy, in_hw):
    """gx[n, c, h, w] = gy[n, c] / (H·W)"""
    H, W = in_hw
    return np.repeat(np.repeat(gy[:, :, None, None], H, axis=2), W, axis=3) / (H * W)
