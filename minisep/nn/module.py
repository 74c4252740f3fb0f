"""Module, Parameter and Sequential: the containers that hold a model's weights.

A Module registers what you assign to it, in assignment order (plain ``__setattr__`` bookkeeping,
no ``__getattr__`` dispatch: every registered thing is also an ordinary attribute):

    self.conv = Conv2d(1, 8, 3)           # a sub-module   -> self._modules['conv']
    self.weight = Parameter(w)            # a parameter    -> self._parameters['weight']
    self.register_buffer('running_mean', np.zeros(8))    # state that is saved but not trained

Names are dotted paths ('features.0.weight'); ``state_dict()`` lists, module by module in
pre-order, its parameters then its buffers, which is PyTorch's order, so keys map 1:1.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Iterator, NamedTuple

import numpy as np

from ..kernels.checks import FLOAT_DTYPES
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf Tensor that requires grad and that a Module registers when assigned as an attribute."""

    def __init__(self, data, dtype=None):
        super().__init__(data, requires_grad=True, dtype=dtype, _copy=False)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


class LoadResult(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped."""
    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class of every layer and model: override ``forward``; call the module to run it."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "training", True)

    # ---- registration -----------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        if name in self._parameters and value is not None and not isinstance(value, Parameter):
            # as torch: `model.weight = tensor` (or `model.weight -= t` without in-place ops) would otherwise
            # silently drop the weight from parameters(), so the optimizer stops training it
            raise TypeError(f"{type(self).__name__}: cannot assign a {type(value).__name__} to parameter {name!r} "
                            f"(expected a Parameter or None); update it in place under no_grad "
                            f"(`{name}.data[...] = ...`) or assign nn.Parameter(...)")
        if isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
            raise TypeError(f"{type(self).__name__}: {name!r} is a Python {type(value).__name__} of Modules, whose "
                            f"parameters would not be registered; use nn.ModuleList([...]) (or nn.Sequential)")
        if isinstance(value, Parameter):
            home = self._parameters
        elif isinstance(value, Module):
            home = self._modules
        elif name in self._buffers and isinstance(value, np.ndarray):
            home = self._buffers
        else:
            home = None
        for table in (self._parameters, self._buffers, self._modules):
            if name in table and table is not home:
                del table[name]  # re-assigned to another kind of thing: forget the old registration
        if home is not None:
            home[name] = value  # a replaced entry keeps its place in the order
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        object.__delattr__(self, name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Register ``module`` under ``name`` (as ``setattr``, for names that are not identifiers, e.g. '0')."""
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"add_module: name must be a non-empty str without '.', got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, got {type(module).__name__}")
        setattr(self, name, module)

    register_module = add_module

    def apply(self, fn: Callable[["Module"], None]) -> "Module":
        """Call ``fn(m)`` on every sub-module, children first, then on self (as torch); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def register_buffer(self, name: str, array: np.ndarray) -> None:
        """Keep ``array`` as state that ``state_dict`` saves but optimizers never see (e.g. running means)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"register_buffer: {name!r} must be an ndarray, got {type(array).__name__}")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    # ---- running ----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        y = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            hook(self, args, y)
        return y

    def register_forward_hook(self, hook: Callable) -> Callable[[], None]:
        """Call ``hook(module, inputs, output)`` after every forward; returns a function that removes it."""
        self._forward_hooks.append(hook)
        return lambda: self._forward_hooks.remove(hook) if hook in self._forward_hooks else None

    def train(self, mode: bool = True) -> "Module":
        """Set ``training`` on this module and every sub-module (BatchNorm, Dropout read it)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # ---- walking the tree -------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """('', self), then every sub-module in pre-order with its dotted name; each module once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield name, m
            children = [(f"{name}.{k}" if name else k, c) for k, c in m._modules.items()]
            stack.extend(reversed(children))

    def modules(self) -> Iterator["Module"]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        return iter(list(self._modules.items()))

    def children(self) -> Iterator["Module"]:
        return (m for _, m in self.named_children())

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """('features.0.weight', p), ... module by module; a parameter shared by two modules comes once."""
        seen: set[int] = set()
        for mname, m in self.named_modules():
            for pname, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{pname}" if mname else pname), p

    def parameters(self) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters())

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for mname, m in self.named_modules():
            for bname, b in m._buffers.items():
                yield (f"{mname}.{bname}" if mname else bname), b

    def num_parameters(self) -> int:
        """Number of trainable numbers (buffers are not counted)."""
        return int(sum(p.data.size for p in self.parameters()))

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # ---- saving and loading -----------------------------------------------------------------
    def _state_slots(self) -> "OrderedDict[str, tuple[Module, str, np.ndarray]]":
        """name -> (owning module, attribute, current array), in state_dict order."""
        slots: OrderedDict = OrderedDict()
        for mname, m in self.named_modules():
            dot = mname + "." if mname else ""
            for pname, p in m._parameters.items():
                slots.setdefault(dot + pname, (m, pname, p.data))
            for bname, b in m._buffers.items():
                slots.setdefault(dot + bname, (m, bname, b))
        return slots

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """name -> a copy of every parameter's and buffer's array (BatchNorm running stats included)."""
        return OrderedDict((name, arr.copy()) for name, (_, _, arr) in self._state_slots().items())

    def load_state_dict(self, state, strict: bool = True) -> LoadResult:
        """Copy ``state`` (name -> array) into the parameters and buffers, in place.

        Values are cast to each parameter's dtype. Nothing is written unless everything fits: a
        missing or unexpected key (when ``strict``) or any shape mismatch raises one ValueError
        that lists all of them.
        """
        slots = self._state_slots()
        missing = [k for k in slots if k not in state]
        unexpected = [k for k in state if k not in slots]
        problems, values = [], {}
        for key, (_, _, target) in slots.items():
            if key not in state:
                continue
            value = state[key].data if isinstance(state[key], Tensor) else np.asarray(state[key])
            if value.dtype.kind not in "biuf":
                problems.append(f"{key}: dtype {value.dtype} is not numeric")
            elif value.shape != target.shape:
                problems.append(f"{key}: shape {value.shape} in the state dict, {target.shape} in the model")
            else:
                values[key] = value
        if strict:
            problems = [f"missing key {k!r}" for k in missing] + [f"unexpected key {k!r}" for k in unexpected] + problems
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: {len(problems)} problem(s):\n  "
                             + "\n  ".join(problems))
        for key, value in values.items():
            np.copyto(slots[key][2], value, casting="unsafe")  # in place: optimizers keep their references
        return LoadResult(missing, unexpected)

    def to(self, dtype) -> "Module":
        """Cast every parameter and floating buffer to float32 or float64 (gradients are dropped)."""
        dt = np.dtype(dtype)
        if dt not in FLOAT_DTYPES:
            raise TypeError(f"{type(self).__name__}.to: dtype must be float32 or float64, got {dt}")
        for p in self.parameters():
            p.data, p.grad = p.data.astype(dt), None
        for m in self.modules():
            for name, b in list(m._buffers.items()):
                if b.dtype.kind == "f":
                    m.register_buffer(name, b.astype(dt))
        return self

    astype = to

    # ---- printing ---------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The constructor arguments shown in repr; layers override it."""
        return ""

    def _own_params_repr(self) -> str:
        shapes = ", ".join(f"{n} {tuple(p.shape)}" for n, p in self._parameters.items())
        return f"  {shapes}" if shapes else ""

    def __repr__(self) -> str:
        n = self.num_parameters()
        head = f"{type(self).__name__}({self.extra_repr()}){self._own_params_repr()}"
        if not self._modules:
            return head + (f"  params={n:,}" if n else "")
        head += f"  params={n:,}"
        lines = [head + " ("]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


