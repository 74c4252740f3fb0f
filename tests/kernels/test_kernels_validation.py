"""Bad input to the public kernels raises a clear ValueError/TypeError (naming the argument and the
shapes) before any jitted code runs; good input of any memory layout works and keeps its dtype."""
import numpy as np
import pytest

import minisep.kernels as K

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 6, 5))
G3 = K.conv_geometry("test", (6, 5), 3, 1, 1)
WD = rng.standard_normal((6, 1, 3, 3))  # depthwise, m = 2
WC = rng.standard_normal((4, 3, 3, 3))  # standard conv, O = 4
WP = rng.standard_normal((4, 3, 1, 1))  # pointwise
GY = rng.standard_normal((2, 4, 6, 5))
GYD = rng.standard_normal((2, 6, 6, 5))
POOL = K.pool_geometry("test", (6, 5), 2)


def raises(error, call, *words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), f"{word!r} not in {info.value!r}"


@pytest.mark.parametrize("name, call", [
    ("depthwise_forward", lambda x: K.depthwise_forward(x, WD, G3)),
    ("depthwise_backward_weight", lambda x: K.depthwise_backward_weight(x, GYD, G3)),
    ("conv2d_forward", lambda x: K.conv2d_forward(x, WC, G3)),
    ("conv2d_backward_weight", lambda x: K.conv2d_backward_weight(x, GY, G3)),
    ("pointwise_forward", lambda x: K.pointwise_forward(x, WP)),
    ("pointwise_backward_weight", lambda x: K.pointwise_backward_weight(x, GY)),
    ("max_pool2d_forward", lambda x: K.max_pool2d_forward(x, POOL)),
    ("avg_pool2d_forward", lambda x: K.avg_pool2d_forward(x, POOL)),
    ("global_avg_pool2d_forward", K.global_avg_pool2d_forward),
])
def test_x_must_be_a_4d_float_array(name, call):
    raises(ValueError, lambda: call(X[0]), name, "x", "4-D", "(3, 6, 5)")
    raises(ValueError, lambda: call(X[None]), "x", "(1, 2, 3, 6, 5)")
    raises(TypeError, lambda: call(X.astype(np.int64)), "x", "float32 or float64", "int64")
    raises(TypeError, lambda: call(X.astype(np.float16)), "x", "float16")
    raises(TypeError, lambda: call(X.tolist()), "x", "numpy.ndarray", "list")
    raises(ValueError, lambda: call(X[:, :0]), "x", "(2, 0, 6, 5)")


def test_weight_shapes():
    raises(ValueError, lambda: K.depthwise_forward(X, WD[0], G3), "w", "(1, 3, 3)")
    raises(ValueError, lambda: K.depthwise_forward(X, WD[:4], G3), "w", "(4, 1, 3, 3)", "3 input channels")
    raises(ValueError, lambda: K.depthwise_forward(X, WC[:3], G3), "w shape (3, 3, 3, 3)", "w.shape[1] must be 1")
    raises(ValueError, lambda: K.conv2d_forward(X, WC[:, :2], G3), "w has 2 input channels", "(4, 2, 3, 3)",
           "(2, 3, 6, 5)")
    raises(ValueError, lambda: K.pointwise_forward(X, WP[:, :2]), "w has 2 input channels", "(2, 3, 6, 5)")
    raises(ValueError, lambda: K.pointwise_forward(X, WC), "(O, C, 1, 1)", "(4, 3, 3, 3)")
    raises(ValueError, lambda: K.conv2d_backward_input(GY, WC[0], G3), "w", "(3, 3, 3)")


def test_dtypes_must_match():
    raises(TypeError, lambda: K.depthwise_forward(X.astype(np.float32), WD, G3), "x and w", "float32", "float64")
    raises(TypeError, lambda: K.conv2d_forward(X, WC.astype(np.float32), G3), "same dtype")
    raises(TypeError, lambda: K.pointwise_backward_weight(X, GY.astype(np.float32)), "x and gy")
    raises(TypeError, lambda: K.conv2d_backward_input(GY.astype(np.float32), WC, G3), "gy and w")
    raises(TypeError, lambda: K.depthwise_backward_input(GYD, WD.astype(np.int32), G3, 3), "w", "int32")


def test_geometry_must_match_the_arrays():
    raises(TypeError, lambda: K.conv2d_forward(X, WC, (6, 5)), "g must be a ConvGeometry", "tuple")
    g_other = K.conv_geometry("test", (7, 5), 3, 1, 1)
    raises(ValueError, lambda: K.conv2d_forward(X, WC, g_other), "(6, 5)", "in_hw=(7, 5)")
    raises(ValueError, lambda: K.depthwise_forward(X, WD[:, :, :2], G3), "(2, 3) kernel", "kernel_hw=(3, 3)")
    g_wide = K.conv_geometry("test", (6, 5), 3, 1, 2)  # padding 2 > kernel // 2: a window of padding only
    raises(ValueError, lambda: K.max_pool2d_forward(X, g_wide), "pooling geometry", "pool_geometry")
    g_dilated = K.conv_geometry("test", (6, 5), 2, 1, 0, 2)
    raises(ValueError, lambda: K.avg_pool2d_backward(GY[:, :3, :4, :3], g_dilated), "dilation (2, 2)")


