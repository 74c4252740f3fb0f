"""Jitted building blocks shared by the depthwise, pointwise and standard convolution kernels.

The idea: a "wide canvas". One zero-padded (n, c) plane is stored flat with row length Wc:

    canvas[(h + pt)·Wc + (w + pl)] = x[n, c, h, w]

so the kernel tap (i, j) is a constant shift off = i·dh·Wc + j·dw, and a correlation is a sum of
shifted 1-D rows, one long contiguous loop per tap with no bounds test inside:

    acc[u] = Σ_k wk[k] · src[base[k] + u]

Output (a, b) sits at u = start + a·ra + b·rb (forward: start = 0, ra = sh·Wc, rb = sw). acc is
computed on spans of whole output rows, a few rows at a time (at most TILE positions, so the
accumulators stay in L1); the u between two outputs (a few columns per row for stride 1, the rows in
between for stride > 1 unless rows are long) are computed and thrown away: simple, branch-free.
The adjoint (backward_input) is the same correlation run over gy placed on that grid, with the
kernel flipped; backward_weight is a set of dot products of the same spans. No im2col matrix is built.

Every read stays inside its plane: the largest index is base[k] + start + (A-1)·ra + (B-1)·rb,
at most (plane start) + Hc·Wc - 1 for x's canvas and + M + Hc·Wc - 1 for gy's grid (checked under
NUMBA_BOUNDSCHECK=1 by tests/kernels/boundscheck_run.py).

Three taps and four outputs per sweep (in `corr_dense`: 12 FMAs per 7 loads and 4 stores) keep
the loops from being bound by memory traffic; all loops vectorise. `fastmath` only allows fused
multiply-add ('contract') and, in the weight gradients, a reordered sum ('reassoc') so the dot
products vectorise; no nan/inf assumptions are made.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

from .geometry import ConvGeometry

CONTRACT = {"contract"}
REDUCE = {"contract", "reassoc"}
TILE = 2048  # positions computed per span: 4 accumulator rows of it fit in L1
LONG_ROW = 256  # an output row this long gets a span of its own when stride > 1 leaves gaps between rows
SERIAL_WORK = 250_000  # multiply-adds below which one thread beats waking the others (and waiting for them)
WGRAD_CHUNKS = 8  # samples are split in at most this many chunks: fixed, so results do not depend on threads


class Canvas(NamedTuple):
    Hc: int  # canvas rows:    (P-1)·sh + (kh-1)·dh + 1  (the padded rows that any output reads)
    Wc: int  # canvas columns: ·sw + (kw-1)·dw + 1
    M: int  # largest tap offset (kh-1)·dh·Wc + (kw-1)·dw
    Lx: int  # length of a canvas plane: Hc·Wc
    Lg: int  # length of a gy grid plane: M leading zeros (so that u - tap >= 0), then Hc·Wc
    taps: np.ndarray  # (kh·kw,) int64 offsets i·dh·Wc + j·dw, row-major over (i, j)
    x_box: tuple  # (lead, A, B): x[h, w] sits at lead + h·Wc + w for h < A, w < B


def canvas(g: ConvGeometry) -> Canvas:
    (H, W), (kh, kw), (sh, sw), (dh, dw), (pt, _, pl, _), (P, Q) = g
    Hc, Wc = (P - 1) * sh + (kh - 1) * dh + 1, (Q - 1) * sw + (kw - 1) * dw + 1
    M = (kh - 1) * dh * Wc + (kw - 1) * dw
    taps = (np.arange(kh)[:, None] * (dh * Wc) + np.arange(kw)[None, :] * dw).ravel().astype(np.int64)
    # rows/columns of x beyond the canvas are never read (floor mode drops them)
    box = (pt * Wc + pl, max(0, min(H, Hc - pt)), max(0, min(W, Wc - pl)))
    return Canvas(Hc, Wc, M, Hc * Wc, Hc * Wc + M, taps, box)


def padded_rows(wk: np.ndarray) -> np.ndarray:
    """(O, K) -> (4·ceil(O/4), K) C-contiguous, zero rows appended: corr_dense works on 4 outputs at once."""
    out = np.zeros((-(-wk.shape[0] // 4) * 4, wk.shape[1]), wk.dtype)
    out[:wk.shape[0]] = wk
    return out


def wgrad_chunks(N: int) -> int:
    return min(N, WGRAD_CHUNKS)


@contextmanager
def threads_for(work: int):
    """Run the kernels inside on one thread when the problem is small (work = multiply-adds).

    A parallel launch costs tens of microseconds, and milliseconds when another process holds the
    cores, which dominates tiny problems (gradient checks call the kernels thousands of times).
    numba.set_num_threads only affects the calling thread, and the old value is put back.
    """
    if work >= SERIAL_WORK:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


@njit(parallel=True, cache=True)
def place(src, length, lead, ra, rb, A, B):
    """dst[n, c, lead + a·ra + b·rb] = src[n, c, a, b] for a < A, b < B; every other dst entry is 0.

    (N, C, H, W) -> (N, C, length): builds x's canvas (ra = Wc, rb = 1) and gy's grid (ra = sh·Wc, rb = sw).
    """
    N, C = src.shape[0], src.shape[1]
    dst = np.empty((N, C, length), src.dtype)
    for nc in prange(N * C):  # iteration (n, c) writes only dst[n, c]
        n, c = nc // C, nc % C
        row = dst[n, c]
        row[:] = 0
        for a in range(A):
            seg = row[lead + a * ra:]
            line = src[n, c, a]
            for b in range(B):
                seg[b * rb] = line[b]
    return dst


@njit(cache=True)
def rows_per_span(ra, rb, B):
    """How many output rows one span covers: up to TILE positions of consecutive rows, or one row when
    rows lie far apart (stride > 1) and are long; short rows (< LONG_ROW) are not worth a loop of their
    own (the vectorised loop would be mostly set-up), so the rows between them are computed too."""
    extent = (B - 1) * rb + 1
    if ra >= 2 * extent and extent >= LONG_ROW:
        return 1
    return max(1, TILE // ra)


@njit(parallel=True, cache=True, fastmath=CONTRACT)
def corr_dense(src, wk, base, out, start, ra, rb, A, B):
    """out[n, o, a, b] = acc[n, o, start + a·ra + b·rb]  (a < A, b < B; the rest of out is left alone), where
    acc[n, o, u] = Σ_k wk[o, k] · src[n, base[k] + u].

    src (N, S) flat planes; wk (4·ceil(O/4), K) with zero rows past O; base (K,); out (N, O, A', B').
    """
    N, O, K = src.shape[0], out.shape[1], wk.shape[1]
    nob = wk.shape[0] // 4
    if A <= 0 or B <= 0:
        return
    rows = rows_per_span(ra, rb, B)
    width = (min(rows, A) - 1) * ra + (B - 1) * rb + 1  # the longest span
    for blk in prange(N * nob):  # iteration (n, ob) writes only out[n, 4·ob : 4·ob + 4]
        n, o0 = blk // nob, (blk % nob) * 4
        s = src[n]
        acc = np.empty((4, width), src.dtype)  # (4 outputs, one span)
        w0, w1, w2, w3 = wk[o0], wk[o0 + 1], wk[o0 + 2], wk[o0 + 3]
        for a_lo in range(0, A, rows):
            a_hi = min(A, a_lo + rows)
            u0, L = start + a_lo * ra, (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1  # span [u0, u0 + L)
            r0, r1, r2, r3 = acc[0, :L], acc[1, :L], acc[2, :L], acc[3, :L]
            acc[:, :L] = 0
            k = 0
            while k + 3 <= K:  # three taps per sweep over the span
                x0 = s[base[k] + u0:base[k] + u0 + L]
                x1 = s[base[k + 1] + u0:base[k + 1] + u0 + L]
                x2 = s[base[k + 2] + u0:base[k + 2] + u0 + L]
                c00, c01, c02 = w0[k], w0[k + 1], w0[k + 2]
                c10, c11, c12 = w1[k], w1[k + 1], w1[k + 2]
                c20, c21, c22 = w2[k], w2[k + 1], w2[k + 2]
                c30, c31, c32 = w3[k], w3[k + 1], w3[k + 2]
                for u in range(L):
                    v0, v1, v2 = x0[u], x1[u], x2[u]
                    r0[u] += c00 * v0 + c01 * v1 + c02 * v2
                    r1[u] += c10 * v0 + c11 * v1 + c12 * v2
                    r2[u] += c20 * v0 + c21 * v1 + c22 * v2
                    r3[u] += c30 * v0 + c31 * v1 + c32 * v2
                k += 3
            while k < K:  # the last one or two taps
                x0 = s[base[k] + u0:base[k] + u0 + L]
                c0, c1, c2, c3 = w0[k], w1[k], w2[k], w3[k]
                for u in range(L):
                    v0 = x0[u]
                    r0[u] += c0 * v0
                    r1[u] += c1 * v0
                    r2[u] += c2 * v0
                    r3[u] += c3 * v0
                k += 1
            for r in range(min(4, O - o0)):
                for a in range(a_lo, a_hi):
                    line = acc[r, (a - a_lo) * ra:]
                    for b in range(B):
                        out[n, o0 + r, a, b] = line[b * rb]


@njit(parallel=True, cache=True, fastmath=CONTRACT)
def corr_grouped(src, wk, base, gstride, og, out, start, ra, rb, A, B):
    """As corr_dense, but output channel o reads only its group's planes (depthwise: og = m outputs
    per input channel):  acc[n, o, u] = Σ_k wk[o, k] · src[n, (o // og)·gstride + base[k] + u]."""
    N, NO, K = src.shape[0], wk.shape[0], wk.shape[1]
    if A <= 0 or B <= 0:
        return
    rows = rows_per_span(ra, rb, B)
    width = (min(rows, A) - 1) * ra + (B - 1) * rb + 1
    for blk in prange(N * NO):  # iteration (n, o) writes only out[n, o]
        n, o = blk // NO, blk % NO
        s = src[n, (o // og) * gstride:]
        wr = wk[o]
        acc = np.empty(width, src.dtype)
        for a_lo in range(0, A, rows):
            a_hi = min(A, a_lo + rows)
            u0, L = start + a_lo * ra, (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1
            r0 = acc[:L]
            r0[:] = 0
            k = 0
            while k + 3 <= K:
                x0 = s[base[k] + u0:base[k] + u0 + L]
                x1 = s[base[k + 1] + u0:base[k + 1] + u0 + L]
                x2 = s[base[k + 2] + u0:base[k + 2] + u0 + L]
                c0, c1, c2 = wr[k], wr[k + 1], wr[k + 2]
                for u in range(L):
                    r0[u] += c0 * x0[u] + c1 * x1[u] + c2 * x2[u]
                k += 3
            while k < K:
                x0 = s[base[k] + u0:base[k] + u0 + L]
                c0 = wr[k]
                for u in range(L):
                    r0[u] += c0 * x0[u]
                k += 1
            for a in range(a_lo, a_hi):
                line = acc[(a - a_lo) * ra:]
                for b in range(B):
                    out[n, o, a, b] = line[b * rb]


@njit(parallel=True, cache=True, fastmath=REDUCE)
def wgrad_dense(g, g0, src, base, start, ra, rb, A, B, nchunks):
    """gw[o, k] = Σ_n Σ_{a<A, b<B} g[n, o, g0 + u] · src[n, base[k] + u],  u = start + a·ra + b·rb
    (summed over whole spans of output rows; g is zero between the outputs)   g (N, O, Lg), src (N, S) -> (O, K)

    Samples are split in `nchunks` contiguous chunks with one partial gw each, summed in a fixed order.
    """
    N, O, K = g.shape[0], g.shape[1], base.shape[0]
    part = np.zeros((nchunks, O, K), src.dtype)
    zero = np.zeros(1, src.dtype)[0]
    rows = rows_per_span(ra, rb, B)
    for ch in prange(nchunks):  # iteration ch writes only part[ch] (its own samples)
        t = np.empty((4, 3), src.dtype)  # the 12 dot products of one sweep
        for n in range(ch * N // nchunks, (ch + 1) * N // nchunks):
            s = src[n]
            for a_lo in range(0, A, rows):
                a_hi = min(A, a_lo + rows)
                u0, L = start + a_lo * ra, (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1
                for o0 in range(0, O, 4):  # 4 outputs x 3 taps per sweep; rows past O repeat O-1, unused
                    y0 = g[n, o0, g0 + u0:g0 + u0 + L]
                    y1 = g[n, min(o0 + 1, O - 1), g0 + u0:g0 + u0 + L]
                    y2 = g[n, min(o0 + 2, O - 1), g0 + u0:g0 + u0 + L]
                    y3 = g[n, min(o0 + 3, O - 1), g0 + u0:g0 + u0 + L]
                    nr = min(4, O - o0)
                    k = 0
                    while k < K:
                        nk = min(3, K - k)  # taps past K repeat tap k, unused
                        b0, b1, b2 = base[k] + u0, base[k + min(1, nk - 1)] + u0, base[k + nk - 1] + u0
                        x0, x1, x2 = s[b0:b0 + L], s[b1:b1 + L], s[b2:b2 + L]
                        s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = s30 = s31 = s32 = zero
                        for u in range(L):
                            v0, v1, v2 = x0[u], x1[u], x2[u]
                            e0, e1, e2, e3 = y0[u], y1[u], y2[u], y3[u]
                            s00 += e0 * v0
                            s01 += e0 * v1
                            s02 += e0 * v2
                            s10 += e1 * v0
                            s11 += e1 * v1
                            s12 += e1 * v2
                            s20 += e2 * v0
                            s21 += e2 * v1
                            s22 += e2 * v2
                            s30 += e3 * v0
                            s31 += e3 * v1
                            s32 += e3 * v2
                        t[0, 0], t[0, 1], t[0, 2] = s00, s01, s02
                        t[1, 0], t[1, 1], t[1, 2] = s10, s11, s12
                        t[2, 0], t[2, 1], t[2, 2] = s20, s21, s22
                        t[3, 0], t[3, 1], t[3, 2] = s30, s31, s32
                        for r in range(nr):
                            for dk in range(nk):
                                part[ch, o0 + r, k + dk] += t[r, dk]
                        k += nk
    gw = np.zeros((O, K), src.dtype)
    for ch in range(nchunks):
        gw += part[ch]
    return gw


@njit(parallel=True, cache=True, fastmath=REDUCE)
def wgrad_grouped(g, g0, src, base, gstride, og, start, ra, rb, A, B):
    """gw[o, k] = Σ_n Σ_{a<A, b<B} g[n, o, g0 + u] · src[n, (o // og)·gstride + base[k] + u]   -> (O, K)"""
    N, O, K = g.shape[0], g.shape[1], base.shape[0]
    gw = np.zeros((O, K), src.dtype)
    zero = np.zeros(1, src.dtype)[0]
    rows = rows_per_span(ra, rb, B)
    for o in prange(O):  # iteration o writes only gw[o]
        for n in range(N):
            s = src[n, (o // og) * gstride:]
            for a_lo in range(0, A, rows):
                a_hi = min(A, a_lo + rows)
                u0, L = start + a_lo * ra, (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1
                e = g[n, o, g0 + u0:g0 + u0 + L]
                k = 0
                while k < K:
                    nk = min(3, K - k)  # taps past K repeat tap k, unused
                    b0, b1, b2 = base[k] + u0, base[k + min(1, nk - 1)] + u0, base[k + nk - 1] + u0
                    x0, x1, x2 = s[b0:b0 + L], s[b1:b1 + L], s[b2:b2 + L]
                    s0 = s1 = s2 = zero
                    for u in range(L):
                        s0 += e[u] * x0[u]
                        s1 += e[u] * x1[u]
                        s2 += e[u] * x2[u]
                    gw[o, k] += s0
                    if nk > 1:
                        gw[o, k + 1] += s1
                    if nk > 2:
                        gw[o, k + 2] += s2
                    k += nk
    return gw
