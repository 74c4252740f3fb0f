"""Jitted kernels of the dense (standard and pointwise) convolution on the wide canvas of core.py.

Every output channel reads every input plane, so the unit of work is a sample: its C planes are
placed on a canvas in a scratch buffer (in L2), then all outputs are computed from it. Small images
are stacked: `S = samples_per_canvas` samples share one canvas, channel c's planes side by side,

    cv[c·S·plane + s·plane + lead + a·pra + b·prb] = src[n0 + s, c, a, b]     (s < S, a < PA, b < PB)

so that a tap is still one shift, base[k] = c·S·plane + taps[t] (k = c·T + t), and the span of
output positions runs through all S samples at once: u = s·plane + start + a·ra + b·rb. A 7x7
image alone gives loops of 61 positions; 25 of them give ~2000. Reads stay inside each sample's
own plane (core.py's bound), so what lies between the samples is computed and never used.

plane = 0 means src's planes are their own canvas (pointwise on large images): no copy, S = 1.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .core import CONTRACT, REDUCE, place, rows_per_span, samples_per_canvas, segments, take_row, tap_bases
from .threads import parallel_jobs


def out_segments(N: int, plane: int, A: int, B: int, ra: int, rb: int) -> int:
    """corr_dense's `segments` argument: split the outputs of a canvas only when there are fewer
    canvases (groups of stacked samples) than twice the threads."""
    S = samples_per_canvas(plane, (A - 1) * ra + (B - 1) * rb + 1)
    return segments(-(-N // S))


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _corr_dense_job(src, lead, pra, prb, PA, PB, plane, wk, base, out, start, ra, rb, A, B,
                    S, cstride, rows, width, grp, seg, nseg):
    """corr_dense for one canvas (samples grp·S ..) and one segment of its outputs: writes only
    out[n0 : n0+ns, 4·ob : 4·ob+4] for the ob of segment seg."""
    N, C, O, K = src.shape[0], src.shape[1], out.shape[1], wk.shape[1]
    nob = wk.shape[0] // 4
    n0 = grp * S
    ns = min(S, N - n0)
    if plane == 0:
        cv = src[n0].reshape(src[n0].size)  # (C·Hs·Ws,) the planes themselves
    else:
        cv = np.zeros(C * cstride, src.dtype)  # (C, S·plane) canvas, padding zero
        for c in range(C):
            for s in range(ns):
                place(cv, c * cstride + s * plane, src[n0 + s, c], lead, pra, prb, PA, PB)
    acc = np.empty((4, width), src.dtype)  # (4 outputs, one span)
    for ob in range(seg * nob // nseg, (seg + 1) * nob // nseg):
        o0 = 4 * ob
        w0, w1, w2, w3 = wk[o0], wk[o0 + 1], wk[o0 + 2], wk[o0 + 3]
        for a_lo in range(0, A, rows):
            a_hi = min(A, a_lo + rows)
            u0 = start + a_lo * ra
            L = (ns - 1) * plane + (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1  # span [u0, u0 + L)
            r0, r1, r2, r3 = acc[0, :L], acc[1, :L], acc[2, :L], acc[3, :L]
            acc[:, :L] = 0
            k = 0
            while k + 3 <= K:  # three taps per sweep over the span
                x0 = cv[base[k] + u0:base[k] + u0 + L]
                x1 = cv[base[k + 1] + u0:base[k + 1] + u0 + L]
                x2 = cv[base[k + 2] + u0:base[k + 2] + u0 + L]
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
                x0 = cv[base[k] + u0:base[k] + u0 + L]
                c0, c1, c2, c3 = w0[k], w1[k], w2[k], w3[k]
                for u in range(L):
                    v0 = x0[u]
                    r0[u] += c0 * v0
                    r1[u] += c1 * v0
                    r2[u] += c2 * v0
                    r3[u] += c3 * v0
                k += 1
            for r in range(min(4, O - o0)):  # span -> output rows (n0 + s, o0 + r, a, :)
                for s in range(ns):
                    for a in range(a_lo, a_hi):
                        take_row(out[n0 + s, o0 + r, a], acc[r, s * plane + (a - a_lo) * ra:], B, rb)


@njit(cache=True, nogil=True)
def _corr_dense_jobs(src, lead, pra, prb, PA, PB, plane, wk, base, out, start, ra, rb, A, B,
                     S, cstride, rows, width, nseg, it_lo, it_hi):
    """Jobs it_lo <= it < it_hi of corr_dense: job it = (canvas it // nseg, segment it % nseg)."""
    for it in range(it_lo, it_hi):
        _corr_dense_job(src, lead, pra, prb, PA, PB, plane, wk, base, out, start, ra, rb, A, B,
                        S, cstride, rows, width, it // nseg, it % nseg, nseg)


def corr_dense(src, lead, pra, prb, PA, PB, plane, wk, taps, out, start, ra, rb, A, B, segments):
    """out[n, o, a, b] = Σ_k wk[o, k] · cv[base[k] + s·plane + start + a·ra + b·rb]   (n = n0 + s; a < A, b < B)

    src (N, C, Hs, Ws); wk (4·ceil(O/4), C·T) with zero rows past O; taps (T,); out (N, O, A', B'),
    only out[:, :O, :A, :B] written. The outputs of one canvas are split in `segments` parts.
    """
    N, K = src.shape[0], wk.shape[1]
    nob = wk.shape[0] // 4
    if A <= 0 or B <= 0 or N == 0:
        return
    span = (A - 1) * ra + (B - 1) * rb + 1  # the output positions of one sample
    S = samples_per_canvas(plane, span)
    cstride = S * plane if plane > 0 else src.shape[2] * src.shape[3]
    base = tap_bases(taps, K, cstride)
    rows = A if S > 1 else rows_per_span(ra, rb, B)  # stacked samples: one span covers them all
    width = (S - 1) * plane + (min(rows, A) - 1) * ra + (B - 1) * rb + 1  # the longest span
    groups = -(-N // S)
    nseg = max(1, min(segments, nob))
    parallel_jobs(_corr_dense_jobs, groups * nseg, src, lead, pra, prb, PA, PB, plane, wk, base, out, start,
                  ra, rb, A, B, S, cstride, rows, width, nseg)


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _wgrad_dense_chunk(x, gy, lead, Wc, PA, PB, plane, base, ra, rb, S, cstride, rows, pc, n_lo, n_end):
    """wgrad_dense's parallel-loop body: samples n_lo <= n < n_end, summed into pc (O, K)."""
    C, O, K = x.shape[1], gy.shape[1], base.shape[0]
    P, Q = gy.shape[2], gy.shape[3]
    on_grid = plane == 0  # then ra = Q, rb = 1 (pointwise): gy's planes are their own grid
    zero = np.zeros(1, x.dtype)[0]
    t = np.empty((4, 3), x.dtype)  # the 12 dot products of one sweep
    cvs = np.zeros(0 if on_grid else C * cstride, x.dtype)  # (C, S·plane) canvas, reused
    es = np.zeros(0 if on_grid else O * cstride, x.dtype)  # (O, S·plane) grid of gy, reused
    for n0 in range(n_lo, n_end, S):
        ns = min(S, n_end - n0)
        if on_grid:
            cv = x[n0].reshape(x[n0].size)  # (C·H·W,)
            g = gy[n0].reshape(O, P * Q)  # (O, P·Q)
        else:
            for s in range(ns):
                for c in range(C):
                    place(cvs, c * cstride + s * plane, x[n0 + s, c], lead, Wc, 1, PA, PB)
                for o in range(O):
                    place(es, o * cstride + s * plane, gy[n0 + s, o], 0, ra, rb, P, Q)
            cv, g = cvs, es.reshape(O, cstride)
        for a_lo in range(0, P, rows):
            a_hi = min(P, a_lo + rows)
            u0 = a_lo * ra
            L = (ns - 1) * plane + (a_hi - 1 - a_lo) * ra + (Q - 1) * rb + 1  # span [u0, u0 + L)
            for o0 in range(0, O, 4):  # 4 outputs x 3 taps per sweep; rows past O repeat O-1, unused
                y0 = g[o0, u0:u0 + L]
                y1 = g[min(o0 + 1, O - 1), u0:u0 + L]
                y2 = g[min(o0 + 2, O - 1), u0:u0 + L]
                y3 = g[min(o0 + 3, O - 1), u0:u0 + L]
                nr = min(4, O - o0)
                k = 0
                while k < K:
                    nk = min(3, K - k)  # taps past K repeat tap k, unused
                    b0, b1, b2 = base[k] + u0, base[k + min(1, nk - 1)] + u0, base[k + nk - 1] + u0
                    x0, x1, x2 = cv[b0:b0 + L], cv[b1:b1 + L], cv[b2:b2 + L]
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
                            pc[o0 + r, k + dk] += t[r, dk]
                    k += nk


@njit(cache=True, nogil=True)
def _wgrad_dense_jobs(x, gy, lead, Wc, PA, PB, plane, base, ra, rb, S, cstride, rows, part, ch_lo, ch_hi):
    """Chunks ch_lo <= ch < ch_hi of wgrad_dense: chunk ch sums its samples into part[ch] only."""
    N, nchunks = x.shape[0], part.shape[0]
    for ch in range(ch_lo, ch_hi):
        _wgrad_dense_chunk(x, gy, lead, Wc, PA, PB, plane, base, ra, rb, S, cstride, rows, part[ch],
                           ch * N // nchunks, (ch + 1) * N // nchunks)


def wgrad_dense(x, gy, lead, Wc, PA, PB, plane, taps, ra, rb, nchunks):
    """gw[o, k] = Σ_n Σ_{a<P, b<Q} gy[n, o, a, b] · cv[base[k] + s·plane + a·ra + b·rb]        -> (O, C·T)

    x (N, C, H, W) on the canvas cv as in corr_dense (x[h, w] at lead + h·Wc + w of its plane; plane = 0:
    x's planes used in place); gy (N, O, P, Q) on the matching grid e[o, s·plane + a·ra + b·rb], zeros
    between, so each (o, k) is a dot product over whole spans. Samples are split in `nchunks` fixed
    chunks with one partial gw each, summed in a fixed order: the result does not depend on the threads.
    """
    C, O = x.shape[1], gy.shape[1]
    P, Q = gy.shape[2], gy.shape[3]
    K = C * taps.shape[0]  # (c, tap) pairs
    span = (P - 1) * ra + (Q - 1) * rb + 1  # the output positions of one sample
    S = samples_per_canvas(plane, span)
    cstride = S * plane if plane > 0 else x.shape[2] * x.shape[3]
    base = tap_bases(taps, K, cstride)
    rows = P if S > 1 else rows_per_span(ra, rb, Q)
    part = np.zeros((nchunks, O, K), x.dtype)
    parallel_jobs(_wgrad_dense_jobs, nchunks, x, gy, lead, Wc, PA, PB, plane, base, ra, rb, S, cstride, rows, part)
    gw = np.zeros((O, K), x.dtype)
    for ch in range(nchunks):  # a fixed order: the result does not depend on the threads
        gw += part[ch]
    return gw
