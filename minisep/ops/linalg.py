"""Matrix product with numpy's ``@`` semantics (1-D operands, batched broadcasting)."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function, unbroadcast


class MatMul(Function):
    """y = a @ b, i.e. y[..., r, t] = Σ_s a[..., r, s]·b[..., s, t].

    ga = gy @ bᵀ  (summed over broadcast batch axes),   gb = aᵀ @ gy.
    A 1-D a is treated as a row (1, S) and a 1-D b as a column (S, 1), then squeezed back;
    two 1-D operands give the dot product y = Σ_s a[s]·b[s], with ga = gy·b and gb = gy·a.
    """

    @staticmethod
    def forward(ctx: Context, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: both operands need at least 1 dimension, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                f"(a's last dim {a.shape[-1]} != b's {'second-to-last' if b.ndim > 1 else 'only'} dim)"
            )
        try:
            y = np.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dims of shapes {a.shape} and {b.shape} cannot be broadcast") from None
        ctx.save_for_backward(a, b)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        a, b = ctx.saved
        if a.ndim == 1 and b.ndim == 1:                 # dot product: gy is 0-d
            return (gy * b if ctx.needs_input_grad[0] else None), (gy * a if ctx.needs_input_grad[1] else None)
        a2 = a[None, :] if a.ndim == 1 else a          # (S,) -> (1, S)
        b2 = b[:, None] if b.ndim == 1 else b          # (S,) -> (S, 1)
        g2 = gy
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)                 # restore the row axis
        if b.ndim == 1:
            g2 = np.expand_dims(g2, -1)                 # restore the column axis
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return ga, gb
