"""Exercise 5: the separable chain rule.  Check with: minisep exercise check 5 THIS-FOLDER

A separable conv (depthwise D, then pointwise P) IS a standard conv whose weight is the product
(k < m is the depth-multiplier index; intermediate channel c·m + k belongs to input channel c):

    W[o, c, i, j] = Σ_k P[o, c·m+k, 0, 0] · D[c·m+k, 0, i, j]

Letters: D (C·m, 1, kh, kw) depthwise weight; P (O, C·m, 1, 1) pointwise weight;
dW (O, C, kh, kw) = ∂L/∂W, the weight gradient of that standard conv. By the chain rule through W:

    dD[c·m+k, 0, i, j] = Σ_o  P[o, c·m+k, 0, 0] · dW[o, c, i, j]
    dP[o, c·m+k, 0, 0] = Σ_ij D[c·m+k, 0, i, j] · dW[o, c, i, j]

(C = dW.shape[1], m = D.shape[0] // C.) Plain loops are fine.
"""
import numpy as np


def separable_chain_rule(dW, D, P):
    """(dD, dP): dD with D's shape (C·m, 1, kh, kw), dP with P's shape (O, C·m, 1, 1)."""
    raise NotImplementedError("fill in separable_chain_rule")
