"""Exercise 2: depthwise convolution, input gradient dX.  Check with: minisep exercise check 2 THIS-FOLDER

Letters: gy (N, C·m, P, Q) = dL/dy arrives from above; w (C·m, 1, kh, kw); x_shape = (N, C, H, W);
padding = (pt, pb, pl, pr); stride s, dilation d (ints); output channel c·m + k (k < m).
The forward was  y[n, c·m+k, p, q] = Σ_ij w[c·m+k, 0, i, j] · xp[n, c, p·s + i·d, q·s + j·d].

    dX[n, c, h, w] = Σ_{k,p,q,i,j : p·s + i·d - pt = h, q·s + j·d - pl = w} w[c·m+k, 0, i, j] · gy[n, c·m+k, p, q]

(Hint: loop over every output (p, q) and tap (i, j), and add into the input pixel it read.)
"""
import numpy as np


def depthwise_backward_input(gy, w, x_shape, stride, padding, dilation):
    """dX (N, C, H, W)."""
    raise NotImplementedError("fill in depthwise_backward_input")
