"""Jitted kernels of the grouped (depthwise) convolution: the wide canvas of core.py, built one plane
at a time in a small scratch buffer instead of one big padded copy of the whole batch.

A depthwise output plane depends on one input plane only, so each (sample n, group c) is done start
to finish while its canvas sits in L1/L2: place the group's `gin` source planes on the canvas, then
run the correlation (or the weight-gradient dot products) on it. Memory traffic is x read once and
y written once, with no batch-sized padded copy (a 7 MB array for 64x32x28x28, written and read
again, fresh pages each call, as these kernels first did).

The planes are the jobs that threads.parallel_jobs hands to the threads; the scratch is allocated
once per slice of jobs, zeroed once, and reused: every plane writes the same canvas positions, so
the padding around them stays zero from plane to plane.

Canvas of group c, gin planes of `plane` entries each (s < gin, a < PA, b < PB):

    cv[s·plane + lead + a·pra + b·prb] = src[n, c·gin + s, a, b],   0 elsewhere

Forward (gin = 1, gout = m):        src = x,  lead = pt·Wc + pl, pra = Wc, prb = 1,  plane = Hc·Wc
Backward input (gin = m, gout = 1): src = gy, lead = M, pra = sh·Wc, prb = sw,      plane = Lg
Spans and TILE are core.py's (its docstring explains them); a sweep over a span applies nine taps
(a whole 3x3 kernel: 9 loads and 1 store per position), then threes, then the last one or two.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .core import CONTRACT, REDUCE, place, rows_per_span, take_row
from .threads import parallel_jobs



@njit(cache=True, nogil=True, fastmath=CONTRACT)
def _grouped_corr_chunk(src, gin, lead, pra, prb, PA, PB, plane, wk, base, gout, out, start, ra, rb, A, B,
                        rows, width, nc_lo, nc_hi):
    """grouped_corr for the planes (n, c) with nc_lo <= n·G + c < nc_hi, with one scratch canvas:
    a job writes only out[n, c·gout : (c+1)·gout] of its own planes."""
    G, K = src.shape[1] // gin, wk.shape[1]
    cv = np.zeros(gin * plane, src.dtype)  # (gin planes of the canvas), padding stays 0
    acc = np.empty(width, src.dtype)  # (one span)
    for nc in range(nc_lo, nc_hi):
        n, c = nc // G, nc % G
        for s in range(gin):
            place(cv, s * plane, src[n, c * gin + s], lead, pra, prb, PA, PB)
        for r in range(gout):
            o = c * gout + r
            wr = wk[o]
            for a_lo in range(0, A, rows):
                a_hi = min(A, a_lo + rows)
                u0, L = start + a_lo * ra, (a_hi - 1 - a_lo) * ra + (B - 1) * rb + 1  # span [u0, u0 + L)
                r0 = acc[:L]
                r0[:] = 0
                k = 0
                while k + 9 <= K:  # nine taps per sweep (a whole 3x3 kernel): 9 loads, 1 store per position
                    x0 = cv[base[k] + u0:base[k] + u0 + L]
                    x1 = cv[base[k + 1] + u0:base[k + 1] + u0 + L]
                    x2 = cv[base[k + 2] + u0:base[k + 2] + u0 + L]
                    x3 = cv[base[k + 3] + u0:base[k + 3] + u0 + L]
                    x4 = cv[base[k + 4] + u0:base[k + 4] + u0 + L]
                    x5 = cv[base[k + 5] + u0:base[k + 5] + u0 + L]
                    x6 = cv[base[k + 6] + u0:base[k + 6] + u0 + L]
                    x7 = cv[base[k + 7] + u0:base[k + 7] + u0 + L]
                    x8 = cv[base[k + 8] + u0:base[k + 8] + u0 + L]
                    c0, c1, c2, c3, c4 = wr[k], wr[k + 1], wr[k + 2], wr[k + 3], wr[k + 4]
                    c5, c6, c7, c8 = wr[k + 5], wr[k + 6], wr[k + 7], wr[k + 8]
                    for u in range(L):
                        r0[u] += ((c0 * x0[u] + c1 * x1[u] + c2 * x2[u]) + (c3 * x3[u] + c4 * x4[u] + c5 * x5[u])
                                  + (c6 * x6[u] + c7 * x7[u] + c8 * x8[u]))
                    k += 9
                while k + 3 <= K:  # then three taps per sweep over the span
                    x0 = cv[base[k] + u0:base[k] + u0 + L]
                    x1 = cv[base[k + 1] + u0:base[k + 1] + u0 + L]
                    x2 = cv[base[k + 2] + u0:base[k + 2] + u0 + L]
                    c0, c1, c2 = wr[k], wr[k + 1], wr[k + 2]
                    for u in range(L):
                        r0[u] += c0 * x0[u] + c1 * x1[u] + c2 * x2[u]
                    k += 3
                while k < K:  # the last one or two taps
                    x0 = cv[base[k] + u0:base[k] + u0 + L]
                    c0 = wr[k]
                    for u in range(L):
                        r0[u] += c0 * x0[u]
                    k += 1
                for a in range(a_lo, a_hi):  # span -> output rows (a, 0..B-1)
                    take_row(out[n, o, a], acc[(a - a_lo) * ra:], B, rb)




def grouped_corr(src, gin, lead, pra, prb, PA, PB, plane, wk, base, gout, out, start, ra, rb, A, B):
    """out[n, c·gout + r, a, b] = Σ_k wk[c·gout + r, k] · cv[base[k] + start + a·ra + b·rb]   (a < A, b < B)

    src (N, G·gin, Hs, Ws); wk (G·gout, K); base (K,) offsets into the group's canvas (gin planes);
    out (N, G·gout, A', B'), only out[:, :, :A, :B] written. Jobs: the N·G planes (n, c).
    """
    N, G = src.shape[0], src.shape[1] // gin
    if A <= 0 or B <= 0 or N * G == 0:
        return
    rows = rows_per_span(ra, rb, B)
    width = (min(rows, A) - 1) * ra + (B - 1) * rb + 1  # the longest span
    parallel_jobs(_grouped_corr_chunk, N * G, src, gin, lead, pra, prb, PA, PB, plane, wk, base, gout, out,
                  start, ra, rb, A, B, rows, width)


@njit(cache=True, nogil=True, fastmath=REDUCE)
def _grouped_wgrad_chunk(x, gy, lead, PA, PB, Wc, plane, taps, sh, sw, pc, n_lo, n_hi):
    """grouped_wgrad's parallel-loop body: samples n_lo <= n < n_hi, summed into pc (O, T)."""
    C, O, T = x.shape[1], gy.shape[1], taps.shape[0]
    m = O // C
    P, Q = gy.shape[2], gy.shape[3]
    L = (P - 1) * sh * Wc + (Q - 1) * sw + 1  # the span of one output plane on the canvas
    zero = np.zeros(1, x.dtype)[0]
    cv = np.zeros(plane, x.dtype)  # (Hc·Wc) canvas of one x plane
    e = np.zeros(L, x.dtype)  # gy of one output plane on the canvas grid
    for n in range(n_lo, n_hi):
        for c in range(C):
            place(cv, 0, x[n, c], lead, Wc, 1, PA, PB)
            for k in range(m):
                o = c * m + k
                place(e, 0, gy[n, o], 0, sh * Wc, sw, P, Q)
                t = 0
                while t < T:  # three taps per sweep: three dot products share the loads of e
                    nt = min(3, T - t)  # taps past T repeat tap t, unused
                    b0, b1, b2 = taps[t], taps[t + min(1, nt - 1)], taps[t + nt - 1]
                    x0, x1, x2 = cv[b0:b0 + L], cv[b1:b1 + L], cv[b2:b2 + L]
                    s0 = s1 = s2 = zero
                    for u in range(L):
                        s0 += e[u] * x0[u]
                        s1 += e[u] * x1[u]
                        s2 += e[u] * x2[u]
                    pc[o, t] += s0
                    if nt > 1:
                        pc[o, t + 1] += s1
                    if nt > 2:
                        pc[o, t + 2] += s2
                    t += nt


