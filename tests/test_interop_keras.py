"""minisep.interop.keras against Keras 3 itself (torch backend): same outputs, same gradients.

Each check builds a random minisep conv layer, exports it to the Keras layer (channels_last unless
said), runs both on one random input (NHWC for Keras, its NCHW transpose for minisep) and compares
the outputs and the gradients of sum(y * g) wrt the input and every weight (Keras' gradients come
from torch autograd on the Keras variables). Weight round trips must be exact.
"""

import os
import subprocess
import sys
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minisep as ms
from minisep import nn

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
from minisep.interop.keras import (from_keras_layer, from_keras_weights, keras_class_name,  # noqa: E402
                                   keras_config, to_keras, to_keras_weights)

TORCH_BACKEND = keras.backend.backend() == "torch"
# Keras' own np.array(torch tensor) calls (get_weights, convert_to_numpy) warn under numpy 2: not ours
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy:DeprecationWarning")
TOL = {np.float32: dict(rtol=1e-5, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-10)}


def randomize(layer, rng):
    """Every parameter (biases too) standard normal, so a misplaced weight or bias shows."""
    for p in layer.parameters():
        p.data[:] = rng.standard_normal(p.shape)
    return layer


def keras_grads_layout(layer):
    """minisep's gradients in Keras' layouts and order (to_keras_weights of the .grad arrays)."""
    params = list(layer.parameters())
    for p in params:
        p.data, p.grad = p.grad, p.data
    try:
        return to_keras_weights(layer)
    finally:
        for p in params:
            p.data, p.grad = p.grad, p.data


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def compare(layer, klayer, x_nhwc, dtype, grads=True, channels_first=False):
    """Outputs (and, on the torch backend, dL/dx and dL/dweights for L = <y, g>) of both layers."""
    tol = TOL[dtype]
    x_nchw = x_nhwc if channels_first else np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2))
    xm = ms.tensor(x_nchw, requires_grad=True)
    y = layer(xm)
    y_keras_layout = y.data if channels_first else y.data.transpose(0, 2, 3, 1)
    g = np.random.default_rng(3).standard_normal(y_keras_layout.shape).astype(dtype)
    if not (grads and TORCH_BACKEND):
        yk = keras.ops.convert_to_numpy(klayer(x_nhwc))
        np.testing.assert_allclose(y_keras_layout, yk, **tol, err_msg="output")
        return
    import torch
    g_nchw = g if channels_first else np.ascontiguousarray(g.transpose(0, 3, 1, 2))
    (y * ms.tensor(g_nchw)).sum().backward()
    xt = torch.from_numpy(x_nhwc.copy()).requires_grad_(True)
    yt = klayer(xt)
    loss = (yt * torch.from_numpy(g)).sum()
    # gradients of this one loss (torch.autograd.grad, not .grad: nothing accumulated from earlier layers)
    *kgrads, kgx = torch.autograd.grad(loss, [v.value for v in klayer.weights] + [xt])
    np.testing.assert_allclose(y_keras_layout, yt.detach().numpy(), **tol, err_msg="output")
    gx = xm.grad if channels_first else xm.grad.transpose(0, 2, 3, 1)
    np.testing.assert_allclose(gx, kgx.numpy(), **tol, err_msg="dL/dx")
    if tuple(getattr(layer, "kernel_size", (1, 1))) == (1, 1) and _pair(getattr(layer, "stride", 1)) != (1, 1):
        # torch 2.13's CPU conv2d returns a wrong weight gradient for a 1x1 kernel with stride > 1 on a
        # channels-last input that requires grad (from the second call on; Keras permutes NHWC to NCHW
        # that way), so Keras cannot be the weight oracle here; torch on NCHW and jax cover this case
        return
    for v, kg, gm in zip(klayer.weights, kgrads, keras_grads_layout(layer)):
        np.testing.assert_allclose(gm, kg.numpy(), **tol, err_msg=f"dL/d{v.name}")


def nhwc(rng, n, h, w, c, dtype=np.float32):
    return rng.standard_normal((n, h, w, c)).astype(dtype)


