"""gradcheck itself: it passes good ops, catches a broken one, and reports clearly."""

import numpy as np
import pytest

from minisep import Function, GradcheckError, Tensor, gradcheck


class BrokenSquare(Function):
    """y = a²; the backward is deliberately wrong (returns a instead of 2a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, gy):
        (a,) = ctx.saved
        return (gy * a,)


def test_catches_a_broken_backward_in_full_mode():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: BrokenSquare.apply(a), [x])
    report = info.value.report
    assert not report.passed
    check = report.inputs[0]
    assert check.worst_index == (2,)  # |2a - a| is largest at a = 3
    assert np.isclose(check.numeric_at_worst / check.analytic_at_worst, 2.0, rtol=1e-5)
    assert "NO" in str(report)


def test_catches_a_broken_backward_in_direction_mode():
    x = Tensor(np.random.default_rng(0).standard_normal((20, 20)), requires_grad=True)
    with pytest.raises(GradcheckError):
        gradcheck(lambda a: BrokenSquare.apply(a), [x], mode="direction")


def test_passes_good_ops_and_returns_a_report():
    rng = np.random.default_rng(0)
    a = Tensor(rng.standard_normal((3, 4)), requires_grad=True)
    b = Tensor(rng.standard_normal((4,)), requires_grad=False)
    report = gradcheck(lambda a, b: (a * b).tanh().sum(axis=0), [a, b], names=["a", "b"])
    assert report.passed and len(report.inputs) == 1 and report.inputs[0].name == "a"
    assert report.inputs[0].abs_error.shape == (3, 4)
    assert "max abs err" in str(report)
    assert gradcheck(lambda a: (a @ a.T).exp().sum(), [a], mode="direction").passed


def test_refuses_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, [Tensor(np.ones(3, np.float32), requires_grad=True)])


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, [Tensor(np.ones(3))])


def test_can_report_without_raising():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    report = gradcheck(lambda a: BrokenSquare.apply(a), [x], raise_exception=False)
    assert not report and np.isclose(report.inputs[0].max_rel_error, 0.5, rtol=1e-4)  # (a - 2a) / 2a