@njit(cache=True, nogil=True)
def _grouped_wgrad_jobs(x, gy, lead, PA, PB, Wc, plane, taps, sh, sw, part, ch_lo, ch_hi):
    """Chunks ch_lo <= ch < ch_hi of grouped_wgrad: chunk ch sums its samples into part[ch] only."""
    N, nchunks = x.shape[0], part.shape[0]
    for ch in range(ch_lo, ch_hi):
        _grouped_wgrad_chunk(x, gy, lead, PA, PB, Wc, plane, taps, sh, sw, part[ch],
                             ch * N // nchunks, (ch + 1) * N // nchunks)


def grouped_wgrad(x, gy, lead, PA, PB, Wc, plane, taps, sh, sw, nchunks):
    """gw[c·m+k, t] = Σ_n Σ_{p<P, q<Q} gy[n, c·m+k, p, q] · cv[taps[t] + p·sh·Wc + q·sw]
    where cv is the canvas of x[n, c] (x[h, w] at lead + h·Wc + w).            x (N, C, H, W), gy (N, C·m, P, Q) -> (C·m, T)

    gy is placed on its own scratch span e[p·sh·Wc + q·sw] (zeros between), so each tap is one dot
    product of two contiguous runs. Samples are split in `nchunks` fixed chunks with one partial gw
    each, summed in a fixed order: the result does not depend on the number of threads.
    """
    O, T = gy.shape[1], taps.shape[0]
    part = np.zeros((nchunks, O, T), x.dtype)  # (chunk, O, T) partial sums
    parallel_jobs(_grouped_wgrad_jobs, nchunks, x, gy, lead, PA, PB, Wc, plane, taps, sh, sw, part)
    gw = np.zeros((O, T), x.dtype)
    for ch in range(nchunks):  # a fixed order: the result does not depend on the threads
        gw += part[ch]
    return gw
