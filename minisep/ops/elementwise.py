"""Elementwise ops. Binary ops broadcast like numpy; backward undoes it with ``unbroadcast``.

Letters: inputs a, b; output y; upstream gradient gy = dL/dy; ga = dL/da, gb = dL/db.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function, unbroadcast
from ..kernels.activation import relu_backward, relu_forward


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
    """y = a ** b.   ga = unbroadcast(gy · b · a^(b-1)),  gb = unbroadcast(gy · y · log a)  (a > 0 for gb)."""

    @staticmethod
    def forward(ctx: Context, a, b):
        broadcast_shape("pow", a, b)
        y = np.power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        a, b, y = ctx.saved
        ga = unbroadcast(gy * b * np.power(a, b - 1), a.shape) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                log_a = np.where(a > 0, np.log(np.where(a > 0, a, 1)), 0).astype(y.dtype)
            gb = unbroadcast(gy * y * log_a, b.shape)
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
