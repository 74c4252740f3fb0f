"""Jitted correlations of the grouped (depthwise) convolution on the canvas of layout.py, one plane at
a time in a small scratch buffer instead of one big padded copy of the whole batch.

A depthwise output plane depends on one input plane only, so each (sample n, group c) is done start
to finish while its canvas sits in L1/L2: place the group's gin source planes on the canvas, then
run the correlation (or the weight-gradient dot products) on it. Memory traffic is x read once and
y written once, with no batch-sized padded copy (a 7 MB array for 64x32x28x28, written and read
again, fresh pages each call, as these kernels first did).

The planes are the jobs that threads.parallel_jobs hands to the threads; the scratch is allocated
once per slice of jobs, zeroed once, and reused: every plane writes the same canvas positions, so
the padding around them stays zero from plane to plane. Canvas of group c, gin planes `plane` apart:

    cv[s·plane + place.lead + a·place.ra + b·place.rb] = src[n, c·gin + s, a, b],   0 elsewhere

A sweep over a span applies nine taps (a whole 3x3 kernel: 9 loads and 1 store per position), then
threes, then the last one or two.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..threads import chunked_sum, parallel_jobs
from .layout import CONTRACT, REDUCE, put_plane, rows_per_span, span, take_row, tap_bases


@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _grouped_corr_jobs(src, wk, base, out, place, read, plane, nc_lo, nc_hi):
    """grouped_corr for the planes (n, c) with nc_lo <= n·G + c < nc_hi, with one scratch canvas:
    job (n, c) writes only out[n, c·gout : (c+1)·gout]."""
    G, gout, K = wk.shape[0], wk.shape[1], wk.shape[2]
    gin = src.shape[1] // G
    start, ra, rb, A, B = read
    rows = rows_per_span(read)
    cv = np.zeros(gin * plane, src.dtype)  # (gin planes of the canvas), padding stays 0
    acc = np.empty((min(rows, A) - 1) * ra + (B - 1) * rb + 1, src.dtype)  # (the longest span,)
    for nc in range(nc_lo, nc_hi):
        n, c = nc // G, nc % G
        for s in range(gin):
            put_plane(cv, s * plane, src[n, c * gin + s], place)
        for r in range(gout):
            o = c * gout + r
            wr = wk[c, r]  # (K,) the taps of output o
            for a_lo in range(0, A, rows):
                a_hi = min(A, a_lo + rows)
                u0, L = start + a_lo * ra, (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1  # span [u0, u0 + L)
                acc_o = acc[:L]
                acc_o[:] = 0
                k = 0
                # out[n, o, a, b] = acc_o[u] for u = (a - a_lo)·ra + b·rb: acc_o[u] = Σ_k wr[k]·cv[base[k] + u0 + u]
                while k + 9 <= K:  # nine taps per sweep (a 3x3 kernel: d = 3i + j is tap (i, j)): 9 loads, 1 store
                    cv0 = cv[base[k] + u0:base[k] + u0 + L]  # cvd = the canvas shifted by tap k + d
                    cv1 = cv[base[k + 1] + u0:base[k + 1] + u0 + L]
                    cv2 = cv[base[k + 2] + u0:base[k + 2] + u0 + L]
                    cv3 = cv[base[k + 3] + u0:base[k + 3] + u0 + L]
                    cv4 = cv[base[k + 4] + u0:base[k + 4] + u0 + L]
                    cv5 = cv[base[k + 5] + u0:base[k + 5] + u0 + L]
                    cv6 = cv[base[k + 6] + u0:base[k + 6] + u0 + L]
                    cv7 = cv[base[k + 7] + u0:base[k + 7] + u0 + L]
                    cv8 = cv[base[k + 8] + u0:base[k + 8] + u0 + L]
                    w0, w1, w2, w3, w4 = wr[k], wr[k + 1], wr[k + 2], wr[k + 3], wr[k + 4]
                    w5, w6, w7, w8 = wr[k + 5], wr[k + 6], wr[k + 7], wr[k + 8]
                    for u in range(L):
                        acc_o[u] += ((w0 * cv0[u] + w1 * cv1[u] + w2 * cv2[u])
                                     + (w3 * cv3[u] + w4 * cv4[u] + w5 * cv5[u])
                                     + (w6 * cv6[u] + w7 * cv7[u] + w8 * cv8[u]))
                    k += 9
                while k + 3 <= K:  # then three taps per sweep over the span
                    cv0 = cv[base[k] + u0:base[k] + u0 + L]
                    cv1 = cv[base[k + 1] + u0:base[k + 1] + u0 + L]
                    cv2 = cv[base[k + 2] + u0:base[k + 2] + u0 + L]
                    w0, w1, w2 = wr[k], wr[k + 1], wr[k + 2]
                    for u in range(L):
                        acc_o[u] += w0 * cv0[u] + w1 * cv1[u] + w2 * cv2[u]
                    k += 3
                while k < K:  # the last one or two taps
                    cv0 = cv[base[k] + u0:base[k] + u0 + L]
                    w0 = wr[k]
                    for u in range(L):
                        acc_o[u] += w0 * cv0[u]
                    k += 1
                for a in range(a_lo, a_hi):  # span -> output rows (a, 0..B-1)
                    take_row(out[n, o, a], acc[(a - a_lo) * ra:], B, rb)


def grouped_corr(src, wk, taps, out, place, read, plane, work):
    """out[n, c·gout + r, a, b] = Σ_k wk[c, r, k] · cv[base[k] + read.lead + a·read.ra + b·read.rb]

    src (N, G·gin, Hs, Ws), its planes placed on the `place` grid of the canvas of group c, gin planes
    `plane` apart; wk (G, gout, gin·T); base[s·T + t] = s·plane + taps[t] (tap t of plane s);
    out (N, G·gout, A', B'), only out[:, :, :A, :B] of read's A, B written. Jobs: the N·G planes (n, c).
    """
    N, G = src.shape[0], wk.shape[0]
    if read.A <= 0 or read.B <= 0 or N * G == 0:
        return
    base = tap_bases(taps, wk.shape[2], plane)  # (gin·T,)
    parallel_jobs(_grouped_corr_jobs, N * G, src, wk, base, out, place, read, plane, work=work)


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _grouped_wgrad_chunk(x, gy, taps, place, read, plane, gw, n_lo, n_hi):
    """grouped_wgrad's job: samples n_lo <= n < n_hi, summed into gw (O, T)."""
    C, O, T = x.shape[1], gy.shape[1], taps.shape[0]
    m = O // C
    L = span(read)  # the span of one output plane on the canvas
    zero = np.zeros(1, x.dtype)[0]
    cv = np.zeros(plane, x.dtype)  # (Hc·Wc) canvas of one x plane
    gy_grid = np.zeros(L, x.dtype)  # gy[n, o] on the output grid of the canvas, zeros between
    for n in range(n_lo, n_hi):
        for c in range(C):
            put_plane(cv, 0, x[n, c], place)
            for k in range(m):
                o = c * m + k
                put_plane(gy_grid, 0, gy[n, o], read)
                t = 0
                # gw[o, t] += Σ_u gy_grid[u]·cv[taps[t] + u], i.e. Σ_pq gy[n,o,p,q]·xp[n,c,p·sh+i·rh,q·sw+j·rw]
                while t < T:  # three taps per sweep: three dot products share the loads of gy_grid
                    nt = min(3, T - t)  # taps past T repeat tap t, unused
                    b0, b1, b2 = taps[t], taps[t + min(1, nt - 1)], taps[t + nt - 1]
                    xt0, xt1, xt2 = cv[b0:b0 + L], cv[b1:b1 + L], cv[b2:b2 + L]  # x under taps t, t+1, t+2
                    gw0 = gw1 = gw2 = zero
                    for u in range(L):
                        gw0 += gy_grid[u] * xt0[u]
                        gw1 += gy_grid[u] * xt1[u]
                        gw2 += gy_grid[u] * xt2[u]
                    gw[o, t] += gw0
                    if nt > 1:
                        gw[o, t + 1] += gw1
                    if nt > 2:
                        gw[o, t + 2] += gw2
                    t += nt


def grouped_wgrad(x, gy, taps, place, read, plane, work):
    """gw[c·m+k, t] = Σ_n Σ_{p<P, q<Q} gy[n, c·m+k, p, q] · cv[taps[t] + p·read.ra + q·read.rb]
    where cv is x[n, c] placed on the `place` grid of a canvas of `plane` entries (read.lead = 0).
                                                             x (N, C, H, W), gy (N, C·m, P, Q) -> (C·m, T)

    gy is placed on the read grid of its own scratch span (zeros between), so each tap is one dot
    product of two contiguous runs; threads.chunked_sum sums the samples in a fixed order.
    """
    shape = (gy.shape[1], taps.shape[0])  # (O, T)
    return chunked_sum(_grouped_wgrad_chunk, x.shape[0], shape, x.dtype, x, gy, taps, place, read, plane,
                       work=work)
