"""Helpers of the *_reference kernels: sliding windows over an explicitly padded input, and their adjoint.

Written with np.pad, sliding_window_view and slicing, deliberately unlike the jitted canvas code, so
that a test holding the two equal checks the index arithmetic twice, in two different ways.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .geometry import ConvGeometry


def pad(x: np.ndarray, g: ConvGeometry, value: float = 0.0) -> np.ndarray:
    """(N, C, H, W) --pad--> (N, C, H + pt + pb, W + pl + pr)"""
    pt, pb, pl, pr = g.padding
    return np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=value)


def windows(x: np.ndarray, g: ConvGeometry, value: float = 0.0) -> np.ndarray:
    """win[n, c, p, q, i, j] = xp[n, c, p·sh + i·rh, q·sw + j·rw]: a (N, C, P, Q, kh, kw) view."""
    (kh, kw), (sh, sw), (rh, rw), (P, Q) = g.kernel_hw, g.stride, g.dilation, g.out_hw
    xp = pad(x, g, value)
    win = sliding_window_view(xp, ((kh - 1) * rh + 1, (kw - 1) * rw + 1), axis=(2, 3))
    return win[:, :, ::sh, ::sw, ::rh, ::rw][:, :, :P, :Q]


def fold(t: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Adjoint of `windows`: gx[n, c, h, w] = Σ t[n, c, p, q, i, j] over p·sh+i·rh-pt = h, q·sw+j·rw-pl = w.

    t (N, C, P, Q, kh, kw) is scattered tap by tap into a padded array, whose padding is cut off.
    """
    (H, W), (kh, kw), (sh, sw), (rh, rw), (pt, pb, pl, pr), (P, Q) = g
    N, C = t.shape[:2]
    gxp = np.zeros((N, C, H + pt + pb, W + pl + pr), t.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * rh, i * rh + (P - 1) * sh + 1, sh)
            cols = slice(j * rw, j * rw + (Q - 1) * sw + 1, sw)
            gxp[:, :, rows, cols] += t[:, :, :, :, i, j]
    return gxp[:, :, pt:pt + H, pl:pl + W]
