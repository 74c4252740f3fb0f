"""Equivalence oracles through the autograd API, in the output AND in every gradient.

1. separable(x, D, P, b) == conv2d(x, W, b) with the composed weight
       W[o,c,i,j] = Σ_k P[o,c·m+k]·D[c·m+k,i,j]          (m = 1: W[o,c,i,j] = P[o,c]·D[c,i,j])
   and, by the chain rule through that product, for dW = dL/dW of the conv2d graph:
       dD[c·m+k,i,j] = Σ_o P[o,c·m+k]·dW[o,c,i,j]         dP[o,c·m+k] = Σ_ij D[c·m+k,i,j]·dW[o,c,i,j]
   while dx and db must be equal outright.
2. depthwise(x, w) == conv2d(x, B) with the block-diagonal weight
       B[c·m+k, c', i, j] = w[c·m+k,0,i,j] if c' == c else 0,   so dw[c·m+k,0,i,j] = dB[c·m+k,c,i,j].
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import minisep.nn.functional as F
from minisep import Tensor

small = st.integers(1, 3)


@st.composite
def configs(draw):
    k = (draw(small), draw(small))
    dilation = (draw(small), draw(small))
    padding = draw(st.sampled_from(["same", "valid", 0, 1, (2, 1)]))
    hw = []
    for a in (0, 1):
        span = (k[a] - 1) * dilation[a] + 1
        pad = {"same": span, "valid": 0, 0: 0, 1: 1}.get(padding) if not isinstance(padding, tuple) else padding[a]
        low = max(1, span - 2 * pad)
        hw.append(draw(st.integers(low, low + 4)))
    return dict(N=draw(st.integers(1, 2)), C=draw(small), m=draw(small), O=draw(small), H=hw[0], W=hw[1], k=k,
                stride=(draw(small), draw(small)), dilation=dilation, padding=padding, seed=draw(st.integers(0, 999)))


def _leaves(rng, *shapes):
    return [Tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]


def _geometry(cfg):
    return dict(stride=cfg["stride"], padding=cfg["padding"], dilation=cfg["dilation"])


def _check_separable_equals_composed_conv(cfg):
    N, C, m, O = cfg["N"], cfg["C"], cfg["m"], cfg["O"]
    rng = np.random.default_rng(cfg["seed"])
    x, D, P, b = _leaves(rng, (N, C, cfg["H"], cfg["W"]), (C * m, 1) + cfg["k"], (O, C * m, 1, 1), (O,))
    Dk = D.data[:, 0].reshape(C, m, *cfg["k"])                   # (C·m,1,kh,kw) -> (C, m, kh, kw)
    Pk = P.data[:, :, 0, 0].reshape(O, C, m)                     # (O,C·m,1,1) -> (O, C, m)
    W = Tensor(np.einsum("ock,ckij->ocij", Pk, Dk), requires_grad=True)    # (O, C, kh, kw)
    x2, b2 = Tensor(x.data.copy(), requires_grad=True), Tensor(b.data.copy(), requires_grad=True)

    y_sep = F.separable_conv2d(x, D, P, b, **_geometry(cfg))
    y_conv = F.conv2d(x2, W, b2, **_geometry(cfg))
    np.testing.assert_allclose(y_sep.data, y_conv.data, rtol=1e-10, atol=1e-12)

    gy = rng.standard_normal(y_sep.shape)
    y_sep.backward(gradient=gy)
    y_conv.backward(gradient=gy)
    dD = np.einsum("ock,ocij->ckij", Pk, W.grad)                  # Σ_o P·dW: (C, m, kh, kw)
    dP = np.einsum("ckij,ocij->ock", Dk, W.grad)                  # Σ_ij D·dW: (O, C, m)
    np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, b2.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(D.grad, dD.reshape(C * m, 1, *cfg["k"]), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(P.grad, dP.reshape(O, C * m, 1, 1), rtol=1e-10, atol=1e-12)


def _check_depthwise_equals_block_diagonal_conv(cfg):
    N, C, m = cfg["N"], cfg["C"], cfg["m"]
    rng = np.random.default_rng(cfg["seed"])
    x, w, b = _leaves(rng, (N, C, cfg["H"], cfg["W"]), (C * m, 1) + cfg["k"], (C * m,))
    B = np.zeros((C * m, C) + cfg["k"])                           # (C·m, C, kh, kw), zero off the diagonal
    for c in range(C):
        B[c * m:(c + 1) * m, c] = w.data[c * m:(c + 1) * m, 0]
    B = Tensor(B, requires_grad=True)
    x2, b2 = Tensor(x.data.copy(), requires_grad=True), Tensor(b.data.copy(), requires_grad=True)

    y_dw = F.depthwise_conv2d(x, w, b, **_geometry(cfg))
    y_conv = F.conv2d(x2, B, b2, **_geometry(cfg))
    np.testing.assert_allclose(y_dw.data, y_conv.data, rtol=1e-10, atol=1e-12)

    gy = rng.standard_normal(y_dw.shape)
    y_dw.backward(gradient=gy)
    y_conv.backward(gradient=gy)
    dw = np.stack([B.grad[o, o // m] for o in range(C * m)])[:, None]   # the diagonal blocks: (C·m, 1, kh, kw)
    np.testing.assert_allclose(x.grad, x2.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.grad, b2.grad, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(w.grad, dw, rtol=1e-10, atol=1e-12)


FIXED = [
    dict(N=2, C=3, m=1, O=4, H=6, W=5, k=(3, 3), stride=(1, 1), dilation=(1, 1), padding=1, seed=0),
    dict(N=1, C=2, m=2, O=3, H=7, W=6, k=(3, 2), stride=(2, 2), dilation=(1, 1), padding="same", seed=1),
    dict(N=1, C=2, m=3, O=2, H=7, W=7, k=(2, 3), stride=(1, 2), dilation=(2, 2), padding="valid", seed=2),
    dict(N=2, C=1, m=2, O=1, H=5, W=6, k=(3, 3), stride=(3, 2), dilation=(2, 1), padding="same", seed=3),
]
SETTINGS = settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("cfg", FIXED, ids=lambda c: f"m{c['m']}_s{c['stride'][0]}_d{c['dilation'][0]}_{c['padding']}")
def test_separable_equals_conv2d_with_composed_weight(cfg):
    _check_separable_equals_composed_conv(cfg)


@pytest.mark.parametrize("cfg", FIXED, ids=lambda c: f"m{c['m']}_s{c['stride'][0]}_d{c['dilation'][0]}_{c['padding']}")
def test_depthwise_equals_conv2d_with_block_diagonal_weight(cfg):
    _check_depthwise_equals_block_diagonal_conv(cfg)


@SETTINGS
@given(cfg=configs())
def test_separable_oracle_hypothesis(cfg):
    _check_separable_equals_composed_conv(cfg)


@SETTINGS
@given(cfg=configs())
def test_depthwise_oracle_hypothesis(cfg):
    _check_depthwise_equals_block_diagonal_conv(cfg)