# name -> (builder(rng, dtype), input size (H, W))
CASES = {
    "conv_valid": (lambda r, dt: nn.Conv2d(3, 4, 3, rng=r, dtype=dt), (7, 6)),
    "conv_same_s2_odd": (lambda r, dt: nn.Conv2d(3, 5, 3, stride=2, padding="same", rng=r, dtype=dt), (7, 9)),
    "conv_same_s2_even": (lambda r, dt: nn.Conv2d(3, 5, (2, 3), stride=2, padding="same", rng=r, dtype=dt), (8, 6)),
    "conv_dilation2_nobias": (lambda r, dt: nn.Conv2d(2, 3, 3, padding="same", dilation=2, bias=False, rng=r,
                                                      dtype=dt), (8, 7)),
    "conv_groups2": (lambda r, dt: nn.Conv2d(4, 6, 3, stride=(1, 2), padding="same", groups=2, rng=r, dtype=dt),
                     (6, 7)),
    "pointwise": (lambda r, dt: nn.PointwiseConv2d(3, 4, rng=r, dtype=dt), (5, 6)),
    "pointwise_nobias": (lambda r, dt: nn.PointwiseConv2d(3, 2, bias=False, rng=r, dtype=dt), (5, 5)),
    "depthwise_m2_same_s2_odd": (lambda r, dt: nn.DepthwiseConv2d(3, kernel_size=3, depth_multiplier=2, stride=2,
                                                                  padding="same", rng=r, dtype=dt), (9, 7)),
    "depthwise_m3_same_s2_even": (lambda r, dt: nn.DepthwiseConv2d(2, kernel_size=(3, 2), depth_multiplier=3,
                                                                   stride=2, padding="same", bias=False, rng=r,
                                                                   dtype=dt), (8, 8)),
    "depthwise_dilation2_s2": (lambda r, dt: nn.DepthwiseConv2d(3, 3, 3, stride=2, dilation=2, padding="same",
                                                                rng=r, dtype=dt), (9, 8)),
    "separable_m2_same_s2": (lambda r, dt: nn.SeparableConv2d(3, 4, 3, stride=2, padding="same",
                                                              depth_multiplier=2, rng=r, dtype=dt), (8, 9)),
    "separable_valid_dilation2_nobias": (lambda r, dt: nn.SeparableConv2d(2, 5, 3, dilation=2, bias=False, rng=r,
                                                                          dtype=dt), (7, 8)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_to_keras_matches(name):
    build, (H, W) = CASES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    layer = randomize(build(rng, np.float32), rng)
    klayer = to_keras(keras, layer)
    assert type(klayer).__name__ == keras_class_name(layer)
    compare(layer, klayer, nhwc(rng, 2, H, W, layer.in_channels), np.float32)


@pytest.mark.parametrize("name", ["conv_same_s2_odd", "depthwise_m2_same_s2_odd", "separable_m2_same_s2"])
def test_float64(name):
    build, (H, W) = CASES[name]
    rng = np.random.default_rng(11)
    layer = randomize(build(rng, np.float64), rng)
    klayer = to_keras(keras, layer)
    assert keras_config(layer)["dtype"] == "float64"
    compare(layer, klayer, nhwc(rng, 2, H, W, layer.in_channels, np.float64), np.float64)


def test_channels_first_needs_no_transpose():
    rng = np.random.default_rng(5)
    layer = randomize(nn.SeparableConv2d(3, 4, 3, stride=2, padding="same", depth_multiplier=2, rng=rng), rng)
    klayer = to_keras(keras, layer, data_format="channels_first")
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)  # NCHW on both sides
    compare(layer, klayer, x, np.float32, channels_first=True)


def test_keras_config_values():
    layer = nn.DepthwiseConv2d(3, kernel_size=(3, 5), depth_multiplier=2, stride=2, padding="SAME", dilation=1,
                               bias=False, rng=0)
    assert keras_config(layer) == dict(kernel_size=(3, 5), strides=(2, 2), padding="same", dilation_rate=(1, 1),
                                       use_bias=False, data_format="channels_last", dtype="float32",
                                       depth_multiplier=2)
    cfg = keras_config(nn.Conv2d(4, 6, 3, stride=(1, 2), padding=0, groups=2, rng=0))
    assert cfg["filters"] == 6 and cfg["groups"] == 2 and cfg["padding"] == "valid" and cfg["strides"] == (1, 2)
    sep = keras_config(nn.SeparableConv2d(3, 8, 3, depth_multiplier=2, padding="valid", dilation=2, rng=0))
    assert sep["filters"] == 8 and sep["depth_multiplier"] == 2 and sep["dilation_rate"] == (2, 2)
    assert keras_config(nn.PointwiseConv2d(3, 4, rng=0))["kernel_size"] == (1, 1)


@pytest.mark.parametrize("name", list(CASES))
def test_weight_round_trip_exact(name):
    build, _ = CASES[name]
    rng = np.random.default_rng(2)
    layer = randomize(build(rng, np.float32), rng)
    ws = to_keras_weights(layer)
    twin = randomize(build(np.random.default_rng(9), np.float32), np.random.default_rng(9))
    from_keras_weights(twin, ws)
    for (k, a), (_, b) in zip(layer.state_dict().items(), twin.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=k)
    for w in ws:  # copies: changing them leaves the layer alone
        w[...] = 0
    assert any(np.any(p.data != 0) for p in layer.parameters())


def test_depthwise_channel_order():
    """Output channel c·m + k of minisep is Keras' depthwise_kernel[:, :, c, k], checked one-hot."""
    C, m = 2, 3
    layer = nn.DepthwiseConv2d(C, kernel_size=1, depth_multiplier=m, bias=False, rng=0)
    K = np.zeros((1, 1, C, m), np.float32)
    K[0, 0, 1, 2] = 1.0  # input channel 1, filter 2 -> output channel 1·3 + 2 = 5
    from_keras_weights(layer, [K])
    assert layer.weight.data[5, 0, 0, 0] == 1.0 and layer.weight.data.sum() == 1.0
    klayer = to_keras(keras, layer)
    x = np.arange(2 * 2 * C, dtype=np.float32).reshape(1, 2, 2, C)
    yk = keras.ops.convert_to_numpy(klayer(x))
    np.testing.assert_array_equal(yk[..., 5], x[..., 1])
    assert np.count_nonzero(yk[..., :5]) == 0


@pytest.mark.parametrize("kind", ["conv", "conv_groups", "depthwise", "separable"])
def test_from_keras_layer(kind):
    rng = np.random.default_rng(4)
    kl = keras.layers
    klayer = {"conv": lambda: kl.Conv2D(5, (3, 2), strides=2, padding="same"),
              "conv_groups": lambda: kl.Conv2D(6, 3, padding="same", groups=3, use_bias=False),
              "depthwise": lambda: kl.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2,
                                                      dilation_rate=2),
              "separable": lambda: kl.SeparableConv2D(4, 3, strides=2, padding="same", depth_multiplier=2)}[kind]()
    C = 3 if kind != "conv_groups" else 6
    klayer.build((None, None, None, C))
    klayer.set_weights([rng.standard_normal(w.shape).astype(np.float32) for w in klayer.get_weights()])
    layer = from_keras_layer(klayer)
    assert layer.in_channels == C and all(p.dtype == np.float32 for p in layer.parameters())
    for w_ours, w_keras in zip(to_keras_weights(layer), klayer.get_weights()):
        np.testing.assert_array_equal(w_ours, w_keras)
    compare(layer, klayer, nhwc(rng, 2, 9, 8, C), np.float32)


