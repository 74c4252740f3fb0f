"""The autograd engine: Function, Context, Node, the grad-enabled flag and backward.

How one op works (see docs/architecture.md):

1. ``SomeOp.apply(x, w, stride=2)`` unwraps the Tensor inputs to ndarrays and calls
   ``SomeOp.forward(ctx, x, w, stride=2)``, which returns an ndarray.
2. If grad mode is on and any input requires grad, the output Tensor gets a ``Node``
   (its ``grad_fn``) that remembers the Function class, the ``Context`` (arrays saved
   for backward) and the input Tensors, in order.
3. ``loss.backward()`` walks the graph in reverse topological order (iteratively, so a
   10,000-op chain is fine) and calls ``SomeOp.backward(ctx, gy)``, which returns one
   gradient per Tensor input, in input order (None where an input gets no gradient).

The engine checks every returned gradient's shape and names the op when one is wrong, and
refuses to use an array that an in-place op changed after it was saved (the version check).
The grad-enabled flag below is per thread, as torch's: ``no_grad`` in one thread never turns
recording off in another.
"""

from __future__ import annotations

import contextlib
import threading

import numpy as np

_state = threading.local()  # .enabled: this thread's grad mode (absent = True, the default)


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default). Per thread, as torch's flag."""
    return getattr(_state, "enabled", True)


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager / decorator that sets this thread's grad mode to ``mode`` and restores it on exit."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self._local = threading.local()  # the values to restore, per thread (one instance may be shared)

    def _recreate_cm(self):
        return type(self)._fresh(self.mode)  # each decorated call gets its own context

    @classmethod
    def _fresh(cls, mode):
        return set_grad_enabled(mode)

    def __enter__(self):
        stack = self._local.__dict__.setdefault("previous", [])
        stack.append(is_grad_enabled())
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self._local.previous.pop()
        return False


class _ModeDecorator(set_grad_enabled):
    """``with cls():``, ``@cls()`` and bare ``@cls`` (torch accepts all three)."""

    MODE = False

    def __new__(cls, func=None):
        if func is not None:  # bare @no_grad: wrap the function right away
            if not callable(func):
                raise TypeError(f"{cls.__name__}: takes no arguments (or a function to decorate), got {func!r}")
            return cls()(func)
        return super().__new__(cls)

    def __init__(self, func=None):
        super().__init__(self.MODE)

    @classmethod
    def _fresh(cls, mode):
        return cls()


class no_grad(_ModeDecorator):
    """``with minisep.no_grad():``, ``@minisep.no_grad()`` or ``@minisep.no_grad``: ops inside record no graph."""

    MODE = False


class enable_grad(_ModeDecorator):
    """Turns graph recording back on inside a ``no_grad`` block (same three forms as ``no_grad``)."""

    MODE = True


class Context:
    """Per-call scratch space shared by ``forward`` and ``backward`` of one Function.

    ``save_for_backward(*arrays)`` keeps arrays for backward (freed after backward
    unless ``retain_graph=True``); any other attribute (``ctx.stride = 2``) is free-form.
    """

    def __init__(self):
        self.saved: tuple = ()
        self.needs_input_grad: tuple[bool, ...] = ()

    def save_for_backward(self, *arrays) -> None:
        self.saved = arrays


class Function:
    """Base class of every differentiable op.

    Subclasses implement two static methods side by side::

        forward(ctx, *arrays, **params) -> ndarray
        backward(ctx, gy) -> tuple of one gradient (ndarray or None) per array input

    Positional arguments are the differentiable inputs (Tensors or array-likes);
    keyword arguments are plain parameters (stride, axis, ...). The docstring of each
    subclass holds its forward and backward math in the same letters as the code.
    """

    @staticmethod
    def forward(ctx: Context, *arrays, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Context, gy):  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params) -> "_tensor.Tensor":
        tensors = tuple(_as_input(cls.__name__, k, t) for k, t in enumerate(inputs))
        ctx = Context()
        ctx.needs_input_grad = tuple(t.requires_grad for t in tensors)
        y = cls.forward(ctx, *(t.data for t in tensors), **params)
        if not isinstance(y, np.ndarray):
            y = np.asarray(y)
        record = is_grad_enabled() and any(ctx.needs_input_grad)
        out = _tensor.Tensor(y, requires_grad=record, _copy=False)
        for t in tensors:  # a view (reshape, transpose) shares its base's version counter, as in torch
            if y.base is not None and np.may_share_memory(y, t.data):
                out._version_counter = t._version_counter
                break
        if record:
            out.grad_fn = Node(cls, ctx, tensors, params, y.shape, saved_versions(ctx, tensors, out))
        return out

    @classmethod
    def formula(cls) -> str:
        """The op's forward and backward math (its docstring), for reading at run time."""
        return (cls.__doc__ or "").strip()


def _as_input(op: str, k: int, value) -> "_tensor.Tensor":
    if isinstance(value, _tensor.Tensor):
        return value
    if value is None:
        raise TypeError(f"{op}: input {k} must be a Tensor, an ndarray or a number, got None")
    return _tensor.as_tensor(value)


