"""Tensor factories with torch's names: zeros, ones, full, randn, rand, arange, from_numpy, *_like.

Sizes are given as torch does (``zeros(2, 3)`` or ``zeros((2, 3))``); the dtype defaults to
float32 (``arange`` of ints gives int64, as torch), ``dtype=`` and ``requires_grad=`` are keywords.
Random factories draw from minisep's default generator (``minisep.manual_seed``) unless ``rng=``
is given.
"""

from __future__ import annotations

import numbers

import numpy as np

from .random import as_rng
from .tensor import Tensor, check_dtype


def _size(where: str, size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise TypeError(f"{where}: size must be ints >= 0, got {size!r}")
    return tuple(int(n) for n in size)


def _dtype(where: str, dtype, default=np.float32) -> np.dtype:
    return np.dtype(default) if dtype is None else check_dtype(dtype, where)


def _make(arr: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(arr, requires_grad=requires_grad, _copy=False)


def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_size("zeros", size), _dtype("zeros", dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_size("ones", size), _dtype("ones", dtype)), requires_grad)


def full(size, fill_value, *, dtype=None, requires_grad: bool = False) -> Tensor:
    if not isinstance(fill_value, numbers.Number):
        raise TypeError(f"full: fill_value must be a number, got {fill_value!r}")
    return _make(np.full(_size("full", (size,)), fill_value, _dtype("full", dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad: bool = False, rng=None) -> Tensor:
    """Standard normal samples, from ``rng`` or a fresh stream of the default generator."""
    shape, dt = _size("randn", size), _dtype("randn", dtype)
    return _make(as_rng(rng, "randn").standard_normal(shape).astype(dt), requires_grad)


def rand(*size, dtype=None, requires_grad: bool = False, rng=None) -> Tensor:
    """Uniform samples in [0, 1), from ``rng`` or a fresh stream of the default generator."""
    shape, dt = _size("rand", size), _dtype("rand", dtype)
    return _make(as_rng(rng, "rand").random(shape).astype(dt), requires_grad)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``arange(5)``, ``arange(1, 5)``, ``arange(0, 1, 0.25)``; ints give int64, floats float32 (torch)."""
    for name, v in (("start", start), ("end", end), ("step", step)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Real)):
            raise TypeError(f"arange: {name} must be a number, got {v!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    lo, hi = (0, start) if end is None else (start, end)
    ints = all(isinstance(v, (int, np.integer)) for v in (lo, hi, step))
    return _make(np.arange(lo, hi, step, dtype=_dtype("arange", dtype, np.int64 if ints else np.float32)), requires_grad)


def from_numpy(array: np.ndarray) -> Tensor:
    """A Tensor sharing ``array``'s memory and dtype (no copy), as ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected an ndarray, got {type(array).__name__}")
    return Tensor(array, _copy=False)


def zeros_like(t, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(np.shape(getattr(t, "data", t)), dtype=dtype or getattr(t, "dtype", None), requires_grad=requires_grad)


def ones_like(t, *, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(np.shape(getattr(t, "data", t)), dtype=dtype or getattr(t, "dtype", None), requires_grad=requires_grad)


__all__ = ["zeros", "ones", "full", "randn", "rand", "arange", "from_numpy", "zeros_like", "ones_like"]