@settings(deadline=None, max_examples=15)
@given(kind=st.sampled_from(["conv", "depthwise", "separable"]), k=st.integers(1, 3), s=st.integers(1, 2),
       d=st.integers(1, 2), padding=st.sampled_from(["same", "valid"]), m=st.integers(1, 2),
       h=st.integers(5, 9), w=st.integers(5, 9), bias=st.booleans(), seed=st.integers(0, 2**16))
def test_property_matches_keras(kind, k, s, d, padding, m, h, w, bias, seed):
    rng = np.random.default_rng(seed)
    C = int(rng.integers(1, 4))
    geo = dict(stride=s, padding=padding, dilation=d, bias=bias, rng=rng)
    if kind == "conv":
        layer = nn.Conv2d(C, int(rng.integers(1, 5)), k, **geo)
        if s > 1 and d > 1:  # Keras' Conv2D refuses this combination
            with pytest.raises(ValueError, match="dilation"):
                keras_config(layer)
            return
    elif kind == "depthwise":
        layer = nn.DepthwiseConv2d(C, kernel_size=k, depth_multiplier=m, **geo)
    else:
        layer = nn.SeparableConv2d(C, int(rng.integers(1, 5)), k, depth_multiplier=m, **geo)
    randomize(layer, rng)
    compare(layer, to_keras(keras, layer), nhwc(rng, 2, h, w, C), np.float32)
    back = from_keras_layer(to_keras(keras, layer))
    for a, b in zip(layer.state_dict().values(), back.state_dict().values()):
        np.testing.assert_array_equal(a, b)


