"""Tensor creation, dtype rules, errors, and the backward semantics of the engine."""

import numpy as np
import pytest

import minisep as ms
from minisep import Tensor


def test_python_data_defaults_to_float32_and_ndarray_keeps_dtype():
    assert ms.tensor([1, 2, 3]).dtype == np.float32
    assert ms.tensor(2.5).dtype == np.float32
    assert ms.tensor(np.zeros(3)).dtype == np.float64
    assert ms.tensor(np.zeros(3, np.float32)).dtype == np.float32
    assert ms.tensor(np.arange(3)).dtype == np.arange(3).dtype  # integer arrays stay integer


def test_tensor_copies_ndarray_data():
    a = np.ones(3)
    t = ms.tensor(a)
    a[0] = 5
    assert t.data[0] == 1


def test_attributes_and_repr():
    t = ms.tensor([[1.0, 2.0]], requires_grad=True)
    assert t.shape == (1, 2) and t.ndim == 2 and t.is_leaf and t.requires_grad
    assert "requires_grad=True" in repr(t)
    y = (t * 2).sum()
    assert not y.is_leaf and "grad_fn=<Sum>" in repr(y)
    assert y.item() == 6.0
    assert isinstance(t.numpy(), np.ndarray)
    d = y.detach()
    assert d.is_leaf and not d.requires_grad


def test_bad_data_raises_type_error():
    with pytest.raises(TypeError, match="numeric"):
        ms.tensor(["a", "b"])
    with pytest.raises(TypeError, match="dict"):
        ms.tensor({"a": 1})
    with pytest.raises(ValueError, match="rectangular"):
        ms.tensor([[1, 2], [3]])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(TypeError, match="int64"):
        ms.tensor(np.arange(3), requires_grad=True)


def test_mismatched_shapes_name_both_shapes():
    a, b = ms.tensor(np.ones((2, 3))), ms.tensor(np.ones((4,)))
    for op in (lambda: a + b, lambda: a - b, lambda: a * b, lambda: a / b, lambda: a ** b):
        with pytest.raises(ValueError, match=r"\(2, 3\) and \(4,\)"):
            op()
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2, 3\)"):
        a @ ms.tensor(np.ones((2, 3)))


def test_item_on_non_scalar_raises():
    with pytest.raises(ValueError, match="one-element"):
        ms.tensor([1.0, 2.0]).item()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_preserved_through_ops_and_grads(dtype):
    x = Tensor(np.linspace(0.1, 1, 6, dtype=dtype).reshape(2, 3), requires_grad=True)
    w = Tensor(np.ones((3, 2), dtype=dtype), requires_grad=True)
    y = ((x * 2 + 1) / 3 - 0.5) ** 2
    z = (y @ w).tanh().sigmoid().exp().log().sqrt().relu()
    z = ms.concatenate([z, z], axis=1)[:, 1:].softmax().log_softmax()
    loss = ms.cross_entropy(z, np.array([0, 1])) + z.mean() + z.max() + (1.0 - z).sum()
    assert loss.dtype == dtype
    loss.backward()
    assert x.grad.dtype == dtype and w.grad.dtype == dtype


def test_cast_gradient_returns_to_input_dtype():
    x = Tensor(np.ones(3), requires_grad=True)
    (x.astype(np.float32) * 3).sum().backward()
    assert x.grad.dtype == np.float64 and np.allclose(x.grad, 3)


def test_fan_out_accumulates():
    x = ms.tensor([3.0], requires_grad=True)
    (x * x + x).sum().backward()  # d/dx (x² + x) = 2x + 1
    assert x.grad[0] == 7.0


def test_grads_accumulate_across_backward_calls_until_zeroed():
    x = ms.tensor([1.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * 2).sum().backward()
    assert x.grad[0] == 4.0
    x.zero_grad()
    assert x.grad is None


def test_long_chain_has_no_recursion_limit():
    x = ms.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y + 1e-4
    y.sum().backward()
    assert x.grad[0] == 1.0


def test_non_scalar_backward_needs_gradient():
    x = ms.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    (x * 2).backward(gradient=np.array([1.0, 10.0], np.float32))
    assert np.allclose(x.grad, [2, 20])
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(gradient=np.ones(3))


def test_second_backward_raises_unless_graph_retained():
    x = ms.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    assert x.grad[0] == 4.0  # never silently doubled
    x.grad = None
    z = (x * x).sum()
    z.backward(retain_graph=True)
    z.backward()
    assert x.grad[0] == 8.0  # like PyTorch: accumulates twice when asked to


def test_backward_on_constant_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ms.tensor([1.0]).sum().backward()


def test_no_grad_context_and_decorator():
    x = ms.tensor([1.0], requires_grad=True)
    with ms.no_grad():
        y = x * 2
        with ms.enable_grad():
            z = x * 2
    assert y.grad_fn is None and not y.requires_grad
    assert z.grad_fn is not None
    assert ms.is_grad_enabled()

    @ms.no_grad()
    def f(t):
        return t * 3

    assert f(x).grad_fn is None and ms.is_grad_enabled()


def test_retain_grad_and_retain_all_show_intermediate_gradients():
    x = ms.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    loss = (h * h).sum()
    loss.backward()
    assert np.allclose(h.grad, 2 * h.data)  # dL/dh = 2h
    x2 = ms.tensor([1.0, 2.0], requires_grad=True)
    a = x2 * 3
    b = a.tanh()
    loss2 = b.sum()
    loss2.backward(retain_all=True)
    assert np.allclose(b.grad, 1) and np.allclose(a.grad, 1 - np.tanh(a.data) ** 2)
    assert loss2.grad == 1


def test_graph_is_freed_after_backward():
    x = ms.tensor(np.ones(4), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    assert y.grad_fn.freed and y.grad_fn.ctx is None


def test_getitem_scatter_adds_repeated_indices():
    x = ms.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2])].sum().backward()
    assert np.allclose(x.grad, [2, 0, 1])


def test_cross_entropy_is_stable_and_validates():
    z = ms.tensor([[1000.0, 0.0], [-1000.0, 0.0]], requires_grad=True)
    loss = ms.cross_entropy(z, np.array([0, 0]))
    assert np.isfinite(loss.item()) and np.isclose(loss.item(), 500.0)
    loss.backward()
    assert np.isfinite(z.grad).all()
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        ms.cross_entropy(z, np.array([0, 2]))
    with pytest.raises(TypeError, match="integers"):
        ms.cross_entropy(z, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        ms.cross_entropy(z, np.array([0, 1, 1]))


def test_dropout_is_reproducible_and_identity_in_eval():
    x = ms.tensor(np.ones((100,)), requires_grad=True)
    a = ms.dropout(x, 0.5, rng=np.random.default_rng(3))
    b = ms.dropout(x, 0.5, rng=np.random.default_rng(3))
    assert np.array_equal(a.data, b.data) and set(np.unique(a.data)) <= {0.0, 2.0}
    assert ms.dropout(x, 0.5, training=False) is x
    ms.manual_seed(5)  # rng=None: a stream of the default generator, reproducible after manual_seed
    c = ms.dropout(x, 0.5)
    ms.manual_seed(5)
    assert np.array_equal(c.data, ms.dropout(x, 0.5).data)
    with pytest.raises(TypeError, match="rng"):
        ms.dropout(x, 0.5, rng="seed")
    with pytest.raises(ValueError, match="p must be"):
        ms.dropout(x, 1.5, rng=np.random.default_rng(0))


def test_formula_is_readable_at_run_time():
    y = ms.tensor([1.0], requires_grad=True).tanh()
    assert "1 - y²" in y.grad_fn.formula()
