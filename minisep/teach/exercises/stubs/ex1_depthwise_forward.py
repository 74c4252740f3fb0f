"""Exercise 1: depthwise convolution, forward.  Check with: minisep exercise check 1 THIS-FOLDER

Letters: x (N, C, H, W) input; w (C·m, 1, kh, kw) one kh×kw filter per output channel c·m + k (k < m);
padding = (pt, pb, pl, pr) zeros around x (xp is the padded x); stride s, dilation d (ints).

    y[n, c·m+k, p, q] = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·s + i·d, q·s + j·d]

Output size: P = (H + pt + pb - ((kh - 1)·d + 1)) // s + 1, Q likewise with W, pl, pr, kw. Plain loops are fine.
"""
import numpy as np


def depthwise_forward(x, w, stride, padding, dilation):
    """y (N, C·m, P, Q) from x (N, C, H, W) and w (C·m, 1, kh, kw)."""
    raise NotImplementedError("fill in depthwise_forward")
