"""The wide canvas: named grids on a flat, zero-padded plane, shared by grouped.py and dense.py.

One zero-padded (n, c) plane is stored flat with row length Wc:

    canvas[(h + pt)·Wc + (w + pl)] = x[n, c, h, w]

so the kernel tap (i, j) is a constant shift taps[t] = i·rh·Wc + j·rw (t = i·kw + j), and a
correlation is a sum of shifted 1-D runs, one long contiguous loop per tap, no bounds test inside:

    acc[u] = Σ_k wk[k] · cv[base[k] + u]

Where things sit on the canvas is a `Grid(lead, ra, rb, A, B)`: an A×B plane whose entry (a, b) is
at lead + a·ra + b·rb. A kernel takes two: `place`, where its source planes are written, and `read`,
where its outputs are read off the accumulated span. For a ConvGeometry (see `canvas`):

    x_grid  = Grid(pt·Wc + pl, Wc, 1, A, B)     x[h, w]          (A, B: the rows/columns any output reads)
    y_grid  = Grid(0, sh·Wc, sw, P, Q)          y[p, q]          (the stride grid)
    gy_grid = Grid(M, sh·Wc, sw, P, Q)          gy[p, q], after M leading zeros so that u - tap >= 0

forward = place x on x_grid, read y on y_grid; backward_input = place gy on gy_grid, read gx on
x_grid, with the taps flipped: the same correlation with the grids swapped. backward_weight is a set
of dot products of x's canvas with gy placed on y_grid. No im2col matrix is built.

acc is computed on spans of whole output rows, a few rows at a time (at most TILE positions, so the
accumulators stay in L1); the u between two outputs (a few columns per row for stride 1, the rows in
between for stride > 1 unless rows are long) are computed and thrown away: simple, branch-free.
Every read stays inside its plane: the largest index is base[k] + read.lead + (A-1)·ra + (B-1)·rb,
at most (plane start) + Hc·Wc - 1 for x's canvas and + M + Hc·Wc - 1 for gy's grid (checked under
NUMBA_BOUNDSCHECK=1 by tests/kernels/boundscheck_run.py).

`fastmath` only allows fused multiply-add ('contract') and, in the weight gradients, a reordered sum
('reassoc') so the dot products vectorise; no nan/inf assumptions are made.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from ..geometry import ConvGeometry

CONTRACT = {"contract"}
REDUCE = {"contract", "reassoc"}
TILE = 2048  # positions computed per span: 4 accumulator rows of it fit in L1
LONG_ROW = 256  # an output row this long gets a span of its own when stride > 1 leaves gaps between rows


class Grid(NamedTuple):
    """An A×B plane on a flat canvas: entry (a, b) sits at lead + a·ra + b·rb (Python ints: numba takes it as is)."""
    lead: int  # where entry (0, 0) sits
    ra: int  # step between rows a and a + 1
    rb: int  # step between columns b and b + 1
    A: int  # rows
    B: int  # columns


class Canvas(NamedTuple):
    Hc: int  # canvas rows:    (P-1)·sh + (kh-1)·rh + 1  (the padded rows that any output reads)
    Wc: int  # canvas columns: ·sw + (kw-1)·rw + 1
    M: int  # largest tap offset (kh-1)·rh·Wc + (kw-1)·rw
    Lx: int  # length of a canvas plane: Hc·Wc
    Lg: int  # length of a gy grid plane: M leading zeros (so that u - tap >= 0), then Hc·Wc
    taps: np.ndarray  # (kh·kw,) int64 offsets i·rh·Wc + j·rw, row-major over (i, j)
    x_grid: Grid  # x[h, w] at pt·Wc + pl + h·Wc + w, for the h < A, w < B that some output reads
    y_grid: Grid  # y[p, q] at p·sh·Wc + q·sw
    gy_grid: Grid  # gy[p, q] at M + p·sh·Wc + q·sw


def canvas(g: ConvGeometry) -> Canvas:
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, _, pl, _), (P, Q) = g
    Hc, Wc = (P - 1) * sh + (kh - 1) * rh + 1, (Q - 1) * sw + (kw - 1) * rw + 1
    M = (kh - 1) * rh * Wc + (kw - 1) * rw
    taps = (np.arange(kh)[:, None] * (rh * Wc) + np.arange(kw)[None, :] * rw).ravel().astype(np.int64)
    # rows/columns of x beyond the canvas are never read (floor mode drops them)
    x_grid = Grid(pt * Wc + pl, Wc, 1, max(0, min(H, Hc - pt)), max(0, min(W, Wc - pl)))
    return Canvas(Hc, Wc, M, Hc * Wc, Hc * Wc + M, taps, x_grid,
                  Grid(0, sh * Wc, sw, P, Q), Grid(M, sh * Wc, sw, P, Q))


def grad_input_buffer(shape: tuple, dtype, x_grid: Grid) -> np.ndarray:
    """gx for a backward_input kernel: pixels outside the canvas (rows/columns of x that no output
    reads, x_grid's A, B short of H, W) get no gradient, so the array is zeroed only when there are such."""
    return (np.empty if (x_grid.A, x_grid.B) == tuple(shape[2:]) else np.zeros)(shape, dtype)


@njit(cache=True)
def span(grid):
    """How many canvas positions the plane of `grid` covers: (A-1)·ra + (B-1)·rb + 1."""
    return (grid.A - 1) * grid.ra + (grid.B - 1) * grid.rb + 1


@njit(cache=True)
def put_plane(cv, off, plane2d, grid):
    """cv[off + lead + a·ra + b·rb] = plane2d[a, b] for a < A, b < B: one plane onto its canvas.

    The other canvas entries are left alone: callers zero a scratch canvas once and reuse it, since
    every plane writes the same positions and the padding around them stays zero.
    """
    lead, ra, rb, A, B = grid
    for a in range(A):
        dst = cv[off + lead + a * ra:]
        line = plane2d[a]
        if rb == 1:  # the common case: a contiguous row copy (vectorised)
            for b in range(B):
                dst[b] = line[b]
        else:
            for b in range(B):
                dst[b * rb] = line[b]


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
def tap_bases(taps, K, cstride):
    """base[k] = (k // T)·cstride + taps[k % T]: the shift of tap t of canvas plane k // T, when the
    canvas holds its planes `cstride` apart."""
    T = taps.shape[0]
    base = np.empty(K, np.int64)
    for k in range(K):
        base[k] = (k // T) * cstride + taps[k % T]
    return base


@njit(cache=True)
def rows_per_span(read):
    """How many output rows one span covers: up to TILE positions of consecutive rows, or one row when
    rows lie far apart (stride > 1) and are long; short rows (< LONG_ROW) are not worth a loop of their
    own (the vectorised loop would be mostly set-up), so the rows between them are computed too."""
    extent = (read.B - 1) * read.rb + 1
    if read.ra >= 2 * extent and extent >= LONG_ROW:
        return 1
    return max(1, TILE // read.ra)