def saved_versions(ctx: Context, tensors: tuple, out) -> tuple:
    """(version counter, version now, what) for every saved array that is a Tensor's data.

    backward compares them again: an in-place op after the save bumps the counter, and the
    gradient would silently use the new values, so the engine raises instead (as torch).
    """
    found = []
    for s in ctx.saved:
        for k, t in enumerate(tensors):
            if s is t.data:
                found.append((t._version_counter, t._version, f"input {k} of shape {t.shape}"))
                break
        else:
            if s is out.data:
                found.append((out._version_counter, out._version, f"its output of shape {out.shape}"))
    return tuple(found)


class Node:
    """One recorded op in the graph: which Function, its Context and its inputs in order.

    ``versions`` holds (counter, version, what) for each saved array that is a Tensor's data.
    """

    __slots__ = ("function", "ctx", "inputs", "params", "out_shape", "freed", "versions")

    def __init__(self, function, ctx, inputs, params, out_shape, versions=()):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs
        self.params = params
        self.out_shape = out_shape
        self.freed = False
        self.versions = versions

    def check_versions(self) -> None:
        """RuntimeError when a saved array was modified in place after the forward pass saved it."""
        for counter, version, what in self.versions:
            if counter[0] != version:
                raise RuntimeError(
                    f"backward: one of the arrays needed for gradient computation has been modified by an "
                    f"in-place operation: {self.name} saved {what} at version {version}, it is now at "
                    f"version {counter[0]}. Do the in-place change after backward, or use an out-of-place "
                    "op (y = y + 1 instead of y += 1)."
                )

    @property
    def name(self) -> str:
        return self.function.__name__

    def formula(self) -> str:
        return self.function.formula()

    def __repr__(self) -> str:
        shapes = ", ".join(str(t.shape) for t in self.inputs)
        return f"<{self.name} inputs=[{shapes}] -> {self.out_shape}>"


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, so it has ``shape``.

    (2,3,4) -> (3,1): sum axis 0 (added), then axis 2 (stretched from 1) with keepdims.
    """
    if g.shape == tuple(shape):
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(a for a, n in enumerate(shape) if n == 1 and g.shape[a] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g.reshape(shape)


def topological_order(root: "_tensor.Tensor") -> list["Tensor"]:
    """Tensors reachable from ``root`` through grad_fn, each after all of its inputs.

    Iterative depth-first post-order (no recursion, so long chains are fine).
    """
    order: list = []
    visited: set[int] = set()
    stack: list = [(root, False)]
    while stack:
        t, inputs_done = stack.pop()
        if inputs_done:
            order.append(t)
            continue
        if id(t) in visited:
            continue
        visited.add(id(t))
        stack.append((t, True))
        if t.grad_fn is not None:
            for parent in t.grad_fn.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    return order


def backward(root: "_tensor.Tensor", gradient=None, retain_graph: bool = False, retain_all: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

    ``gradient`` is dL/d(root) (required when root is not a scalar). Non-leaf tensors keep
    their gradient in ``.grad`` when ``t.retain_grad()`` was called, or all of them when
    ``retain_all=True`` (to print dL/d(every node)). The graph's saved arrays are freed
    after the pass unless ``retain_graph=True``; a second pass through a freed graph raises.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward: this tensor does not require grad and has no grad_fn "
            "(create inputs with requires_grad=True, and do not call backward inside no_grad)"
        )
    if gradient is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs; "
                f"got shape {root.shape}. Pass gradient= of that shape, or reduce first (e.g. .sum())"
            )
        gradient = np.ones_like(root.data)
    else:
        gradient = np.asarray(getattr(gradient, "data", gradient), dtype=root.dtype)
        if gradient.shape != root.shape:
            raise ValueError(f"backward: gradient has shape {gradient.shape}, expected the output's shape {root.shape}")

    grads: dict[int, np.ndarray] = {id(root): gradient}
    for t in reversed(topological_order(root)):
        g = grads.pop(id(t), None)
        if g is None:
            continue
        if t.grad_fn is None or t._retains_grad or retain_all:
            t.grad = g.copy() if t.grad is None else t.grad + g
        node = t.grad_fn
        if node is None:
            continue
        if node.freed:
            raise RuntimeError(
                f"backward: trying to backward through {node.name} a second time, but its saved arrays "
                "were freed after the first backward. Pass retain_graph=True to the first call."
            )
        node.check_versions()
        input_grads = node.function.backward(node.ctx, g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        if len(input_grads) != len(node.inputs):
            raise RuntimeError(
                f"{node.name}.backward returned {len(input_grads)} gradients for {len(node.inputs)} inputs"
            )
        for k, (parent, gp) in enumerate(zip(node.inputs, input_grads)):
            if gp is None or not parent.requires_grad:
                continue
            gp = np.asarray(gp)
            if gp.shape != parent.shape:
                raise RuntimeError(
                    f"{node.name}.backward returned a gradient of shape {gp.shape} for input {k}, "
                    f"whose shape is {parent.shape}"
                )
            gp = gp.astype(parent.dtype, copy=False)
            if id(parent) in grads:
                grads[id(parent)] = grads[id(parent)] + gp
            else:
                grads[id(parent)] = gp
        if not retain_graph:
            node.ctx = None
            node.freed = True


# The one tie from the engine to Tensor: Function.apply wraps its output in a Tensor, and
# tensor.py imports this module first (Tensor needs Node and backward). Importing the module
# object here, at the bottom, works whichever of the two is imported first; its attributes are
# looked up only when an op runs.
from . import tensor as _tensor  # noqa: E402