def test_gradient_shapes_must_match_the_forward_output():
    raises(ValueError, lambda: K.conv2d_backward_input(GY[:, :3], WC, G3), "gy", "(2, 4, 6, 5)", "(2, 3, 6, 5)")
    raises(ValueError, lambda: K.conv2d_backward_weight(X, GY[:, :, :5], G3), "gy", "(2, 4, 6, 5)", "(2, 4, 5, 5)")
    raises(ValueError, lambda: K.conv2d_backward_weight(X[:1], GY, G3), "gy", "(1, 4, 6, 5)")
    raises(ValueError, lambda: K.depthwise_backward_input(GY, WD, G3, in_channels=3), "gy", "(2, 6, 6, 5)")
    raises(ValueError, lambda: K.depthwise_backward_input(GYD, WD, G3, in_channels=4), "w", "4 input channels")
    raises(TypeError, lambda: K.depthwise_backward_input(GYD, WD, G3, in_channels=3.0), "in_channels")
    raises(ValueError, lambda: K.depthwise_backward_weight(X, GY, G3), "gy", "C·m channels", "(2, 4, 6, 5)")
    raises(ValueError, lambda: K.pointwise_backward_input(GY[:, :3], WP), "gy", "O=4", "(2, 3, 6, 5)")
    raises(ValueError, lambda: K.pointwise_backward_weight(X, GY[:, :, :4]), "gy", "(2, 4, 4, 5)")
    gy_pool = rng.standard_normal((2, 3) + POOL.out_hw)
    raises(ValueError, lambda: K.avg_pool2d_backward(gy_pool[:, :, :2], POOL), "gy", "(2, 3, 2, 2)")
    _, argmax = K.max_pool2d_forward(X, POOL)
    raises(ValueError, lambda: K.max_pool2d_backward(gy_pool[:, :, :2], argmax, POOL), "gy")
    raises(ValueError, lambda: K.max_pool2d_backward(gy_pool, argmax.astype(np.int32), POOL), "argmax", "int32")
    raises(ValueError, lambda: K.max_pool2d_backward(gy_pool, argmax[:1], POOL), "argmax", "(1, 3, 3, 2)")
    raises(ValueError, lambda: K.max_pool2d_backward(gy_pool, argmax + 30, POOL), "argmax", "[0, 30)")
    raises(ValueError, lambda: K.global_avg_pool2d_backward(X, (6, 5)), "gy", "(N, C)", "(2, 3, 6, 5)")
    raises(ValueError, lambda: K.bias_backward(X[0]), "bias_backward", "gy", "(3, 6, 5)")


def test_any_memory_layout_is_accepted_and_the_dtype_is_kept():
    x32 = np.asfortranarray(X.astype(np.float32))
    x_view = np.ascontiguousarray(np.transpose(X, (0, 1, 3, 2))).transpose(0, 1, 3, 2)  # strided view
    for x in (x32, x_view, X[:, :, ::-1]):
        w = WC.astype(x.dtype)[:, :, ::-1]  # negative strides too
        y = K.conv2d_forward(x, w, G3)
        assert y.dtype == x.dtype and y.flags.c_contiguous
        np.testing.assert_allclose(y, K.conv2d_forward_reference(np.array(x), np.array(w), G3), rtol=1e-5,
                                   atol=1e-5)
        assert K.depthwise_forward(x, WD.astype(x.dtype), G3).dtype == x.dtype
        assert K.pointwise_backward_weight(x, GY.astype(x.dtype)).dtype == x.dtype


def test_empty_batch():
    x0 = np.zeros((0, 3, 6, 5))
    assert K.conv2d_forward(x0, WC, G3).shape == (0, 4, 6, 5)
    assert np.array_equal(K.conv2d_backward_weight(x0, np.zeros((0, 4, 6, 5)), G3), np.zeros_like(WC))
    assert np.array_equal(K.depthwise_backward_weight(x0, np.zeros((0, 6, 6, 5)), G3), np.zeros_like(WD))
    assert K.pointwise_forward(x0, WP).shape == (0, 4, 6, 5)


def test_hand_made_geometry_must_be_consistent():
    bad_out = G3._replace(out_hw=(9, 9))
    raises(ValueError, lambda: K.conv2d_forward(X, WC, bad_out), "inconsistent", "out_hw=(9, 9)")
    bad_stride = G3._replace(stride=(0, 1))
    raises(ValueError, lambda: K.depthwise_forward(X, WD, bad_stride), "not a valid geometry", "stride")
