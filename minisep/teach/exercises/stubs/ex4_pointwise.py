"""Exercise 4: pointwise (1x1) convolution, forward and backward.  Check with: minisep exercise check 4 THIS-FOLDER

Letters: x (N, C, H, W) input; w (O, C, 1, 1) the weight (PyTorch's layout: output channel o first);
gy (N, O, H, W) = dL/dy arrives from above. At every pixel (h, w) this is a matrix product over channels:

    y[n, o, h, w]  = Σ_c w[o, c, 0, 0] · x[n, c, h, w]
    gx[n, c, h, w] = Σ_o w[o, c, 0, 0] · gy[n, o, h, w]          (the transposed matrix)
    gw[o, c, 0, 0] = Σ_{n,h,w} gy[n, o, h, w] · x[n, c, h, w]     (one filter, used at every pixel)

Plain loops or np.einsum are both fine.
"""
import numpy as np


def pointwise_forward(x, w):
    """y (N, O, H, W) from x (N, C, H, W) and w (O, C, 1, 1)."""
    raise NotImplementedError("fill in pointwise_forward")


def pointwise_backward(gy, x, w):
    """(gx, gw): gx (N, C, H, W) and gw (O, C, 1, 1) from gy (N, O, H, W)."""
    raise NotImplementedError("fill in pointwise_backward")