class Sequential(Module):
    """Runs its sub-modules in order. ``Sequential(a, b, c)`` names them '0', '1', '2';
    ``Sequential(OrderedDict(stem=a, head=b))`` uses the given names (as torch.nn.Sequential)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            items = list(modules[0].items())
        else:
            items = [(str(k), m) for k, m in enumerate(modules)]
        for name, m in items:
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {name!r} is a {type(m).__name__}, not a Module")
            setattr(self, name, m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def append(self, module: Module) -> "Sequential":
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, got {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index):
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        if isinstance(index, str):
            return self._modules[index]
        if not -len(items) <= index < len(items):
            raise IndexError(f"Sequential: index {index} out of range for {len(items)} modules")
        return items[index][1]


def _check_module(where: str, m) -> "Module":
    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected a Module, got {type(m).__name__}")
    return m


class ModuleList(Module):
    """A list of sub-modules, registered as '0', '1', ... (as torch.nn.ModuleList); it has no forward."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def _renumber(self, items: list) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for k, m in enumerate(items):
            setattr(self, str(k), m)

    def append(self, module: Module) -> "ModuleList":
        setattr(self, str(len(self._modules)), _check_module("ModuleList.append", module))
        return self

    def extend(self, modules) -> "ModuleList":
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items.insert(index, _check_module("ModuleList.insert", module))
        self._renumber(items)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self._modules.values()))

    def __getitem__(self, index):
        items = list(self._modules.values())
        if isinstance(index, slice):
            return ModuleList(items[index])
        if not -len(items) <= index < len(items):
            raise IndexError(f"ModuleList: index {index} out of range for {len(items)} modules")
        return items[index]

    def __setitem__(self, index: int, module: Module) -> None:
        items = list(self._modules.values())
        items[index] = _check_module("ModuleList", module)
        self._renumber(items)

    def __delitem__(self, index) -> None:
        items = list(self._modules.values())
        del items[index]
        self._renumber(items)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward: iterate over it in your Module's forward")


class ModuleDict(Module):
    """A dict of sub-modules keyed by str, in insertion order (as torch.nn.ModuleDict); it has no forward."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, _check_module("ModuleDict", module))

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def keys(self):
        return list(self._modules.keys())

    def values(self):
        return list(self._modules.values())

    def items(self):
        return list(self._modules.items())

    def update(self, modules) -> None:
        pairs = modules.items() if hasattr(modules, "items") else modules
        for key, m in pairs:
            self[key] = m

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward: index it in your Module's forward")
