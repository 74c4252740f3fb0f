"""ReLU and BatchNorm kernels: jitted vs their references (float32 and float64, edge shapes,
non-contiguous and broadcast inputs, the serial and the parallel paths), algebraic identities of the
BatchNorm gradient, and PyTorch's F.relu / F.batch_norm (training and eval, forward and backward)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minisep as ms
from minisep.kernels import activation as A
from minisep.kernels import batchnorm as B
from minisep.kernels.threads import SERIAL_WORK, VALUE_WORK
from minisep.ops import norm

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = [np.float32, np.float64]
PARALLEL_MIN = SERIAL_WORK // VALUE_WORK  # from this many values on, the elementwise kernels use the threads
BIG = PARALLEL_MIN  # at least this many values take the parallel drivers
BN_SHAPES = [(1, 1, 1, 1), (2, 1, 1, 1), (1, 3, 1, 1), (1, 1, 4, 5), (3, 1, 2, 2), (2, 3, 4, 5), (1, 2, 7, 1),
             (4, 2, 96, 90), (3, 16, 40, 40), (0, 3, 2, 2)]
RELU_SIZES = [0, 1, 7, A.BLK - 1, A.BLK, A.BLK + 1, PARALLEL_MIN - 1, PARALLEL_MIN, 3 * PARALLEL_MIN + 5]


def close(ours, ref, dtype, rtol=None):
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    tol = rtol or (2e-6 if dtype == np.float32 else 1e-12)
    np.testing.assert_allclose(ours, ref, rtol=tol, atol=tol * max(1.0, float(np.abs(ref).max(initial=0.0))))


def bn_inputs(shape, dtype, seed=0, offset=0.7):
    rng = np.random.default_rng(seed)
    C = shape[1]
    x = (rng.standard_normal(shape) * 1.7 + offset).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    gamma, beta = rng.uniform(0.5, 2.0, C).astype(dtype), rng.standard_normal(C).astype(dtype)
    return x, gy, gamma, beta


def check_bn(x, gy, gamma, beta, dtype):
    mean, var = B.bn_stats(x)
    if x.shape[0] * x.shape[2] * x.shape[3]:
        mean_r, var_r = B.bn_stats_reference(x)
        close(mean, mean_r, dtype, 4e-7 if dtype == np.float32 else None)  # float64 sums: within an ulp or so
        close(var, var_r, dtype, 4e-7 if dtype == np.float32 else None)
    inv = (1.0 / np.sqrt(var + 1e-5)).astype(dtype)
    close(B.bn_forward(x, mean, inv, gamma, beta), B.bn_forward_reference(x, mean, inv, gamma, beta), dtype)
    for batch_stats in (True, False):
        ours = B.bn_backward(gy, x, mean, inv, gamma, batch_stats)
        for a, r in zip(ours, B.bn_backward_reference(gy, x, mean, inv, gamma, batch_stats)):
            close(a, r, dtype, 2e-5 if dtype == np.float32 else 1e-10)


# ---- ReLU ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("size", RELU_SIZES)
def test_relu_equals_reference_serial_and_parallel(size, dtype):
    rng = np.random.default_rng(size)
    x = rng.standard_normal(size).astype(dtype)
    x[::11] = 0.0  # exact zeros: y = 0 and gx = 0 there (the subgradient at 0 is 0)
    gy = rng.standard_normal(size).astype(dtype)
    y = A.relu_forward(x)
    assert y.dtype == dtype and np.array_equal(y, A.relu_forward_reference(x))
    gx = A.relu_backward(gy, y)
    assert gx.dtype == dtype and np.array_equal(gx, A.relu_backward_reference(gy, y))
    assert np.array_equal(gx, np.where(x > 0, gy, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_any_shape_and_layout(dtype):
    rng = np.random.default_rng(1)
    base = rng.standard_normal((8, 6, 30, 40)).astype(dtype)
    for x in (base.transpose(0, 2, 3, 1), base[:, ::2, 1:, ::3], np.asfortranarray(base), base[0, 0, 0, 0], base[1]):
        y = A.relu_forward(x)
        assert y.shape == x.shape and np.array_equal(y, np.where(x > 0, x, 0))
        gy = np.broadcast_to(np.asarray(rng.standard_normal(), dtype), x.shape)  # as after .sum()
        assert np.array_equal(A.relu_backward(gy, y), np.where(x > 0, gy, 0).astype(dtype))


def test_relu_nan_negative_zero_and_dead_inf_gradient():
    x = np.array([np.nan, -0.0, 0.0, -np.inf, np.inf, 2.0, -3.0], np.float32)
    y = A.relu_forward(x)
    np.testing.assert_array_equal(y, [np.nan, 0, 0, 0, np.inf, 2, 0])  # a NaN stays NaN, as torch.relu
    assert not np.signbit(y[1:]).any()  # -0.0 -> +0.0
    gy = np.array([1, 2, 3, np.nan, 5, np.inf, np.inf], np.float32)
    # dead units pass 0 even for inf/NaN; the NaN unit passes its gradient (torch's threshold_backward)
    np.testing.assert_array_equal(A.relu_backward(gy, y), [1, 0, 0, 0, 5, np.inf, 0])
    for big in (PARALLEL_MIN + 3,):  # the parallel path agrees
        xb = np.resize(x, big)
        np.testing.assert_array_equal(A.relu_forward(xb), np.resize(y, big))


def test_relu_nan_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.array([np.nan, -1.0, 0.0, 2.0], np.float32)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.relu(tx)
    ty.backward(torch.ones(4))
    np.testing.assert_array_equal(A.relu_forward(x), ty.detach().numpy())
    np.testing.assert_array_equal(A.relu_backward(np.ones(4, np.float32), A.relu_forward(x)), tx.grad.numpy())


def test_relu_other_dtypes_and_bad_gradient():
    x = np.array([-2, 0, 3], np.int64)
    y = A.relu_forward(x)
    assert y.dtype == np.int64 and y.tolist() == [0, 0, 3]
    with pytest.raises(ValueError, match="relu_backward: gy must have"):
        A.relu_backward(np.ones(4), np.ones(3))


@SETTINGS
@given(st.lists(st.integers(0, 9), min_size=0, max_size=4), st.sampled_from(DTYPES), st.integers(0, 2**31 - 1))
def test_relu_property_any_shape(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    x, gy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    y = A.relu_forward(x)
    assert np.array_equal(y, A.relu_forward_reference(x)) and np.all(y >= 0)
    assert np.array_equal(A.relu_backward(gy, y), A.relu_backward_reference(gy, y))


def test_relu_op_saves_the_output_not_a_mask():
    x = ms.tensor(np.array([[-1.0, 2.0], [3.0, -4.0]]), requires_grad=True)
    y = x.relu()
    (saved,) = y.grad_fn.ctx.saved
    assert saved is y.data
    (y * ms.tensor(np.array([[5.0, 6.0], [7.0, 8.0]]))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 6], [7, 0]])


# ---- BatchNorm -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batchnorm_kernels_equal_references(shape, dtype):
    check_bn(*bn_inputs(shape, dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm_kernels_non_contiguous_inputs(dtype):
    x, gy, gamma, beta = bn_inputs((6, 5, 40, 36), dtype, seed=3)
    x_nc = x[::2, :, ::2, 1:]  # strided
    gy_nc = np.ascontiguousarray(gy[::2, :, ::2, 1:].transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)  # transposed
    assert x_nc.shape == gy_nc.shape and not x_nc.flags.c_contiguous and not gy_nc.flags.c_contiguous
    check_bn(x_nc, np.ascontiguousarray(gy_nc), gamma, beta, dtype)
    check_bn(np.ascontiguousarray(x_nc), gy_nc, gamma, beta, dtype)


def test_bn_stats_match_numpy_and_survive_a_large_mean():
    x = bn_inputs((64, 8, 20, 20), np.float32, seed=4, offset=1000.0)[0]  # |mean| >> std: two passes matter
    mean, var = B.bn_stats(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=(0, 2, 3)), rtol=1e-7)
    np.testing.assert_allclose(var, x64.var(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(var, x.var(axis=(0, 2, 3)), rtol=1e-4)  # numpy's own float32 result


def test_batchnorm_gradient_identities_in_training():
    """With batch statistics, gx of each channel is orthogonal to 1 and to xh: Σ gx = 0, Σ gx·xh = 0
    (the second needs Σ xh² = M, i.e. eps = 0)."""
    x, gy, gamma, _ = bn_inputs((4, 3, 9, 7), np.float64, seed=5)
    mean, var = B.bn_stats(x)
    inv = 1.0 / np.sqrt(var)
    gx, _, _ = B.bn_backward(gy, x, mean, inv, gamma, True)
    xh = (x - mean[:, None, None]) * inv[:, None, None]
    np.testing.assert_allclose(gx.sum(axis=(0, 2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose((gx * xh).sum(axis=(0, 2, 3)), 0, atol=1e-12)


@SETTINGS
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 6), st.integers(1, 6), st.sampled_from(DTYPES),
       st.integers(0, 2**31 - 1))
def test_batchnorm_kernels_property(n, c, h, w, dtype, seed):
    check_bn(*bn_inputs((n, c, h, w), dtype, seed=seed), dtype)


def test_batchnorm_kernels_validate_arguments():
    x = np.zeros((2, 3, 4, 4), np.float32)
    with pytest.raises(ValueError, match=r"bn_forward: gamma must have shape \(3,\)"):
        B.bn_forward(x, np.zeros(3), np.ones(3), np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="bn_stats: x must be 4-D"):
        B.bn_stats(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="float32 or float64"):
        B.bn_stats(x.astype(np.int32))
    with pytest.raises(ValueError, match="bn_backward: gy must have x's shape"):
        B.bn_backward(np.zeros((2, 3, 4, 3)), x, np.zeros(3), np.ones(3), np.ones(3), True)


def test_batchnorm_op_running_stats_and_mixed_dtypes():
    x, gy, gamma, beta = bn_inputs((5, 2, 3, 4), np.float32, seed=6)
    rm, rv, nbt = np.zeros(2, np.float32), np.ones(2, np.float32), np.zeros((), np.int64)
    for k in range(1, 3):  # momentum None: the cumulative average
        norm.batch_norm2d(ms.tensor(x * k), gamma, beta, rm, rv, True, momentum=None, num_batches_tracked=nbt)
    xs = np.stack([x, 2 * x]).astype(np.float64)
    np.testing.assert_allclose(rm, xs.mean(axis=(1, 3, 4)).mean(0), rtol=1e-6)
    np.testing.assert_allclose(rv, xs.var(axis=(1, 3, 4), ddof=0).mean(0) * 60 / 59, rtol=1e-6)
    with pytest.raises(TypeError, match="one float dtype"):  # as torch: no silent upcast of float32 x
        norm.batch_norm2d(ms.tensor(x), gamma.astype(np.float64), beta, None, None, True)


def test_batchnorm_op_backward_uses_the_statistics_of_its_forward():
    """Eval saves a copy of running_mean: a training step in between (which updates it in place) does not
    change ggamma = Σ gy·xh of an earlier eval forward."""
    x, gy, gamma, beta = bn_inputs((3, 2, 4, 4), np.float64, seed=9)
    rm, rv = np.array([0.3, -0.2]), np.array([1.5, 0.8])
    grads = []
    for disturb in (False, True):
        gt = ms.tensor(gamma, requires_grad=True)
        y = norm.batch_norm2d(ms.tensor(x), gt, beta, rm if disturb else rm.copy(), rv, False)
        if disturb:
            norm.batch_norm2d(ms.tensor(3 * x), gamma, beta, rm, rv, True)  # moves rm and rv in place
        y.backward(gy)
        grads.append(gt.grad)
    np.testing.assert_array_equal(grads[0], grads[1])


# ---- PyTorch -------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 4, 5, 6), (4, 8, 40, 60)])
def test_relu_matches_torch(shape, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, gy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.relu(xt)
    yt.backward(torch.tensor(gy))
    xm = ms.tensor(x, requires_grad=True)
    y = xm.relu()
    y.backward(gy)
    assert np.array_equal(y.data, yt.detach().numpy()) and np.array_equal(xm.grad, xt.grad.numpy())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 1, 3, 3), (5, 2, 1, 1), (16, 4, 32, 32)])
def test_batch_norm_matches_torch(shape, training, dtype):
    torch = pytest.importorskip("torch")
    x, gy, gamma, beta = bn_inputs(shape, dtype, seed=8)
    C = shape[1]
    rm, rv = np.linspace(-0.5, 0.5, C).astype(dtype), np.linspace(0.5, 2.0, C).astype(dtype)
    t = [torch.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    yt = torch.nn.functional.batch_norm(t[0], trm, trv, t[1], t[2], training=training, momentum=0.1, eps=1e-5)
    yt.backward(torch.tensor(gy))
    m = [ms.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    y = norm.batch_norm2d(*m, rm, rv, training, momentum=0.1, eps=1e-5)
    y.backward(gy)
    tol = 2e-5 if dtype == np.float32 else 1e-10
    for ours, theirs in [(y.data, yt), (m[0].grad, t[0].grad), (m[1].grad, t[1].grad), (m[2].grad, t[2].grad),
                         (rm, trm), (rv, trv)]:
        close(ours, theirs.detach().numpy(), dtype, tol)