# ---- errors -----------------------------------------------------------------------------------
def test_wrong_count():
    layer = nn.SeparableConv2d(3, 4, 3, rng=0)
    ws = to_keras_weights(layer)
    with pytest.raises(ValueError, match=r"3 Keras weight.*depthwise_kernel.*got 2"):
        from_keras_weights(layer, ws[:2])
    with pytest.raises(ValueError, match="got 2"):
        from_keras_weights(nn.Conv2d(3, 4, 3, bias=False, rng=0), [np.zeros((3, 3, 3, 4), np.float32)] * 2)


def test_wrong_shape_names_the_weight():
    layer = nn.SeparableConv2d(3, 4, 3, depth_multiplier=2, rng=0)
    before = [p.data.copy() for p in layer.parameters()]
    ws = to_keras_weights(layer)
    ws[1] = np.zeros((1, 1, 3, 4), np.float32)  # pointwise kernel without the multiplier
    with pytest.raises(ValueError, match=r"pointwise_kernel has shape \(1, 1, 3, 4\), expected \(1, 1, 6, 4\)"):
        from_keras_weights(layer, ws)
    for a, p in zip(before, layer.parameters()):  # nothing written
        np.testing.assert_array_equal(a, p.data)
    with pytest.raises(ValueError, match=r"kernel has shape \(3, 3, 4, 3\), expected \(3, 3, 3, 4\)"):
        from_keras_weights(nn.Conv2d(3, 4, 3, rng=0), [np.zeros((3, 3, 4, 3), np.float32), np.zeros(4, np.float32)])
    with pytest.raises(ValueError, match=r"bias has shape \(5,\), expected \(6,\)"):
        from_keras_weights(nn.DepthwiseConv2d(3, kernel_size=3, depth_multiplier=2, rng=0),
                           [np.zeros((3, 3, 3, 2), np.float32), np.zeros(5, np.float32)])


def test_non_arrays():
    layer = nn.Conv2d(3, 4, 3, rng=0)
    with pytest.raises(TypeError, match="list"):
        from_keras_weights(layer, np.zeros((3, 3, 3, 4)))
    with pytest.raises(TypeError, match="kernel must be an ndarray"):
        from_keras_weights(layer, [[[0.0]], np.zeros(4, np.float32)])


def test_unsupported_configs():
    with pytest.raises(ValueError, match="'same' and 'valid'"):
        keras_config(nn.Conv2d(3, 4, 3, padding=1, rng=0))
    with pytest.raises(ValueError, match="'same' and 'valid'"):
        keras_config(nn.DepthwiseConv2d(3, 3, 3, padding=(0, 1, 0, 1), rng=0))
    with pytest.raises(ValueError, match="mid='bn_relu'"):
        keras_config(nn.SeparableConv2d(3, 4, 3, mid="bn_relu", rng=0))
    with pytest.raises(ValueError, match="dilation"):
        keras_config(nn.Conv2d(3, 4, 3, stride=2, dilation=2, rng=0))
    with pytest.raises(TypeError, match="Linear"):
        to_keras_weights(nn.Linear(3, 4, rng=0))
    with pytest.raises(ValueError, match="data_format"):
        keras_config(nn.Conv2d(3, 4, 3, rng=0), data_format="NHWC")
    relu = keras.layers.Conv2D(4, 3, activation="relu")
    relu.build((None, None, None, 3))
    with pytest.raises(ValueError, match="activation='relu'"):
        from_keras_layer(relu)
    with pytest.raises(ValueError, match="build it first"):
        from_keras_layer(keras.layers.DepthwiseConv2D(3))
    with pytest.raises(TypeError, match="Dense"):
        from_keras_layer(keras.layers.Dense(3))


def test_minisep_does_not_import_keras_or_jax():
    code = ("import sys, minisep, minisep.interop.keras, minisep.interop.torch; "
            "bad = [m for m in ('keras', 'jax', 'torch') if m in sys.modules]; assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
