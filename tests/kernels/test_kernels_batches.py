"""The kernels split a batch in ways the small hypothesis shapes of test_kernels_reference.py never
reach: canvas/dense.py stacks several small images on one canvas (the last canvas holding fewer), the
weight gradients sum fixed chunks of samples, and a batch of one splits its outputs in segments.
Here the batch, the image size and the thread count vary, and every result equals its reference."""
import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minisep.kernels as K

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def batches(draw):
    N = draw(st.integers(1, 40))
    H, W = draw(st.integers(1, 24)), draw(st.integers(1, 24))
    k = draw(st.integers(1, min(3, H, W)))
    stride = draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["same", "valid", 1]))
    C, O = draw(st.integers(1, 5)), draw(st.integers(1, 9))
    seed = draw(st.integers(0, 2**16))
    return N, C, O, H, W, k, stride, padding, seed


def close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-10 * max(1.0, np.abs(expected).max(initial=0)))


@SETTINGS
@given(batches())
def test_dense_and_depthwise_kernels_over_batches(case):
    N, C, O, H, W, k, stride, padding, seed = case
    if padding == 1 and k == 1:
        padding = 0
    g = K.conv_geometry("test", (H, W), k, stride, padding, 1)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    w = rng.standard_normal((O, C, k, k))
    gy = rng.standard_normal((N, O) + g.out_hw)
    close(K.conv2d_forward(x, w, g), K.conv2d_forward_reference(x, w, g))
    close(K.conv2d_backward_input(gy, w, g), K.conv2d_backward_input_reference(gy, w, g))
    close(K.conv2d_backward_weight(x, gy, g), K.conv2d_backward_weight_reference(x, gy, g))
    wp, gyp = w[:, :, :1, :1].copy(), rng.standard_normal((N, O, H, W))
    close(K.pointwise_forward(x, wp), K.pointwise_forward_reference(x, wp))
    close(K.pointwise_backward_input(gyp, wp), K.pointwise_backward_input_reference(gyp, wp))
    close(K.pointwise_backward_weight(x, gyp), K.pointwise_backward_weight_reference(x, gyp))
    wd = rng.standard_normal((C * 2, 1, k, k))
    gyd = rng.standard_normal((N, C * 2) + g.out_hw)
    close(K.depthwise_forward(x, wd, g), K.depthwise_forward_reference(x, wd, g))
    close(K.depthwise_backward_input(gyd, wd, g, C), K.depthwise_backward_input_reference(gyd, wd, g, C))
    close(K.depthwise_backward_weight(x, gyd, g), K.depthwise_backward_weight_reference(x, gyd, g))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("N", [1, 2, 33])
def test_results_do_not_depend_on_the_thread_count(N, threads):
    """Each output is computed the same way whatever the split: bit-identical across thread counts."""
    rng = np.random.default_rng(N)
    x = rng.standard_normal((N, 8, 12, 12)).astype(np.float32)
    w = rng.standard_normal((16, 8, 3, 3)).astype(np.float32)
    g = K.conv_geometry("test", (12, 12), 3, 1, "same", 1)
    gy = rng.standard_normal((N, 16, 12, 12)).astype(np.float32)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        serial = (K.conv2d_forward(x, w, g), K.conv2d_backward_input(gy, w, g), K.conv2d_backward_weight(x, gy, g))
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        parallel = (K.conv2d_forward(x, w, g), K.conv2d_backward_input(gy, w, g), K.conv2d_backward_weight(x, gy, g))
    finally:
        numba.set_num_threads(before)
    for a, b in zip(serial, parallel):
        np.testing.assert_array_equal(a, b)
