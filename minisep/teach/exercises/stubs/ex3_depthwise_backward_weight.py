"""Exercise 3: depthwise convolution, weight gradient dD.  Check with: minisep exercise check 3 THIS-FOLDER

Letters: x (N, C, H, W); gy (N, C·m, P, Q) = dL/dy; w_shape = (C·m, 1, kh, kw);
padding = (pt, pb, pl, pr) (xp is x padded with zeros); stride s, dilation d (ints).
The forward was  y[n, c·m+k, p, q] = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·s + i·d, q·s + j·d].

    dD[c·m+k, 0, i, j] = Σ_{n,p,q} gy[n, c·m+k, p, q] · xp[n, c, p·s + i·d, q·s + j·d]
"""
import numpy as np


def depthwise_backward_weight(x, gy, w_shape, stride, padding, dilation):
    """dD (C·m, 1, kh, kw)."""
    raise NotImplementedError("fill in depthwise_backward_weight")
