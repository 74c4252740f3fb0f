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

The engine checks every returned gradient's shape and names the op when one is wrong.
The only global state in minisep is the grad-enabled flag below.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when ops record the graph (the default)."""
    return _grad_enabled


class set_grad_enabled(contextlib.ContextDecorator):
    """Context manager / decorator that sets grad mode to ``mode`` and restores it on exit."""

    def __init__(self, mode: bool):
        self.mode = bool(mode)
        self.previous: list[bool] = []

    def __enter__(self):
        global _grad_enabled
        self.previous.append(_grad_enabled)
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.previous.pop()
        return False


class no_grad(set_grad_enabled):
    """``with minisep.no_grad():`` or ``@minisep.no_grad()``: ops inside record no graph."""

    def __init__(self):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """Turns graph recording back on inside a ``no_grad`` block."""

    def __init__(self):
        super().__init__(True)


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
    def apply(cls, *inputs, **params) -> "Tensor":
        from .tensor import Tensor, as_tensor

        tensors = tuple(t if isinstance(t, Tensor) else as_tensor(t) for t in inputs)
        ctx = Context()
        ctx.needs_input_grad = tuple(t.requires_grad for t in tensors)
        y = cls.forward(ctx, *(t.data for t in tensors), **params)
        if not isinstance(y, np.ndarray):
            y = np.asarray(y)
        record = _grad_enabled and any(ctx.needs_input_grad)
        out = Tensor(y, requires_grad=record, _copy=False)
        if record:
            out.grad_fn = Node(cls, ctx, tensors, params, y.shape)
        return out

    @classmethod
    def formula(cls) -> str:
        """The op's forward and backward math (its docstring), for reading at run time."""
        return (cls.__doc__ or "").strip()


class Node:
    """One recorded op in the graph: which Function, its Context and its inputs in order."""

    __slots__ = ("function", "ctx", "inputs", "params", "out_shape", "freed")

    def __init__(self, function, ctx, inputs, params, out_shape):
        self.function = function
        self.ctx = ctx
        self.inputs = inputs
        self.params = params
        self.out_shape = out_shape
        self.freed = False

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


def topological_order(root: "Tensor") -> list["Tensor"]:
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


def backward(root: "Tensor", gradient=None, retain_graph: bool = False, retain_all: bool = False) -> None:
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
