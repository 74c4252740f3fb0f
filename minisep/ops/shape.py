"""Shape ops: they move numbers around, so backward moves the gradient back the same way."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function


class Reshape(Function):
    """y = a viewed with ``shape`` (one entry may be -1).   ga = gy reshaped back to a.shape."""

    @staticmethod
    def forward(ctx: Context, a, *, shape):
        try:
            y = a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape an input of shape {a.shape} ({a.size} elements) into {tuple(shape)}") from None
        ctx.in_shape = a.shape
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        return (gy.reshape(ctx.in_shape),)


def flatten(x, start_dim: int = 0):
    """Merge dims start_dim..end into one: (N,C,H,W), start_dim=1 -> (N, C·H·W)."""
    start = start_dim % max(x.ndim, 1)
    return Reshape.apply(x, shape=tuple(x.shape[:start]) + (-1,))


class Transpose(Function):
    """y = a with axes permuted: y.shape[k] = a.shape[axes[k]] (axes None reverses them).

    ga = gy permuted by the inverse permutation argsort(axes).
    """

    @staticmethod
    def forward(ctx: Context, a, *, axes=None):
        axes = tuple(range(a.ndim))[::-1] if axes is None else tuple(int(k) for k in axes)
        if sorted(k % max(a.ndim, 1) for k in axes) != list(range(a.ndim)):
            raise ValueError(f"permute: axes {axes} are not a permutation of the {a.ndim} axes of shape {a.shape}")
        ctx.axes = axes
        return a.transpose(axes)

    @staticmethod
    def backward(ctx: Context, gy):
        return (gy.transpose(np.argsort([k % gy.ndim for k in ctx.axes])),)


class GetItem(Function):
    """y = a[index] (slices, ints, None, Ellipsis, integer or boolean arrays).

    ga = zeros like a, then ga[index] += gy with ``np.add.at``, so an element picked twice
    by an integer array gets both gradients (scatter-add).
    """

    @staticmethod
    def forward(ctx: Context, a, *, index):
        index = _unwrap_index(index)
        try:
            y = a[index]
        except IndexError as e:
            raise IndexError(f"getitem: {e} (input shape {a.shape})") from None
        ctx.in_shape, ctx.index = a.shape, index
        return np.array(y, copy=True) if np.ndim(y) else np.asarray(y)

    @staticmethod
    def backward(ctx: Context, gy):
        ga = np.zeros(ctx.in_shape, dtype=gy.dtype)
        np.add.at(ga, ctx.index, gy)
        return (ga,)


def _unwrap_index(index):
    """Tensors used as indices become their arrays."""
    from ..tensor import Tensor

    if isinstance(index, tuple):
        return tuple(_unwrap_index(k) for k in index)
    return index.data if isinstance(index, Tensor) else index


class Pad(Function):
    """y = a zero-padded by ``pad_width`` ((before, after) per axis, as np.pad).   ga = gy cropped back."""

    @staticmethod
    def forward(ctx: Context, a, *, pad_width, value=0.0):
        pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (a.ndim, 2)) if np.ndim(pad_width) < 2 else np.asarray(pad_width)
        if pw.shape != (a.ndim, 2) or (pw < 0).any():
            raise ValueError(f"pad: pad_width must be non-negative (before, after) pairs for each of the {a.ndim} axes, got {pad_width!r}")
        ctx.crop = tuple(slice(int(b), int(b) + n) for (b, _), n in zip(pw, a.shape))
        return np.pad(a, pw, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx: Context, gy):
        return (np.ascontiguousarray(gy[ctx.crop]),)


class Concatenate(Function):
    """y = [a_0, a_1, ...] joined along ``axis``.   ga_k = the slice of gy that came from a_k."""

    @staticmethod
    def forward(ctx: Context, *arrays, axis=0):
        if not arrays:
            raise ValueError("concatenate: needs at least one tensor")
        try:
            y = np.concatenate(arrays, axis=axis)
        except ValueError:
            shapes = [a.shape for a in arrays]
            raise ValueError(f"concatenate: shapes {shapes} differ outside axis {axis}") from None
        ctx.axis = axis % y.ndim
        ctx.splits = np.cumsum([a.shape[ctx.axis] for a in arrays])[:-1]
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        return tuple(np.split(gy, ctx.splits, axis=ctx.axis))


class Stack(Function):
    """y = the inputs stacked along a new ``axis``.   ga_k = gy taken at position k of that axis."""

    @staticmethod
    def forward(ctx: Context, *arrays, axis=0):
        if not arrays:
            raise ValueError("stack: needs at least one tensor")
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"stack: all inputs must have the same shape, got {[a.shape for a in arrays]}")
        y = np.stack(arrays, axis=axis)
        ctx.axis = axis % y.ndim
        return y

    @staticmethod
    def backward(ctx: Context, gy):
        return tuple(np.moveaxis(gy, ctx.axis, 0))


def concatenate(tensors, axis: int = 0):
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors, axis: int = 0):
    return Stack.apply(*tensors, axis=axis)


def pad(x, pad_width, value: float = 0.0):
    return Pad.apply(x, pad_width=pad_width, value=value)
