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

The kernels build the canvas in a small scratch buffer, never for the whole batch: one plane at a
time for the grouped (depthwise) convolution (grouped.py), one sample (or a few small ones stacked)
at a time for the dense ones (dense.py), so what they read and write stays in L1/L2.

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
from numba import njit

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


def grad_input_buffer(shape: tuple, dtype, x_box: tuple) -> np.ndarray:
    """gx for a backward_input kernel: pixels outside the canvas (rows/columns of x that no output
    reads, x_box's A, B short of H, W) get no gradient, so the array is zeroed only when there are such."""
    _, A, B = x_box
    return (np.empty if (A, B) == tuple(shape[2:]) else np.zeros)(shape, dtype)


def segments(groups: int) -> int:
    """How many parts corr_dense splits the outputs of one canvas in: 1 when there are canvases enough
    to keep every thread busy, more for a batch of one or two (each part builds the canvas again)."""
    return max(1, -(-2 * numba.get_num_threads() // max(groups, 1)))


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


@njit(cache=True)
def place(cv, off, src2d, lead, pra, prb, PA, PB):
    """cv[off + lead + a·pra + b·prb] = src2d[a, b] for a < PA, b < PB: one plane onto its canvas.

    x's canvas: lead = pt·Wc + pl, pra = Wc, prb = 1; gy's stride grid: lead = M, pra = sh·Wc, prb = sw.
    The other canvas entries are left alone: callers zero a scratch canvas once and reuse it, since
    every plane writes the same positions and the padding around them stays zero.
    """
    for a in range(PA):
        dst = cv[off + lead + a * pra:]
        line = src2d[a]
        if prb == 1:  # the common case: a contiguous row copy (vectorised)
            for b in range(PB):
                dst[b] = line[b]
        else:
            for b in range(PB):
                dst[b * prb] = line[b]


@njit(cache=True)
def take_row(orow, line, B, rb):
    """orow[b] = line[b·rb] for b < B: one output row gathered from a span (rb = 1: a plain copy)."""
    if rb == 1:  # the common case, kept apart so that it vectorises
        for b in range(B):
            orow[b] = line[b]
    else:
        for b in range(B):
            orow[b] = line[b * rb]


@njit(cache=True)
def samples_per_canvas(plane, span):
    """How many samples dense.py stacks on one canvas (one after the other, `plane` apart): as many as
    fit in TILE positions, so that small images (7x7: a span of 61) still give long loops; 1 when one
    sample's span is already long, or when the planes are used in place (plane = 0)."""
    if plane == 0 or 2 * span > TILE:
        return 1
    return 1 + (TILE - span) // plane


@njit(cache=True)
def tap_bases(taps, K, cstride):
    """base[k] = (k // T)·cstride + taps[k % T]: the shift of tap t of canvas channel k // T, when the
    canvas holds its channels `cstride` apart (each channel: S stacked sample planes)."""
    T = taps.shape[0]
    base = np.empty(K, np.int64)
    for k in range(K):
        base[k] = (k // T) * cstride + taps[k % T]
    return base


@njit(cache=True)
def rows_per_span(ra, rb, B):
    """How many output rows one span covers: up to TILE positions of consecutive rows, or one row when
    rows lie far apart (stride > 1) and are long; short rows (< LONG_ROW) are not worth a loop of their
    own (the vectorised loop would be mostly set-up), so the rows between them are computed too."""
    extent = (B - 1) * rb + 1
    if ra >= 2 * extent and extent >= LONG_ROW:
        return 1
    return max(1, TILE // ra)
