"""Shape ops: they move numbers around, so backward moves the gradient back the same way."""

from __future__ import annotations

import numpy as np

from ..autograd import Context, Function
from ..tensor import Tensor, _dim  # Tensor exists already when tensor.py imports the ops


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


def flatten(x, start_dim: int = 0, end_dim: int = -1):
    """Merge dims start_dim..end_dim (inclusive) into one: (N,C,H,W), start_dim=1 -> (N, C·H·W).

    An out-of-range dim is an IndexError naming it (it never wraps round to the batch axis).
    """
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    start, end = _dim(start_dim, x.ndim, "flatten"), _dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (input has {x.ndim} dims)")
    merged = int(np.prod(x.shape[start:end + 1]))
    return Reshape.apply(x, shape=tuple(x.shape[:start]) + (merged,) + tuple(x.shape[end + 1:]))


def unsqueeze(x, dim: int):
    """A new axis of size 1 at ``dim`` (in [-ndim-1, ndim], as torch)."""
    d = _dim(dim, x.ndim + 1, "unsqueeze")
    return Reshape.apply(x, shape=tuple(x.shape[:d]) + (1,) + tuple(x.shape[d:]))


def squeeze(x, dim=None):
    """Drop size-1 axes: all of them, or only ``dim`` (left alone when its size is not 1, as torch)."""
    if dim is None:
        keep = [n for n in x.shape if n != 1]
    else:
        d = _dim(dim, x.ndim, "squeeze")
        keep = [n for k, n in enumerate(x.shape) if k != d or n != 1]
    return Reshape.apply(x, shape=tuple(keep))


def transpose(x, dim0: int, dim1: int):
    """torch's ``transpose(dim0, dim1)``: swap two dims (not numpy's permutation; that is ``permute``)."""
    axes = list(range(x.ndim))
    d0, d1 = _dim(dim0, x.ndim, "transpose"), _dim(dim1, x.ndim, "transpose")
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return Transpose.apply(x, axes=tuple(axes))


class Transpose(Function):
    """y = a with axes permuted: y.shape[k] = a.shape[axes[k]] (axes None reverses them).

    ``Tensor.permute(*dims)`` and ``.T`` (all dims reversed; torch's ``.T`` on 2-D) call it directly,
    ``Tensor.transpose(d0, d1)`` and ``.mT`` through ``transpose`` (torch's meaning: swap two dims).

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
        index = unwrap_index(index)
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


def unwrap_index(index):
    """Tensors used as indices become their arrays."""
    if isinstance(index, tuple):
        return tuple(unwrap_index(k) for k in index)
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


def concatenate(tensors, axis: int = 0, *, dim=None):
    """Join along ``axis`` (torch's ``dim=`` accepted too)."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"concatenate: tensors must be a list or tuple of tensors, got {type(tensors).__name__}")
    return Concatenate.apply(*tensors, axis=axis if dim is None else dim)


def cat(tensors, dim: int = 0):
    """torch's name for ``concatenate``."""
    return concatenate(tensors, dim)


def stack(tensors, axis: int = 0, *, dim=None):
    return Stack.apply(*tensors, axis=axis if dim is None else dim)


def pad(x, pad_width, value: float = 0.0):
    return Pad.apply(x, pad_width=pad_width, value=value)
