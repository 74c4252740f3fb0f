"""Reductions over ``axis`` (None = all axes, an int, or a tuple), with ``keepdims``.

Backward re-inserts the reduced axes (size 1) and broadcasts gy back to the input's shape.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function


def normalize_axis(op: str, axis, ndim: int) -> tuple[int, ...]:
    """axis (None | int | tuple) -> sorted tuple of non-negative axes, or a ValueError."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)) or isinstance(a, bool):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for an input with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def expand_reduced(gy: np.ndarray, in_shape: tuple, axes: tuple, keepdims: bool) -> np.ndarray:
    """Reshape gy so that it broadcasts against the input: reduced axes become size 1."""
    if not keepdims:
        kept = [1 if a in axes else n for a, n in enumerate(in_shape)]
        gy = gy.reshape(kept)
    return gy


class Sum(Function):
    """y = Σ_axis a.   ga[...] = gy broadcast over the summed axes."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=None, keepdims=False):
        axes = normalize_axis("sum", axis, a.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        return np.asarray(a.sum(axis=axes, keepdims=keepdims))

    @staticmethod
    def backward(ctx: Context, gy):
        g = expand_reduced(gy, ctx.in_shape, ctx.axes, ctx.keepdims)
        return (np.broadcast_to(g, ctx.in_shape).copy(),)


class Mean(Function):
    """y = (1/K) Σ_axis a, K = number of reduced elements.   ga = gy / K broadcast over the axes."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=None, keepdims=False):
        axes = normalize_axis("mean", axis, a.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdims = a.shape, axes, keepdims
        ctx.count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
        return np.asarray(a.mean(axis=axes, keepdims=keepdims), dtype=a.dtype)

    @staticmethod
    def backward(ctx: Context, gy):
        g = expand_reduced(gy, ctx.in_shape, ctx.axes, ctx.keepdims) / ctx.count
        return (np.broadcast_to(g, ctx.in_shape).astype(gy.dtype),)


def _extremum(ctx: Context, a, name: str, axis, keepdims):
    """Max/Min's shared forward: y = a.max or a.min over ``axis``; saves (a, y) for the tie rule."""
    axes = normalize_axis(name, axis, a.ndim)
    if a.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor of shape {a.shape}")
    y = np.asarray(getattr(a, name)(axis=axes, keepdims=keepdims))
    ctx.save_for_backward(a, y)
    ctx.axes, ctx.keepdims = axes, keepdims
    return y


class Max(Function):
    """y = max_axis a.   ga = gy · [a == y] / (number of ties), so tied maxima share the gradient."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=None, keepdims=False):
        return _extremum(ctx, a, "max", axis, keepdims)

    @staticmethod
    def backward(ctx: Context, gy):
        a, y = ctx.saved
        y_k = expand_reduced(y, a.shape, ctx.axes, ctx.keepdims)
        g_k = expand_reduced(gy, a.shape, ctx.axes, ctx.keepdims)
        mask = (a == y_k).astype(a.dtype)
        ties = mask.sum(axis=ctx.axes, keepdims=True)
        return (g_k * mask / ties,)


class Min(Function):
    """y = min_axis a.   ga = gy · [a == y] / (number of ties), so tied minima share the gradient."""

    @staticmethod
    def forward(ctx: Context, a, *, axis=None, keepdims=False):
        return _extremum(ctx, a, "min", axis, keepdims)

    backward = staticmethod(Max.backward)  # the same rule: the gradient goes to the entries equal to y


class Var(Function):
    """y = Σ_axis (a - ā)² / (K - correction), ā the mean over the K reduced elements.

    ga = gy · 2·(a - ā) / (K - correction)   (the ā term sums to zero over the axes).
    correction = 1 (the unbiased estimate) is torch's default; K - correction <= 0 gives inf/NaN, as torch.
    """

    @staticmethod
    def forward(ctx: Context, a, *, axis=None, keepdims=False, correction=1):
        axes = normalize_axis("var", axis, a.ndim)
        if isinstance(correction, bool) or not isinstance(correction, (int, float, np.integer, np.floating)) or correction < 0:
            raise TypeError(f"var: correction must be a number >= 0, got {correction!r}")
        count = int(np.prod([a.shape[i] for i in axes])) if axes else 1
        d = a - a.mean(axis=axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            y = np.asarray((d * d).sum(axis=axes, keepdims=keepdims) / max(count - correction, 0), dtype=a.dtype)
        ctx.save_for_backward(d)
        ctx.axes, ctx.keepdims, ctx.denom = axes, keepdims, max(count - correction, 0)
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        (d,) = ctx.saved
        g = expand_reduced(gy, d.shape, ctx.axes, ctx.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((g * 2 * d / ctx.denom).astype(d.dtype, copy=False),)
