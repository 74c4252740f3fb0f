"""Equivalence oracles at the kernel level, in the output and in every gradient:

1. depthwise(x, w) == conv2d(x, B) with the block-diagonal weight
       B[c·m+k, c', i, j] = w[c·m+k, 0, i, j] if c' == c else 0,   and dw[c·m+k, 0, i, j] = dB[c·m+k, c, i, j];
2. pointwise(depthwise(x, D), P) == conv2d(x, W) with W[o, c, i, j] = P[o, c]·D[c, 0, i, j]  (m = 1), and
       dD[c, 0, i, j] = Σ_o P[o, c]·dW[o, c, i, j],   dP[o, c] = Σ_ij D[c, 0, i, j]·dW[o, c, i, j];
3. pointwise(x, w) == conv2d(x, w) with a 1x1 kernel.
"""
import numpy as np
from hypothesis import HealthCheck, given, settings
from strategies import conv_configs

import minisep.kernels as K

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def close(a, b, dtype):
    assert a.shape == b.shape and a.dtype == b.dtype
    tol = 2e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, float(np.abs(b).max(initial=0.0))))


def block_diagonal(w, C):
    """(C·m, 1, kh, kw) -> (C·m, C, kh, kw): output c·m+k sees only input channel c."""
    m = w.shape[0] // C
    B = np.zeros((w.shape[0], C) + w.shape[2:], w.dtype)
    for o in range(w.shape[0]):
        B[o, o // m] = w[o, 0]
    return B


@SETTINGS
@given(conv_configs(depthwise=True))
def test_depthwise_equals_conv2d_with_block_diagonal_weight(cfg):
    x, w = cfg.arrays()
    g, B = cfg.geometry(), block_diagonal(w, cfg.c)
    y = K.depthwise_forward(x, w, g)
    close(y, K.conv2d_forward(x, B, g), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    close(K.depthwise_backward_input(gy, w, g, in_channels=cfg.c), K.conv2d_backward_input(gy, B, g), cfg.dtype)
    dB = K.conv2d_backward_weight(x, gy, g)
    diagonal = dB[np.arange(w.shape[0]), np.arange(w.shape[0]) // cfg.m][:, None]  # dB[c·m+k, c]
    close(K.depthwise_backward_weight(x, gy, g), diagonal, cfg.dtype)


@SETTINGS
@given(conv_configs())
def test_separable_equals_conv2d_with_factored_weight(cfg):
    x, _ = cfg.arrays()
    rng = np.random.default_rng(cfg.seed + 2)
    D = rng.standard_normal((cfg.c, 1, cfg.kh, cfg.kw)).astype(cfg.dtype)
    P = rng.standard_normal((cfg.o, cfg.c, 1, 1)).astype(cfg.dtype)
    W = P[:, :, 0, 0, None, None] * D[None, :, 0]  # W[o, c, i, j] = P[o, c]·D[c, 0, i, j]
    g = cfg.geometry()
    z = K.depthwise_forward(x, D, g)  # the intermediate of the separable pair
    y = K.pointwise_forward(z, P)
    close(y, K.conv2d_forward(x, W, g), cfg.dtype)

    gy = cfg.output_grad(y.shape)
    gz = K.pointwise_backward_input(gy, P)
    close(K.depthwise_backward_input(gz, D, g), K.conv2d_backward_input(gy, W, g), cfg.dtype)
    dW = K.conv2d_backward_weight(x, gy, g).astype(np.float64)
    dD = np.einsum("oc,ocij->cij", P[:, :, 0, 0], dW)[:, None]
    dP = np.einsum("cij,ocij->oc", D[:, 0], dW)[:, :, None, None]
    close(K.depthwise_backward_weight(x, gz, g), dD.astype(cfg.dtype), cfg.dtype)
    close(K.pointwise_backward_weight(z, gy), dP.astype(cfg.dtype), cfg.dtype)


@SETTINGS
@given(conv_configs())
def test_pointwise_equals_conv2d_with_1x1_kernel(cfg):
    x, w = cfg.arrays()
    w = w[:, :, :1, :1].copy()
    g = K.conv_geometry("test", (cfg.h, cfg.w), 1)
    y = K.pointwise_forward(x, w)
    close(y, K.conv2d_forward(x, w, g), cfg.dtype)
    gy = cfg.output_grad(y.shape)
    close(K.pointwise_backward_input(gy, w), K.conv2d_backward_input(gy, w, g), cfg.dtype)
    close(K.pointwise_backward_weight(x, gy), K.conv2d_backward_weight(x, gy, g), cfg.dtype)
