"""Bias of a convolution: y[n, o, p, q] += b[o], so gb[o] = Σ_{n,p,q} gy[n, o, p, q]."""
from __future__ import annotations

import numpy as np

from . import checks


def bias_backward(gy: np.ndarray) -> np.ndarray:
    """gb[o] = Σ_{n,p,q} gy[n, o, p, q]                                                      -> (O,)"""
    gy = checks.array4d(gy, "gy", "bias_backward", "(N, O, P, Q)")
    return gy.sum(axis=(0, 2, 3))


def bias_backward_reference(gy: np.ndarray) -> np.ndarray:
    """gb[o] = Σ_{n,p,q} gy[n, o, p, q], one channel at a time"""
    return np.array([gy[:, o].sum() for o in range(gy.shape[1])], dtype=gy.dtype)
