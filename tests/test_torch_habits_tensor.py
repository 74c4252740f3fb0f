"""PyTorch habits on Tensor and autograd: in-place ops, torch's shape names, comparisons, dtypes, grad mode."""

import threading

import numpy as np
import pytest

import minisep as ms
from minisep import nn


def test_inplace_update_under_no_grad_changes_parameters():
    model = nn.Linear(3, 2, rng=0)
    model(ms.tensor(np.ones((1, 3), np.float32))).sum().backward()
    before = [p.data.copy() for p in model.parameters()]
    with ms.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for b, p in zip(before, model.parameters()):
        assert not np.allclose(b, p.data) and p._version == 1
    assert isinstance(model.weight, nn.Parameter) and "weight" in dict(model.named_parameters())


def test_inplace_on_leaf_requiring_grad_raises_and_plain_tensor_works():
    y = ms.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad"):
        y += 1
    t = ms.tensor([1.0, 2.0])
    t += 1; t *= 2; t -= 1; t /= 2
    np.testing.assert_allclose(t.data, [1.5, 2.5])
    t[0] = 7
    assert t.data[0] == 7 and t._version == 5
    t.zero_().add_(3).mul_(2)
    np.testing.assert_allclose(t.data, [6, 6])
    t.fill_(1.5).copy_(np.array([4, 5]))
    np.testing.assert_allclose(t.clamp_(max=4.5).data, [4, 4.5])
    assert ms.tensor([1.0]).requires_grad_().requires_grad


def test_version_check_refuses_stale_saved_array():
    w = ms.tensor([2.0], requires_grad=True)
    x = ms.tensor([3.0])
    y = (x * w).sum()
    x += 1
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()
    z = (x + w).sum()  # Add saves nothing: an in-place change afterwards is harmless
    x += 1
    z.backward()


def test_torch_transpose_permute_T_mT():
    a = ms.tensor(np.arange(6.0).reshape(2, 3))
    assert a.transpose(0, 1).shape == (3, 2)
    b = ms.tensor(np.zeros((2, 3, 4)))
    assert b.transpose(0, 2).shape == (4, 3, 2) and b.permute(2, 0, 1).shape == (4, 2, 3)
    assert b.mT.shape == (2, 4, 3) and b.T.shape == (4, 3, 2)
    with pytest.raises(IndexError, match="dim 3"):
        b.transpose(0, 3)


def test_comparisons_conversions_and_hash():
    x = ms.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    assert ((x > 0).data == [False, False, True]).all() and not (x > 0).requires_grad
    assert (x == x).data.all() and x.ge(0).data.tolist() == [False, True, True]
    assert (x == None) is False  # noqa: E711
    assert not bool(ms.tensor([0.0])) and float(ms.tensor([2.5])) == 2.5 and int(ms.tensor(3.0)) == 3
    with pytest.raises(ValueError, match="one-element"):
        bool(x)
    assert np.asarray(x).dtype == np.float32 and np.asarray(x, dtype=np.float64).dtype == np.float64
    assert len({x, x}) == 1 and len(x) == 3
    with pytest.raises(TypeError, match="0-d"):
        len(ms.tensor(1.0))
    assert list(range(5))[ms.tensor(np.array(2))] == 2


def test_where_gradients():
    a = ms.tensor([1.0, 2.0], requires_grad=True)
    b = ms.tensor([3.0, 4.0], requires_grad=True)
    ms.where(a > 1.5, a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [0, 1]); np.testing.assert_array_equal(b.grad, [1, 0])


def test_numpy_operands_follow_torch_dtype_rules():
    t = ms.tensor([1.0])
    assert (t + np.array([1])).dtype == np.float32
    assert (np.array([1]) * t).dtype == np.float32
    assert (t + np.float64(2)).dtype == np.float32
    assert (t + np.array([1.0])).dtype == np.float64  # an ndarray counts as a tensor, as torch
    assert (ms.tensor(np.arange(3)) + t).dtype == np.float32
    with pytest.raises(TypeError, match="None"):
        t + None
    with pytest.raises(TypeError, match="data"):
        ms.tensor(None)
    with pytest.raises(TypeError, match="dtype"):
        ms.zeros(2, dtype="banana")


