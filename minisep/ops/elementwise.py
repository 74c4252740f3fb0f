"""Elementwise ops. Binary ops broadcast like numpy; backward undoes it with ``unbroadcast``.

Letters: inputs a, b; output y; upstream gradient gy = dL/dy; ga = dL/da, gb = dL/db.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function, unbroadcast
from ..kernels.activation import relu_backward, relu_forward
from ..tensor import Tensor, promote_pair  # Tensor exists already when tensor.py imports the ops


def broadcast_shape(op: str, a: np.ndarray, b: np.ndarray) -> tuple:
    """The broadcast shape of a and b, or a ValueError naming both shapes."""
    try:
        return np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None


class Add(Function):
    """y = a + b.   ga = unbroadcast(gy),  gb = unbroadcast(gy)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        broadcast_shape("add", a, b)
        ctx.shapes = (a.shape, b.shape)
        return a + b

    @staticmethod
    def backward(ctx: Context, gy):
        sa, sb = ctx.shapes
        return unbroadcast(gy, sa), unbroadcast(gy, sb)


class Sub(Function):
    """y = a - b.   ga = unbroadcast(gy),  gb = -unbroadcast(gy)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        broadcast_shape("sub", a, b)
        ctx.shapes = (a.shape, b.shape)
        return a - b

    @staticmethod
    def backward(ctx: Context, gy):
        sa, sb = ctx.shapes
        return unbroadcast(gy, sa), -unbroadcast(gy, sb)


class Mul(Function):
    """y = a · b.   ga = unbroadcast(gy · b),  gb = unbroadcast(gy · a)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        broadcast_shape("mul", a, b)
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx: Context, gy):
        a, b = ctx.saved
        ga = unbroadcast(gy * b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(gy * a, b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Div(Function):
    """y = a / b.   ga = unbroadcast(gy / b),  gb = unbroadcast(-gy · a / b²)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        broadcast_shape("div", a, b)
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx: Context, gy):
        a, b = ctx.saved
        ga = unbroadcast(gy / b, a.shape) if ctx.needs_input_grad[0] else None
        gb = unbroadcast(-gy * a / (b * b), b.shape) if ctx.needs_input_grad[1] else None
        return ga, gb


class Pow(Function):
    """y = a ** b.

    ga = unbroadcast(gy · b · a^(b-1)), with 0 where b == 0 (so d(a**0)/da = 0 even at a = 0);
    gb = unbroadcast(gy · y · log a), with 0 where a == 0 and b >= 0 (a**b is flat in b there).
    Negative a gives log a = NaN, so gb is NaN there, and 0**b with b < 0 gives inf: both as torch.
    """

    @staticmethod
    def forward(ctx: Context, a, b):
        broadcast_shape("pow", a, b)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0**-1 = inf, (-1)**0.5 = nan: as torch, silently
            y = np.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        a, b, y = ctx.saved
        ga = gb = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ctx.needs_input_grad[0]:
                ga = unbroadcast(gy * np.where(b == 0, 0, b * np.power(a, b - 1)).astype(y.dtype, copy=False), a.shape)
            if ctx.needs_input_grad[1]:
                y_log_a = np.where((a == 0) & (b >= 0), 0, y * np.log(a)).astype(y.dtype, copy=False)
                gb = unbroadcast(gy * y_log_a, b.shape)
        return ga, gb


class Neg(Function):
    """y = -a.   ga = -gy."""

    @staticmethod
    def forward(ctx: Context, a):
        return -a

    @staticmethod
    def backward(ctx: Context, gy):
        return (-gy,)


class Exp(Function):
    """y = exp(a).   ga = gy · y."""

    @staticmethod
    def forward(ctx: Context, a):
        y = np.exp(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (gy * y,)


class Log(Function):
    """y = log(a).   ga = gy / a."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.save_for_backward(a)
        return np.log(a)

    @staticmethod
    def backward(ctx: Context, gy):
        (a,) = ctx.saved
        return (gy / a,)


class Sqrt(Function):
    """y = √a.   ga = gy / (2·y)."""

    @staticmethod
    def forward(ctx: Context, a):
        y = np.sqrt(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (gy / (2 * y),)


class Tanh(Function):
    """y = tanh(a).   ga = gy · (1 - y²)."""

    @staticmethod
    def forward(ctx: Context, a):
        y = np.tanh(a)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (gy * (1 - y * y),)


class Sigmoid(Function):
    """y = 1 / (1 + exp(-a)) (computed stably on both signs).   ga = gy · y · (1 - y)."""

    @staticmethod
    def forward(ctx: Context, a):
        e = np.exp(-np.abs(a))  # never overflows
        y = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (gy * y * (1 - y),)


class ReLU(Function):
    """y = max(a, 0).   ga = gy · [a > 0]   (the subgradient at 0 is 0; a NaN stays NaN: both as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, a):
        y = relu_forward(a)  # one jitted pass; a NaN stays NaN
        ctx.save_for_backward(y)  # [a <= 0] = [y <= 0]: no separate mask, the graph keeps y anyway
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (y,) = ctx.saved
        return (relu_backward(gy, y),)  # 0 where y <= 0, else gy


class Cast(Function):
    """y = a converted to ``dtype``.   ga = gy converted back to a's dtype."""

    @staticmethod
    def forward(ctx: Context, a, *, dtype):
        ctx.dtype = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx: Context, gy):
        return (gy.astype(ctx.dtype),)


class Clone(Function):
    """y = a copy of a (new memory).   ga = gy."""

    @staticmethod
    def forward(ctx: Context, a):
        return a.copy()

    @staticmethod
    def backward(ctx: Context, gy):
        return (gy,)


class Abs(Function):
    """y = |a|.   ga = gy · sign(a)   (sign(0) = 0, as torch)."""

    @staticmethod
    def forward(ctx: Context, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx: Context, gy):
        (a,) = ctx.saved
        return (gy * np.sign(a),)


class Clamp(Function):
    """y = min(max(a, lo), hi) (``min=lo``, ``max=hi``, either may be None).

    ga = gy · [lo <= a <= hi]   (the bounds themselves pass the gradient, as torch).
    """

    @staticmethod
    def forward(ctx: Context, a, *, min=None, max=None):
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        for name, v in (("min", min), ("max", max)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating))):
                raise TypeError(f"clamp: {name} must be a number or None, got {v!r}")
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = min, max
        return np.clip(a, min, max).astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, gy):
        (a,) = ctx.saved
        keep = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            keep &= a >= ctx.lo
        if ctx.hi is not None:
            keep &= a <= ctx.hi
        return (gy * keep,)


