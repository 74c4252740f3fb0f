"""Jitted correlations of the dense (standard and pointwise) convolution on the canvas of layout.py.

Every output channel reads every input plane, so the unit of work is a sample: its C planes are
placed on a canvas in a scratch buffer (in L2), then all outputs are computed from it. Small images
are stacked: `S = samples_per_canvas` samples share one canvas, channel c's planes side by side,

    cv[c·S·plane + s·plane + place.lead + a·place.ra + b·place.rb] = src[n0 + s, c, a, b]

so that a tap is still one shift, base[k] = c·S·plane + taps[t] (k = c·T + t), and the span of
output positions runs through all S samples at once: u = s·plane + read.lead + a·ra + b·rb. A 7x7
image alone gives loops of 61 positions; 25 of them give ~2000. Reads stay inside each sample's
own plane (layout.py's bound), so what lies between the samples is computed and never used.

plane = 0 means src's planes are their own canvas (pointwise on large images): no copy, S = 1.
Three taps and four outputs per sweep (12 FMAs per 7 loads and 4 stores) keep the loops from being
bound by memory traffic; all loops vectorise.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..threads import chunked_sum, parallel_jobs, thread_count
from .layout import CONTRACT, REDUCE, TILE, put_plane, rows_per_span, span, take_row, tap_bases


class Tiling(NamedTuple):
    """How a dense kernel lays samples on its canvas and cuts its outputs in spans and jobs."""
    plane: int  # entries per sample plane on the canvas (0: src's planes used in place)
    S: int  # samples stacked on one canvas
    cstride: int  # distance between two channels' planes on the canvas: S·plane (Hs·Ws in place)
    rows: int  # output rows per span
    width: int  # the longest span
    nseg: int  # parts the outputs of one canvas are split in (a job each)


@njit(cache=True)
def samples_per_canvas(plane, span):
    """How many samples share one canvas (one after the other, `plane` apart): as many as fit in TILE
    positions, so that small images (7x7: a span of 61) still give long loops; 1 when one sample's
    span is already long, or when the planes are used in place (plane = 0)."""
    if plane == 0 or 2 * span > TILE:
        return 1
    return 1 + (TILE - span) // plane


def _tiling(src, plane: int, read, nseg: int = 1) -> Tiling:
    S = samples_per_canvas(plane, span(read))
    cstride = S * plane if plane > 0 else src.shape[2] * src.shape[3]
    rows = read.A if S > 1 else rows_per_span(read)  # stacked samples: one span covers them all
    width = (S - 1) * plane + (min(rows, read.A) - 1) * read.ra + (read.B - 1) * read.rb + 1
    return Tiling(plane, S, cstride, rows, width, nseg)


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _corr_dense_job(src, wk, base, out, place, read, tiling, it):
    """Job it = (canvas grp = it // nseg, segment seg = it % nseg) of corr_dense: writes only
    out[n0 : n0+ns, 4·ob : 4·ob+4] for the ob of segment seg."""
    plane, S, cstride, rows, width, nseg = tiling
    start, ra, rb, A, B = read
    N, C, O, K = src.shape[0], src.shape[1], out.shape[1], wk.shape[1]
    nob = wk.shape[0] // 4
    grp, seg = it // nseg, it % nseg
    n0 = grp * S
    ns = min(S, N - n0)
    if plane == 0:
        cv = src[n0].reshape(src[n0].size)  # (C·Hs·Ws,) the planes themselves
    else:
        cv = np.zeros(C * cstride, src.dtype)  # (C, S·plane) canvas, padding zero
        for c in range(C):
            for s in range(ns):
                put_plane(cv, c * cstride + s * plane, src[n0 + s, c], place)
    acc = np.empty((4, width), src.dtype)  # (4 outputs, one span)
    for ob in range(seg * nob // nseg, (seg + 1) * nob // nseg):
        o0 = 4 * ob
        wo0, wo1, wo2, wo3 = wk[o0], wk[o0 + 1], wk[o0 + 2], wk[o0 + 3]  # (K,) the taps of outputs o0..o0+3
        for a_lo in range(0, A, rows):
            a_hi = min(A, a_lo + rows)
            u0 = start + a_lo * ra
            L = (ns - 1) * plane + (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1  # span [u0, u0 + L)
            out0, out1, out2, out3 = acc[0, :L], acc[1, :L], acc[2, :L], acc[3, :L]
            acc[:, :L] = 0
            k = 0
            # out[n0+s, o0+r, a, b] = out_r[u] for u = s·plane + (a-a_lo)·ra + b·rb, where
            # out_r[u] = Σ_k wk[o0+r, k]·cv[base[k] + u0 + u]
            while k + 3 <= K:  # three taps per sweep over the span; wrd = wk[o0 + r, k + d]
                cv0 = cv[base[k] + u0:base[k] + u0 + L]  # cvd = the canvas shifted by tap k + d
                cv1 = cv[base[k + 1] + u0:base[k + 1] + u0 + L]
                cv2 = cv[base[k + 2] + u0:base[k + 2] + u0 + L]
                w00, w01, w02 = wo0[k], wo0[k + 1], wo0[k + 2]
                w10, w11, w12 = wo1[k], wo1[k + 1], wo1[k + 2]
                w20, w21, w22 = wo2[k], wo2[k + 1], wo2[k + 2]
                w30, w31, w32 = wo3[k], wo3[k + 1], wo3[k + 2]
                for u in range(L):
                    v0, v1, v2 = cv0[u], cv1[u], cv2[u]
                    out0[u] += w00 * v0 + w01 * v1 + w02 * v2
                    out1[u] += w10 * v0 + w11 * v1 + w12 * v2
                    out2[u] += w20 * v0 + w21 * v1 + w22 * v2
                    out3[u] += w30 * v0 + w31 * v1 + w32 * v2
                k += 3
            while k < K:  # the last one or two taps
                cv0 = cv[base[k] + u0:base[k] + u0 + L]
                w0, w1, w2, w3 = wo0[k], wo1[k], wo2[k], wo3[k]
                for u in range(L):
                    v0 = cv0[u]
                    out0[u] += w0 * v0
                    out1[u] += w1 * v0
                    out2[u] += w2 * v0
                    out3[u] += w3 * v0
                k += 1
            for r in range(min(4, O - o0)):  # span -> output rows (n0 + s, o0 + r, a, :)
                for s in range(ns):
                    for a in range(a_lo, a_hi):
                        take_row(out[n0 + s, o0 + r, a], acc[r, s * plane + (a - a_lo) * ra:], B, rb)


@njit(cache=True, nogil=True)
def _corr_dense_jobs(src, wk, base, out, place, read, tiling, it_lo, it_hi):
    """Jobs it_lo <= it < it_hi of corr_dense."""
    for it in range(it_lo, it_hi):
        _corr_dense_job(src, wk, base, out, place, read, tiling, it)


def corr_dense(src, wk, taps, out, place, read, plane, work):
    """out[n, o, a, b] = Σ_k wk[o, k] · cv[base[k] + s·plane + read.lead + a·read.ra + b·read.rb]   (n = n0 + s)

    src (N, C, Hs, Ws), each plane put on the `place` grid of its slot of the canvas; wk (O, C·T);
    taps (T,); out (N, O, A', B'), only out[:, :O, :A, :B] of read's A, B written. The outputs of one
    canvas are split in parts when there are fewer canvases than twice the threads.
    """
    N, (O, K) = src.shape[0], wk.shape
    if read.A <= 0 or read.B <= 0 or N == 0:
        return
    w4 = np.zeros((-(-O // 4) * 4, K), wk.dtype)  # (4·ceil(O/4), K): 4 outputs per sweep, zero rows past O
    w4[:O] = wk
    tiling = _tiling(src, plane, read)
    groups = -(-N // tiling.S)  # canvases
    segments = max(1, -(-2 * thread_count(work) // max(groups, 1)))
    tiling = tiling._replace(nseg=max(1, min(segments, w4.shape[0] // 4)))
    base = tap_bases(taps, K, tiling.cstride)  # (C·T,)
    parallel_jobs(_corr_dense_jobs, groups * tiling.nseg, src, w4, base, out, place, read, tiling, work=work)


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _wgrad_dense_chunk(x, gy, base, place, read, tiling, gw, n_lo, n_end):
    """wgrad_dense's job: samples n_lo <= n < n_end, summed into gw (O, K)."""
    plane, S, cstride, rows, _, _ = tiling
    _, ra, rb, P, Q = read
    C, O, K = x.shape[1], gy.shape[1], base.shape[0]
    on_grid = plane == 0  # then ra = Q, rb = 1 (pointwise): gy's planes are their own grid
    zero = np.zeros(1, x.dtype)[0]
    t = np.empty((4, 3), x.dtype)  # the 12 dot products of one sweep
    cvs = np.zeros(0 if on_grid else C * cstride, x.dtype)  # (C, S·plane) canvas, reused
    gys = np.zeros(0 if on_grid else O * cstride, x.dtype)  # (O, S·plane) grid of gy, reused
    for n0 in range(n_lo, n_end, S):
        ns = min(S, n_end - n0)
        if on_grid:
            cv = x[n0].reshape(x[n0].size)  # (C·H·W,)
            gy_grid = gy[n0].reshape(O, P * Q)  # (O, P·Q)
        else:
            for s in range(ns):
                for c in range(C):
                    put_plane(cvs, c * cstride + s * plane, x[n0 + s, c], place)
                for o in range(O):
                    put_plane(gys, o * cstride + s * plane, gy[n0 + s, o], read)
            cv, gy_grid = cvs, gys.reshape(O, cstride)
        for a_lo in range(0, P, rows):
            a_hi = min(P, a_lo + rows)
            u0 = a_lo * ra
            L = (ns - 1) * plane + (a_hi - 1 - a_lo) * ra + (Q - 1) * rb + 1  # span [u0, u0 + L)
            for o0 in range(0, O, 4):  # 4 outputs x 3 taps per sweep; rows past O repeat O-1, unused
                gy0 = gy_grid[o0, u0:u0 + L]
                gy1 = gy_grid[min(o0 + 1, O - 1), u0:u0 + L]
                gy2 = gy_grid[min(o0 + 2, O - 1), u0:u0 + L]
                gy3 = gy_grid[min(o0 + 3, O - 1), u0:u0 + L]
                nr = min(4, O - o0)
                k = 0
                # gw[o0+r, k+d] += Σ_u gy_r[u]·cv[base[k+d] + u0 + u]   (k + d = c·T + t: tap t of channel c)
                while k < K:
                    nk = min(3, K - k)  # taps past K repeat tap k, unused
                    b0, b1, b2 = base[k] + u0, base[k + min(1, nk - 1)] + u0, base[k + nk - 1] + u0
                    xt0, xt1, xt2 = cv[b0:b0 + L], cv[b1:b1 + L], cv[b2:b2 + L]  # x under taps k, k+1, k+2
                    gw00 = gw01 = gw02 = gw10 = gw11 = gw12 = gw20 = gw21 = gw22 = gw30 = gw31 = gw32 = zero
                    for u in range(L):  # gwrd: output o0 + r, tap k + d
                        v0, v1, v2 = xt0[u], xt1[u], xt2[u]
                        g0, g1, g2, g3 = gy0[u], gy1[u], gy2[u], gy3[u]
                        gw00, gw01, gw02 = gw00 + g0 * v0, gw01 + g0 * v1, gw02 + g0 * v2
                        gw10, gw11, gw12 = gw10 + g1 * v0, gw11 + g1 * v1, gw12 + g1 * v2
                        gw20, gw21, gw22 = gw20 + g2 * v0, gw21 + g2 * v1, gw22 + g2 * v2
                        gw30, gw31, gw32 = gw30 + g3 * v0, gw31 + g3 * v1, gw32 + g3 * v2
                    t[0, 0], t[0, 1], t[0, 2] = gw00, gw01, gw02
                    t[1, 0], t[1, 1], t[1, 2] = gw10, gw11, gw12
                    t[2, 0], t[2, 1], t[2, 2] = gw20, gw21, gw22
                    t[3, 0], t[3, 1], t[3, 2] = gw30, gw31, gw32
                    for r in range(nr):
                        for d in range(nk):
                            gw[o0 + r, k + d] += t[r, d]
                    k += nk


def wgrad_dense(x, gy, taps, place, read, plane, work):
    """gw[o, k] = Σ_n Σ_{a<P, b<Q} gy[n, o, a, b] · cv[base[k] + s·plane + a·read.ra + b·read.rb]   -> (O, C·T)

    x (N, C, H, W) on the canvas cv as in corr_dense (plane = 0: x's planes used in place); gy
    (N, O, P, Q) put on the read grid (lead 0) of its own canvas, zeros between, so each (o, k) is a
    dot product over whole spans; threads.chunked_sum sums the samples in a fixed order.
    """
    tiling = _tiling(x, plane, read)
    base = tap_bases(taps, x.shape[1] * taps.shape[0], tiling.cstride)  # (C·T,) (c, tap) pairs
    shape = (gy.shape[1], base.shape[0])  # (O, C·T)
    return chunked_sum(_wgrad_dense_chunk, x.shape[0], shape, x.dtype, x, gy, base, place, read, tiling,
                       work=work)