def test_dim_keepdim_and_shape_api():
    x = ms.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(dim=1, keepdim=True).shape == (2, 1, 4) and x.mean(1).shape == (2, 4)
    v, i = x.max(dim=2)
    assert v.shape == (2, 3) and i.dtype == np.int64 and x.max(axis=2).shape == (2, 3)
    assert x.argmax(dim=1, keepdim=True).shape == (2, 1, 4)
    assert x.size() == (2, 3, 4) and x.size(-1) == 4 and x.numel() == 24 and x.dim() == 3
    assert x.flatten(1).shape == (2, 12) and x.flatten(0, 1).shape == (6, 4)
    with pytest.raises(IndexError, match="dim 4"):
        x.flatten(4)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(0).squeeze(0).shape == (2, 3, 4)
    assert x.view(6, 4).shape == (6, 4) and ms.cat([x, x], dim=1).shape == (2, 6, 4)
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64 and x.to(np.float32).dtype == np.float32
    np.testing.assert_allclose(ms.tensor([1.0, 2.0, 3.0]).var().item(), 1.0)
    np.testing.assert_allclose(ms.tensor([-2.0, 3.0]).abs().clamp(0, 2.5).data, [2, 2.5])


def test_factories():
    ms.manual_seed(0); a = ms.randn(2, 3)
    ms.manual_seed(0); b = ms.randn(2, 3)
    np.testing.assert_array_equal(a.data, b.data)
    assert ms.zeros(2, 3).dtype == np.float32 and ms.ones((2,), requires_grad=True).requires_grad
    assert ms.arange(5).dtype == np.int64 and ms.arange(0, 1, 0.5).dtype == np.float32
    arr = np.ones(2); assert ms.from_numpy(arr).data is arr
    assert ms.zeros_like(a).shape == (2, 3)


def test_bare_no_grad_decorator_and_per_thread_flag():
    x = ms.tensor([1.0], requires_grad=True)

    @ms.no_grad
    def f(t):
        return t * 2

    assert f(x).grad_fn is None and ms.is_grad_enabled()
    entered, release, seen = threading.Event(), threading.Event(), []

    def other():
        with ms.no_grad():
            entered.set(); release.wait(5)

    th = threading.Thread(target=other); th.start(); entered.wait(5)
    seen.append(ms.is_grad_enabled()); release.set(); th.join()
    assert seen == [True] and ms.is_grad_enabled()


def test_matmul_1d_and_pow_corner_gradients():
    torch = pytest.importorskip("torch")
    a, b = ms.tensor([1.0, 2.0], requires_grad=True), ms.tensor([3.0, 4.0], requires_grad=True)
    (a @ b).backward()
    np.testing.assert_array_equal(a.grad, [3, 4]); np.testing.assert_array_equal(b.grad, [1, 2])
    base, expo = [0.0, 0.0, -2.0, 0.0, 0.0], [0.0, 1.0, 3.0, -1.0, 2.0]
    x, e = ms.tensor(base, requires_grad=True), ms.tensor(expo, requires_grad=True)
    (x ** e).sum().backward()
    tx, te = torch.tensor(base, requires_grad=True), torch.tensor(expo, requires_grad=True)
    (tx ** te).sum().backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy()); np.testing.assert_array_equal(e.grad, te.grad.numpy())
    z = ms.tensor([0.0], requires_grad=True); (z ** 0).sum().backward()
    assert z.grad[0] == 0


def test_functional_flatten_validates_its_dims():
    import minisep.nn.functional as F
    x = ms.tensor(np.zeros((2, 3, 4, 5), np.float32))
    assert F.flatten(x).shape == (2, 60)
    with pytest.raises(IndexError):
        F.flatten(x, 4)  # would have merged the batch axis


# ---- % and // (values only, no silent detach) ---------------------------------------------------
def test_remainder_and_floor_divide_as_torch_values():
    y = ms.from_numpy(np.array([1, 12, 3, 14]))
    np.testing.assert_array_equal((y % 10).data, [1, 2, 3, 4])
    np.testing.assert_array_equal((7 % y).data, [0, 7, 1, 7])
    np.testing.assert_array_equal((y // 3).data, [0, 4, 1, 4])
    assert (ms.tensor([7.5]) % 2).dtype == np.float32
    with pytest.raises(TypeError, match="no gradient for %"):
        ms.tensor([1.0], requires_grad=True) % 2
    with ms.no_grad():
        assert float(ms.tensor([5.0], requires_grad=True) // 2) == 2.0


def test_inplace_float_into_int_tensor_is_a_type_error_as_torch():
    t = ms.tensor(np.array([1, 2, 3]))
    with pytest.raises(TypeError, match=r"\+=: cannot write a float.* into a int64 tensor in place"):
        t += 0.5
    np.testing.assert_array_equal(t.data, [1, 2, 3])
