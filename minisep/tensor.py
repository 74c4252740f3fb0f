"""Tensor: an ndarray plus the bookkeeping autograd needs. Every operator is one line calling an op."""

from __future__ import annotations

import numbers

import numpy as np

from . import autograd

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _to_array(data, dtype=None) -> np.ndarray:
    """Convert ``data`` to an ndarray: ndarrays keep their dtype, Python numbers/lists become float32."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (bool, numbers.Number)) or isinstance(data, (list, tuple)):
        try:
            arr = np.asarray(data)
        except ValueError as e:  # ragged nested lists
            raise ValueError(f"tensor: data is not a rectangular nested list ({e})") from None
        if arr.dtype.kind in "biuf":
            arr = arr.astype(np.float32)
    elif isinstance(data, np.generic):
        arr = np.asarray(data)
    else:
        raise TypeError(f"tensor: data must be a number, a (nested) list of numbers or an ndarray, got {type(data).__name__}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor: data must be numeric, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


class Tensor:
    """An n-d array that can record the ops applied to it and backpropagate through them.

    ``Tensor(data, requires_grad=False, dtype=None)``. Python numbers and lists become float32;
    an ndarray keeps its dtype (float32 and float64 both work end to end). Only floating
    tensors can require grad.
    """

    __array_priority__ = 1000  # so ndarray + Tensor calls Tensor.__radd__

    def __init__(self, data, requires_grad: bool = False, dtype=None, *, _copy: bool = True):
        arr = _to_array(data, dtype)
        if _copy and isinstance(data, np.ndarray) and arr is data:
            arr = arr.copy()
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self.grad_fn: autograd.Node | None = None
        self._retains_grad = False
        self.requires_grad = requires_grad

    # ---- attributes -------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.data.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"only float32/float64 tensors can require grad, this one has dtype {self.data.dtype} "
                "(convert with .astype(np.float32) first)"
            )
        self._requires_grad = bool(value)

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user (not by an op); their ``.grad`` is filled by backward."""
        return self.grad_fn is None

    def retain_grad(self) -> "Tensor":
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        self._retains_grad = True
        return self

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a number, this one has shape {self.shape}")
        return self.data.item()

    def detach(self) -> "Tensor":
        """A new leaf sharing the same data, cut from the graph."""
        return Tensor(self.data, _copy=False)

    def astype(self, dtype) -> "Tensor":
        from .ops import elementwise
        return elementwise.Cast.apply(self, dtype=np.dtype(dtype))

    def argmax(self, axis=None) -> np.ndarray:
        return self.data.argmax(axis=axis)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="tensor(")
        extra = f", dtype={self.dtype}" if self.dtype != np.float32 else ""
        if self.grad_fn is not None:
            extra += f", grad_fn=<{self.grad_fn.name}>"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ---- autograd ---------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False, retain_all: bool = False) -> None:
        """Backpropagate from this tensor. See ``minisep.autograd.backward``."""
        autograd.backward(self, gradient, retain_graph=retain_graph, retain_all=retain_all)

    def zero_grad(self) -> None:
        self.grad = None

    # ---- operators: one line each ------------------------------------------------------------
    def __add__(self, other): return _ops().elementwise.Add.apply(self, _like(other, self))
    def __radd__(self, other): return _ops().elementwise.Add.apply(_like(other, self), self)
    def __sub__(self, other): return _ops().elementwise.Sub.apply(self, _like(other, self))
    def __rsub__(self, other): return _ops().elementwise.Sub.apply(_like(other, self), self)
    def __mul__(self, other): return _ops().elementwise.Mul.apply(self, _like(other, self))
    def __rmul__(self, other): return _ops().elementwise.Mul.apply(_like(other, self), self)
    def __truediv__(self, other): return _ops().elementwise.Div.apply(self, _like(other, self))
    def __rtruediv__(self, other): return _ops().elementwise.Div.apply(_like(other, self), self)
    def __pow__(self, other): return _ops().elementwise.Pow.apply(self, _like(other, self))
    def __rpow__(self, other): return _ops().elementwise.Pow.apply(_like(other, self), self)
    def __matmul__(self, other): return _ops().linalg.MatMul.apply(self, _like(other, self))
    def __rmatmul__(self, other): return _ops().linalg.MatMul.apply(_like(other, self), self)
    def __neg__(self): return _ops().elementwise.Neg.apply(self)
    def __getitem__(self, index): return _ops().shape.GetItem.apply(self, index=index)

    def sum(self, axis=None, keepdims=False): return _ops().reduce.Sum.apply(self, axis=axis, keepdims=keepdims)
    def mean(self, axis=None, keepdims=False): return _ops().reduce.Mean.apply(self, axis=axis, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return _ops().reduce.Max.apply(self, axis=axis, keepdims=keepdims)
    def reshape(self, *shape): return _ops().shape.Reshape.apply(self, shape=_shape_arg(shape))
    def flatten(self, start_dim=0): return _ops().shape.flatten(self, start_dim)
    def transpose(self, *axes): return _ops().shape.Transpose.apply(self, axes=_shape_arg(axes) or None)
    def permute(self, *axes): return _ops().shape.Transpose.apply(self, axes=_shape_arg(axes))
    T = property(lambda self: self.transpose())
    def exp(self): return _ops().elementwise.Exp.apply(self)
    def log(self): return _ops().elementwise.Log.apply(self)
    def sqrt(self): return _ops().elementwise.Sqrt.apply(self)
    def tanh(self): return _ops().elementwise.Tanh.apply(self)
    def sigmoid(self): return _ops().elementwise.Sigmoid.apply(self)
    def relu(self): return _ops().elementwise.ReLU.apply(self)
    def softmax(self, axis=-1): return _ops().loss.Softmax.apply(self, axis=axis)
    def log_softmax(self, axis=-1): return _ops().loss.LogSoftmax.apply(self, axis=axis)


def _ops():
    from . import ops  # imported lazily: ops import tensor, not the other way round
    return ops


def _shape_arg(args) -> tuple:
    """Accept ``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _like(value, ref: Tensor):
    """Python numbers take the dtype of the tensor they meet (no float32 -> float64 upcast)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, numbers.Number)):
        return Tensor(np.asarray(value, dtype=ref.dtype), _copy=False)
    return as_tensor(value)


def as_tensor(value) -> Tensor:
    """Wrap ``value`` as a constant Tensor (no copy for ndarrays)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value, _copy=False)


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """``minisep.tensor([[1, 2], [3, 4]], requires_grad=True)``: a new leaf tensor (data copied)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)
