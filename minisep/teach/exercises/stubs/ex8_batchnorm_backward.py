"""Exercise 8: BatchNorm2d backward, training mode.  Check with: minisep exercise check 8 THIS-FOLDER

Letters: x, gy (N, C, H, W); gamma (C,); eps a float. Per channel c, over M = N·H·W values:

    mean[c] = Σ_nhw x / M,   var[c] = Σ_nhw (x - mean[c])² / M      (the BIASED variance)
    inv[c]  = 1 / sqrt(var[c] + eps),   x̂ = (x - mean[c])·inv[c],   y = gamma[c]·x̂ + beta[c]

The backward (batch statistics: mean and var depend on x too, which gives the two extra terms):

    gbeta[c]  = Σ_nhw gy
    ggamma[c] = Σ_nhw gy·x̂
    gx        = gamma[c]·inv[c]·(gy - gbeta[c] / M - x̂·ggamma[c] / M)

Derive it yourself if you can: y depends on x directly, through mean[c], and through var[c].
"""
import numpy as np


def batchnorm_backward(gy, x, gamma, eps):
    """(gx (N, C, H, W), ggamma (C,), gbeta (C,))."""
    raise NotImplementedError("fill in batchnorm_backward")
