"""Tensor: an ndarray plus the bookkeeping autograd needs. Every operator is one line calling an op."""

from __future__ import annotations

import numbers

import numpy as np

from . import autograd
from .kernels.checks import FLOAT_DTYPES  # the one definition, shared with the kernels


def check_dtype(dtype, where: str) -> np.dtype:
    """``dtype`` as a numeric np.dtype, or a TypeError naming the argument (``dtype='banana'``)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.kind not in "biuf":
        raise TypeError(f"{where}: dtype must be a numeric numpy dtype such as np.float32, got {dtype!r}")
    return dt


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
        got = "None" if data is None else type(data).__name__
        raise TypeError(f"tensor: data must be a number, a (nested) list of numbers or an ndarray, got {got}")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"tensor: data must be numeric, got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(check_dtype(dtype, "tensor"), copy=False)
    return arr


class Tensor:
    """An n-d array that can record the ops applied to it and backpropagate through them.

    ``Tensor(data, requires_grad=False, dtype=None)``. Python numbers and lists become float32;
    an ndarray keeps its dtype (float32 and float64 both work end to end). Only floating
    tensors can require grad.

    **dtypes of mixed operands** (torch's rules): a Python number or a numpy scalar (or 0-d
    array) takes the tensor's dtype; an integer or bool operand (ndarray or Tensor) meeting a
    float one takes the float dtype, so ``float32 tensor + np.array([1])`` stays float32; two
    float operands of >= 1 dimension give the wider one (``float32 + float64 array`` is float64,
    as torch, which treats an ndarray as a tensor).

    **In-place ops** (``+= -= *= /=``, ``add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_``,
    ``t[idx] = v``) change ``.data`` in place and bump ``._version``. They are allowed on
    tensors that need no grad, and on any tensor inside ``no_grad`` (the parameter update
    ``p -= lr * p.grad``). With grad mode on they raise on a tensor that requires grad:
    minisep records no in-place op in the graph (torch does for non-leaves; write
    ``y = y + 1`` instead). A Function that saved an array remembers its version, and
    backward raises if that array was changed in place afterwards.

    Shape names follow torch, not numpy: ``transpose(d0, d1)`` swaps two dims, ``permute``
    reorders them, ``size()`` is the shape, ``max(dim)`` returns (values, indices).
    """

    __array_priority__ = 1000  # so ndarray + Tensor calls Tensor.__radd__
    __hash__ = object.__hash__  # == is elementwise, but a Tensor stays usable as a dict key / set member

    def __init__(self, data, requires_grad: bool = False, dtype=None, *, _copy: bool = True):
        arr = _to_array(data, dtype)
        if _copy and isinstance(data, np.ndarray) and arr is data:
            arr = arr.copy()
        self.data: np.ndarray = arr
        self.grad: np.ndarray | None = None
        self.grad_fn: autograd.Node | None = None
        self._retains_grad = False
        self._version_counter = [0]  # a list, so views and detach() can share one counter
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
    _version = property(lambda self: self._version_counter[0], doc="bumped by every in-place change")

    def size(self, dim=None):
        """torch's ``size()``: the shape tuple, or ``size(d)`` one dim (use ``numel()`` for the count)."""
        return self.shape if dim is None else self.shape[_dim(dim, self.ndim, "size")]

    def numel(self) -> int: return int(self.data.size)
    def dim(self) -> int: return self.ndim

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user (not by an op); their ``.grad`` is filled by backward."""
        return self.grad_fn is None

    def retain_grad(self) -> "Tensor":
        """Keep this non-leaf tensor's gradient in ``.grad`` after backward."""
        self._retains_grad = True
        return self

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_: only leaf tensors can stop requiring grad; use .detach()")
        self.requires_grad = requires_grad
        return self

    def numpy(self) -> np.ndarray:
        return self.data

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to a number, this one has shape {self.shape}")
        return self.data.item()

    def detach(self) -> "Tensor":
        """A new leaf sharing the same data (and version counter), cut from the graph."""
        t = Tensor(self.data, _copy=False)
        t._version_counter = self._version_counter
        return t

    def astype(self, dtype) -> "Tensor":
        return ops.elementwise.Cast.apply(self, dtype=check_dtype(dtype, "astype"))

    def to(self, dtype=None) -> "Tensor":
        """``to(dtype)`` casts (differentiably); ``to('cpu')`` is a no-op (minisep runs on the CPU only)."""
        if dtype is None or (isinstance(dtype, str) and dtype == "cpu"):
            return self
        return self if np.dtype(check_dtype(dtype, "to")) == self.dtype else self.astype(dtype)

    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)

    # ---- conversions ------------------------------------------------------------------------
    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.data)

    def _one(self, what: str):
        if self.data.size != 1:
            raise ValueError(f"{what}: only a one-element tensor has a single value, this one has shape {self.shape}")
        return self.data.item()

    def __bool__(self): return bool(self._one("bool"))
    def __float__(self): return float(self._one("float"))
    def __int__(self): return int(self._one("int"))

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, this one has dtype {self.dtype}")
        return int(self._one("index"))

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` gives the data (numpy 2's ``dtype``/``copy`` arguments honoured)."""
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self.data.copy() if copy else self.data
        if copy is False:
            raise ValueError(f"__array__: converting dtype {self.dtype} to {np.dtype(dtype)} needs a copy, but copy=False")
        return self.data.astype(dtype)

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
    def __add__(self, other): return ops.elementwise.Add.apply(*promote_pair(self, other, "add"))
    def __radd__(self, other): return ops.elementwise.Add.apply(*promote_pair(self, other, "add", True))
    def __sub__(self, other): return ops.elementwise.Sub.apply(*promote_pair(self, other, "sub"))
    def __rsub__(self, other): return ops.elementwise.Sub.apply(*promote_pair(self, other, "sub", True))
    def __mul__(self, other): return ops.elementwise.Mul.apply(*promote_pair(self, other, "mul"))
    def __rmul__(self, other): return ops.elementwise.Mul.apply(*promote_pair(self, other, "mul", True))
    def __truediv__(self, other): return ops.elementwise.Div.apply(*promote_pair(self, other, "div"))
    def __rtruediv__(self, other): return ops.elementwise.Div.apply(*promote_pair(self, other, "div", True))
    def __pow__(self, other): return ops.elementwise.Pow.apply(*promote_pair(self, other, "pow"))
    def __rpow__(self, other): return ops.elementwise.Pow.apply(*promote_pair(self, other, "pow", True))
    def __matmul__(self, other): return ops.linalg.MatMul.apply(*promote_pair(self, other, "matmul"))
    def __rmatmul__(self, other): return ops.linalg.MatMul.apply(*promote_pair(self, other, "matmul", True))
    def __neg__(self): return ops.elementwise.Neg.apply(self)
    def __abs__(self): return self.abs()
    def __getitem__(self, index): return ops.shape.GetItem.apply(self, index=index)

    # comparisons: bool tensors, never part of the graph (torch's meaning of == and friends)
    def __eq__(self, other): return _compare(np.equal, self, other)
    def __ne__(self, other): return _compare(np.not_equal, self, other)
    def __lt__(self, other): return _compare(np.less, self, other)
    def __le__(self, other): return _compare(np.less_equal, self, other)
    def __gt__(self, other): return _compare(np.greater, self, other)
    def __ge__(self, other): return _compare(np.greater_equal, self, other)
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    # % and // (torch's remainder / floor_divide): values only; minisep gives them no gradient
    def __mod__(self, other): return _no_grad_binary(np.remainder, self, other, "%")
    def __rmod__(self, other): return _no_grad_binary(np.remainder, other, self, "%")
    def __floordiv__(self, other): return _no_grad_binary(np.floor_divide, self, other, "//")
    def __rfloordiv__(self, other): return _no_grad_binary(np.floor_divide, other, self, "//")

    # in place: see the class docstring for the rules
    def __iadd__(self, other): return _inplace(self, np.add, other, "+=")
    def __isub__(self, other): return _inplace(self, np.subtract, other, "-=")
    def __imul__(self, other): return _inplace(self, np.multiply, other, "*=")
    def __itruediv__(self, other): return _inplace(self, np.true_divide, other, "/=")
    def add_(self, other): return _inplace(self, np.add, other, "add_")
    def sub_(self, other): return _inplace(self, np.subtract, other, "sub_")
    def mul_(self, other): return _inplace(self, np.multiply, other, "mul_")
    def div_(self, other): return _inplace(self, np.true_divide, other, "div_")
    def copy_(self, src): return _inplace(self, lambda a, b, out, casting: np.copyto(out, b, casting=casting), src, "copy_")
    def fill_(self, value): return self.copy_(value)
    def zero_(self): return self.copy_(0)
    def clamp_(self, min=None, max=None): return _inplace(self, lambda a, _, out, casting: np.clip(a, min, max, out=out), 0, "clamp_")
    def __setitem__(self, index, value): _inplace(self, None, value, "setitem", index=index)

    # reductions: torch's dim=/keepdim= or numpy's axis=/keepdims=
    def sum(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.reduce.Sum.apply(self, **_axes("sum", dim, keepdim, axis, keepdims))

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        return ops.reduce.Mean.apply(self, **_axes("mean", dim, keepdim, axis, keepdims))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Max over dims. ``max(dim)`` (an int, as torch) returns ``(values, indices)``; ``axis=`` returns the values."""
        return _extreme(self, ops.reduce.Max, dim, keepdim, axis, keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """Min over dims; same return rule as ``max``."""
        return _extreme(self, ops.reduce.Min, dim, keepdim, axis, keepdims)

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        """Variance, unbiased (``correction=1``) by default as torch; ``unbiased=False`` = ``correction=0``."""
        return ops.reduce.Var.apply(self, correction=_correction(unbiased, correction), **_axes("var", dim, keepdim, axis, keepdims))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None, keepdims=None):
        return self.var(dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims).sqrt()

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        """Index of the max as an int64 Tensor (no gradient); ``dim=None`` indexes the flattened tensor."""
        return _arg(self, np.argmax, dim, keepdim, axis, keepdims)

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None) -> "Tensor":
        return _arg(self, np.argmin, dim, keepdim, axis, keepdims)

    # shape ops: torch's names and meanings
    def reshape(self, *shape): return ops.shape.Reshape.apply(self, shape=_shape_arg(shape))
    def view(self, *shape): return self.reshape(*shape)
    def view_as(self, other): return self.reshape(other.shape)
    def flatten(self, start_dim=0, end_dim=-1): return ops.shape.flatten(self, start_dim, end_dim)
    def unsqueeze(self, dim): return ops.shape.unsqueeze(self, dim)
    def squeeze(self, dim=None): return ops.shape.squeeze(self, dim)
    def transpose(self, dim0, dim1): return ops.shape.transpose(self, dim0, dim1)
    def permute(self, *dims): return ops.shape.Transpose.apply(self, axes=_shape_arg(dims))
    T = property(lambda self: ops.shape.Transpose.apply(self, axes=None), doc="all dims reversed (torch's .T on 2-D)")
    mT = property(lambda self: ops.shape.transpose(self, -2, -1), doc="the last two dims swapped")
    def clone(self): return ops.elementwise.Clone.apply(self)

    def exp(self): return ops.elementwise.Exp.apply(self)
    def log(self): return ops.elementwise.Log.apply(self)
    def sqrt(self): return ops.elementwise.Sqrt.apply(self)
    def tanh(self): return ops.elementwise.Tanh.apply(self)
    def sigmoid(self): return ops.elementwise.Sigmoid.apply(self)
    def relu(self): return ops.elementwise.ReLU.apply(self)
    def abs(self): return ops.elementwise.Abs.apply(self)
    def clamp(self, min=None, max=None): return ops.elementwise.Clamp.apply(self, min=min, max=max)
    clip = clamp
    def softmax(self, dim=-1, *, axis=None): return ops.loss.Softmax.apply(self, axis=_one_axis(dim, axis))
    def log_softmax(self, dim=-1, *, axis=None): return ops.loss.LogSoftmax.apply(self, axis=_one_axis(dim, axis))


# ---- helpers of the methods above ---------------------------------------------------------------
def _dim(d, ndim: int, op: str) -> int:
    """One dim in [-ndim, ndim) as a non-negative int, or an IndexError naming it (torch's wording)."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {d!r}")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"{op}: dim {d} is out of range (expected to be in [{-n}, {n - 1}] for {ndim} dims)")
    return int(d) % n


def _axes(op, dim, keepdim, axis, keepdims) -> dict:
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: pass dim= or axis=, not both")
    return {"axis": axis if dim is None else dim, "keepdims": bool(keepdim if keepdims is None else keepdims)}


def _one_axis(dim, axis):
    return dim if axis is None else axis


def _correction(unbiased, correction) -> int:
    if unbiased is not None and correction is not None:
        raise TypeError("var/std: pass unbiased= or correction=, not both")
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def _extreme(t, fn, dim, keepdim, axis, keepdims):
    kw = _axes(fn.__name__.lower(), dim, keepdim, axis, keepdims)
    values = fn.apply(t, **kw)
    if dim is None or not isinstance(dim, (int, np.integer)):
        return values
    find = np.argmax if fn is ops.reduce.Max else np.argmin
    return values, _arg(t, find, dim, keepdim, None, None)


def _arg(t, find, dim, keepdim, axis, keepdims) -> Tensor:
    kw = _axes(find.__name__, dim, keepdim, axis, keepdims)
    if kw["axis"] is None:
        return Tensor(np.asarray(find(t.data)), _copy=False)
    d = _dim(kw["axis"], t.ndim, find.__name__)
    return Tensor(np.asarray(find(t.data, axis=d, keepdims=kw["keepdims"])), _copy=False)


def _shape_arg(args) -> tuple:
    """Accept ``reshape(2, 3)`` and ``reshape((2, 3))`` alike."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _operand(value, ref: Tensor, op: str) -> Tensor:
    """``value`` as a Tensor with torch's dtype rules against ``ref`` (see the Tensor docstring)."""
    if value is None:
        raise TypeError(f"{op}: the other operand must be a Tensor, an ndarray or a number, got None")
    if not isinstance(value, Tensor):
        if isinstance(value, (bool, numbers.Number)) or (isinstance(value, (np.ndarray, np.generic)) and np.ndim(value) == 0):
            if ref.dtype.kind == "f" or np.asarray(value).dtype.kind in "biu":
                return Tensor(np.asarray(value, dtype=ref.dtype), _copy=False)
        value = as_tensor(value)
    if value.dtype.kind in "biu" and ref.dtype.kind == "f":  # an int operand meets a float: take the float dtype
        return Tensor(value.data.astype(ref.dtype), _copy=False)
    return value


def promote_pair(t: Tensor, other, op: str, reflected: bool = False) -> tuple:
    """(t, other) as Tensors under torch's dtype rules (``reflected``: (other, t))."""
    o = _operand(other, t, op)
    if t.dtype.kind in "biu" and o.dtype.kind == "f":
        t = Tensor(t.data.astype(o.dtype), _copy=False)
    return (o, t) if reflected else (t, o)


def _compare(fn, t: Tensor, other):
    if other is None or not isinstance(other, (Tensor, np.ndarray, np.generic, numbers.Number, list, tuple)):
        return NotImplemented  # Python then falls back (t == None is False, as torch)
    a, b = promote_pair(t, other, fn.__name__)
    ops.elementwise.broadcast_shape(fn.__name__, a.data, b.data)
    return Tensor(fn(a.data, b.data), _copy=False)


def _no_grad_binary(fn, a, b, op: str):
    """``fn`` on the values, outside the graph. An operand that needs a gradient is an error rather
    than a silent detach (torch differentiates ``%`` as 1 w.r.t. a; minisep does not implement it)."""
    t = a if isinstance(a, Tensor) else b
    other = b if t is a else a
    if other is None or not isinstance(other, (Tensor, np.ndarray, np.generic, numbers.Number, list, tuple)):
        return NotImplemented
    if autograd.is_grad_enabled() and any(isinstance(v, Tensor) and v.requires_grad for v in (a, b)):
        raise TypeError(f"{op}: minisep has no gradient for {op}; use it on .detach()ed values or under no_grad")
    x, y = promote_pair(t, other, fn.__name__)
    if t is b:
        x, y = y, x
    ops.elementwise.broadcast_shape(fn.__name__, x.data, y.data)
    return Tensor(fn(x.data, y.data), _copy=False)


def _inplace(t: Tensor, fn, other, op: str, index=None) -> Tensor:
    """Apply ``fn(t.data, other, out=t.data)`` (or ``t.data[index] = other``) after checking the rules."""
    if autograd.is_grad_enabled():
        other_grad = isinstance(other, Tensor) and other.requires_grad
        if t.requires_grad or other_grad:
            which = "a leaf tensor that requires grad" if t.is_leaf and t.requires_grad else "a tensor in the graph"
            raise RuntimeError(
                f"{op}: in-place change of {which} (shape {t.shape}) while grad mode is on. "
                "Wrap a parameter update in `with minisep.no_grad():`; in a model write y = y + v "
                "(minisep records no in-place op in the graph)."
            )
    v = _operand(other, t, op).data
    try:
        if index is not None:
            t.data[ops.shape.unwrap_index(index)] = v
        else:
            fn(t.data, v, out=t.data, casting="same_kind")
    except TypeError as e:  # numpy's UFuncTypeError is a TypeError
        raise TypeError(f"{op}: cannot write a {v.dtype} result into a {t.dtype} tensor in place ({e})") from None
    except ValueError as e:
        raise ValueError(f"{op}: operand of shape {v.shape} does not fit the tensor of shape {t.shape} ({e})") from None
    t._version_counter[0] += 1
    return t


def as_tensor(value) -> Tensor:
    """Wrap ``value`` as a constant Tensor (no copy for ndarrays)."""
    if isinstance(value, Tensor):
        return value
    return Tensor(value, _copy=False)


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """``minisep.tensor([[1, 2], [3, 4]], requires_grad=True)``: a new leaf tensor (data copied)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# The one tie from Tensor to the ops. The ops are Functions on arrays and import autograd, and a
# few need the Tensor class itself (to unwrap Tensor indices, to build tensors), so ops import
# this module; Tensor's operators in turn call the ops. Importing the package here, at the bottom,
# after Tensor exists, breaks that cycle in one visible place; methods look ops.* up at call time.
from . import ops  # noqa: E402
