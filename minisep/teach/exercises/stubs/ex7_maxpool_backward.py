"""Exercise 7: max-pool backward with ties.  Check with: minisep exercise check 7 THIS-FOLDER

Letters: x (N, C, H, W); gy (N, C, P, Q) = dL/dy; a square window of `kernel` × `kernel` pixels,
an int `stride` s and an int `padding` (the same on all four sides, at most kernel // 2).
Window (p, q) covers rows p·s - padding + i and columns q·s - padding + j (i, j < kernel);
padding cells count as -inf (they never win).

    y[n, c, p, q] = max over the window of x[n, c, ...]
    gx[n, c, h, w] = Σ_{p,q : (h, w) is THE maximum of window (p, q)} gy[n, c, p, q]

THE maximum: when several pixels of a window tie, the FIRST in row-major (i, j) order takes all of
gy (PyTorch's rule, and minisep's). Overlapping windows (stride < kernel) can pick the same pixel.
"""
import numpy as np


def max_pool_backward(x, gy, kernel, stride, padding):
    """gx (N, C, H, W)."""
    raise NotImplementedError("fill in max_pool_backward")