class Where(Function):
    """y = a where cond else b (``cond`` a bool array, broadcast with a and b).

    ga = unbroadcast(gy · [cond]),   gb = unbroadcast(gy · [not cond]).
    """

    @staticmethod
    def forward(ctx: Context, a, b, *, cond):
        cond = np.asarray(getattr(cond, "data", cond))
        if cond.dtype != np.bool_:
            raise TypeError(f"where: condition must be a bool tensor or array, got dtype {cond.dtype}")
        try:
            np.broadcast_shapes(cond.shape, a.shape, b.shape)
        except ValueError:
            raise ValueError(f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} cannot be broadcast together") from None
        ctx.cond, ctx.shapes = cond, (a.shape, b.shape)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx: Context, gy):
        sa, sb = ctx.shapes
        zero = np.zeros((), dtype=gy.dtype)
        return unbroadcast(np.where(ctx.cond, gy, zero), sa), unbroadcast(np.where(ctx.cond, zero, gy), sb)


def where(cond, a, b):
    """``where(cond, a, b)``: a where cond is True, else b; differentiable in a and b.

    A Python number takes the dtype of the other operand (``where(x > 0, x, 0.0)`` stays float32).
    """
    if cond is None or a is None or b is None:
        raise TypeError("where: cond, a and b must be Tensors, ndarrays or numbers, got None")
    if isinstance(a, Tensor):
        a, b = promote_pair(a, b, "where")
    elif isinstance(b, Tensor):
        a, b = promote_pair(b, a, "where", reflected=True)
    return Where.apply(a, b, cond=cond)
