"""Optimizer base class: parameter groups, zero_grad, step loop, state dicts.

A *parameter* is any object with

- ``.data``: a float ndarray, updated IN PLACE (``x -= ...``) so views and references to it stay valid;
- ``.grad``: an ndarray of the same shape, or ``None`` (that parameter is skipped by ``step``);
- optionally ``.name`` (used in error messages).

The optimizer never imports the Tensor class: it works on ``p.data`` / ``p.grad`` arrays only.
Per-parameter state (momentum buffers, Adam moments) lives in ``self.state[id(p)]`` and is kept in the
parameter's own dtype, so float32 training stays float32.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np


def param_label(p: Any, index: int | None = None) -> str:
    """A short human name for a parameter in error messages: its .name, else its position and shape."""
    name = getattr(p, "name", None)
    shape = getattr(getattr(p, "data", None), "shape", "?")
    if name:
        return f"parameter {name!r} (shape {shape})"
    return f"parameter #{index} (shape {shape})" if index is not None else f"parameter of shape {shape}"


def _looks_like_param(obj: Any) -> bool:
    return isinstance(getattr(obj, "data", None), np.ndarray) and hasattr(obj, "grad")


def _check_param(p: Any, index: int) -> None:
    if not _looks_like_param(p):
        raise TypeError(
            f"optimizer params: item #{index} is a {type(p).__name__}; expected a parameter object with "
            f".data (a float ndarray) and .grad (ndarray or None)")
    if not np.issubdtype(p.data.dtype, np.floating):
        raise TypeError(f"optimizer params: {param_label(p, index)} has dtype {p.data.dtype}; expected a float dtype")
    if not p.data.flags.writeable:
        raise ValueError(f"optimizer params: {param_label(p, index)} has a read-only .data array; "
                         f"the optimizer updates it in place")


def check_number(opt: str, key: str, value: Any, where: str, *, low: float, low_ok: bool = True,
                 high: float | None = None, high_ok: bool = False) -> float:
    """Validate a real hyperparameter in [low, high) style bounds; return it as a Python float.

    Python floats matter: a numpy float64 scalar would upcast float32 arrays under NumPy 2 rules.
    """
    bad = isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
    v = float(value) if not bad else math.nan
    if not bad and math.isfinite(v):
        bad = v < low or (v == low and not low_ok)
        if high is not None:
            bad = bad or v > high or (v == high and not high_ok)
    else:
        bad = True
    if bad:
        lo = f"{'>=' if low_ok else '>'} {low:g}"
        hi = "" if high is None else f" and {'<=' if high_ok else '<'} {high:g}"
        raise ValueError(f"{opt}: invalid {key}={value!r}{where}: expected a finite number {lo}{hi}")
    return v


def state_array(state: dict[str, Any], key: str, x: np.ndarray) -> np.ndarray | None:
    """``state[key]`` as an ndarray of x's shape and dtype (or None when absent).

    A 0-d parameter's buffer may come back from a saved state dict as a Python number; an in-place
    update (``buf *= momentum``) on a number would rebind a local and leave the state stuck.
    """
    v = state.get(key)
    if v is not None and not isinstance(v, np.ndarray):
        v = state[key] = np.array(v, dtype=x.dtype).reshape(x.shape)
    return v


class Optimizer:
    """Base class. Subclasses define ``_check_group(group, where)`` and ``_update(x, g, state, group)``.

    ``params`` is an iterable of parameters, or a list of dicts (parameter groups), each with a
    ``'params'`` entry and optional hyperparameters overriding the defaults, e.g.::

        SGD([{"params": depthwise_filters, "weight_decay": 0.0},     # MobileNet: no decay on depthwise
             {"params": other_params}], lr=0.1, momentum=0.9, weight_decay=4e-5)
    """

    def __init__(self, params: Iterable[Any] | Iterable[dict], defaults: dict[str, Any]):
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}  # keyed by id(param); params are kept alive by param_groups
        if _looks_like_param(params) or isinstance(params, (np.ndarray, dict)):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of parameters or a list of dicts, "
                            f"got a single {type(params).__name__} (wrap it in a list)")
        items = list(params)
        if not items:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list (did the model register "
                             f"no parameters, or was a generator already consumed?)")
        groups = items if isinstance(items[0], dict) else [{"params": items}]
        for group in groups:
            self.add_param_group(group)

    # ---- groups -----------------------------------------------------------------------------------------
    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group (dict with 'params' and optional hyperparameter overrides); validates everything."""
        opt, gi = type(self).__name__, len(self.param_groups)
        if not isinstance(group, dict):
            raise TypeError(f"{opt}: parameter group {gi} is a {type(group).__name__}; expected a dict "
                            f"(do not mix bare parameters and group dicts)")
        if "params" not in group:
            raise ValueError(f"{opt}: parameter group {gi} has no 'params' entry (keys: {sorted(group)})")
        params = group["params"]
        params = [params] if _looks_like_param(params) else list(params)
        if not params:
            raise ValueError(f"{opt}: parameter group {gi} has an empty 'params' list")
        seen = {id(p): j for j, g in enumerate(self.param_groups) for p in g["params"]}
        for k, p in enumerate(params):
            _check_param(p, k)
            if id(p) in seen:
                other = "the same group" if seen[id(p)] == gi else f"group {seen[id(p)]}"
                raise ValueError(f"{opt}: {param_label(p, k)} of group {gi} already appears in {other}; "
                                 f"each parameter may belong to exactly one group")
            seen[id(p)] = gi
        new = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        self._check_group(new, f" in parameter group {gi}")
        new["params"] = params
        self.param_groups.append(new)

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        """Validate and normalise (to Python floats) the hyperparameters of one group, in place."""
        raise NotImplementedError

    # ---- training loop ----------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's .grad to None (default), or fill existing grads with zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    np.asarray(getattr(p.grad, "data", p.grad))[...] = 0

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter whose .grad is not None; returns closure() if a closure was given."""
        loss = closure() if closure is not None else None
        for group in self.param_groups:
            for k, p in enumerate(group["params"]):
                g = self._grad_of(p, k)
                if g is None:
                    continue
                self._update(p.data, g, self.state.setdefault(id(p), {}), group)
        return loss

    def _grad_of(self, p: Any, k: int) -> np.ndarray | None:
        g = p.grad
        if g is None:
            return None
        if not isinstance(g, np.ndarray):  # tolerate a Tensor-like grad that wraps its array in .data
            g = np.asarray(getattr(g, "data", g))
        if g.shape != p.data.shape:
            raise ValueError(f"{type(self).__name__}.step: {param_label(p, k)} has a grad of shape {g.shape}; "
                             f"expected {p.data.shape}")
        return g if g.dtype == p.data.dtype else g.astype(p.data.dtype)  # state & update in the param dtype

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        raise NotImplementedError

    # ---- checkpoints ------------------------------------------------------------------------------------
    def _all_params(self) -> list[Any]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {key: ndarray | number}}, 'param_groups': [{hyper..., 'params': [index...]}]}``.

        Parameters are numbered in group order (as torch.optim does). Arrays are copies, so later steps
        do not change a saved dict.
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state = {index[pid]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for pid, s in self.state.items() if pid in index}
        groups = [{**{k: v for k, v in g.items() if k != "params"}, "params": [index[id(p)] for p in g["params"]]}
                  for g in self.param_groups]
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict` (checks counts, shapes; casts dtypes)."""
        opt = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"{opt}.load_state_dict: expected a dict with keys ['param_groups', 'state'], got {got}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{opt}.load_state_dict: saved state has {len(saved_groups)} parameter groups; "
                             f"this optimizer has {len(self.param_groups)}")
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{opt}.load_state_dict: parameter group {gi} has {len(saved['params'])} "
                                 f"parameters in the saved state; this optimizer has {len(group['params'])}")
        params = self._all_params()
        new_state: dict[int, dict[str, Any]] = {}
        for key, s in state_dict["state"].items():
            i = int(key)
            if not 0 <= i < len(params):
                raise ValueError(f"{opt}.load_state_dict: state for parameter index {i}, but there are "
                                 f"only {len(params)} parameters")
            p, entry = params[i], {}
            for name, v in s.items():
                if isinstance(v, np.ndarray) and v.ndim > 0:
                    if v.shape != p.data.shape:
                        raise ValueError(f"{opt}.load_state_dict: state {name!r} of {param_label(p, i)} has shape "
                                         f"{v.shape}; expected {p.data.shape}")
                    v = v.astype(p.data.dtype, copy=True)
                elif isinstance(v, (np.ndarray, np.generic)):
                    v = v.item()
                entry[name] = v
            new_state[id(p)] = entry
        new_groups = []
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            g = {k: v for k, v in saved.items() if k != "params"}
            self._check_group(g, f" in saved parameter group {gi}")
            g["params"] = group["params"]
            new_groups.append(g)
        self.param_groups[:] = new_groups
        self.state = new_state

    def flat_state_dict(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The state dict as a flat ``{str: ndarray}`` (for ``np.savez``; loads with ``allow_pickle=False``)."""
        return flatten_state_dict(self.state_dict(), prefix)

    def load_flat_state_dict(self, flat: dict[str, np.ndarray], prefix: str = "") -> None:
        """Inverse of :meth:`flat_state_dict`; keys not starting with ``prefix`` are ignored."""
        self.load_state_dict(unflatten_state_dict(flat, prefix))

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for gi, g in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v}" for k, v in g.items() if k != "params")
            lines.append(f"  group {gi}: {len(g['params'])} params, {hyper}")
        return "\n".join(lines + [")"])


def flatten_state_dict(state_dict: dict[str, Any], prefix: str = "") -> dict[str, np.ndarray]:
    """``{'state': {0: {'exp_avg': a}}, 'param_groups': [{'lr': 0.1, ...}]}`` ->
    ``{'state/0/exp_avg': a, 'param_groups/0/lr': array(0.1), ...}`` (every value an ndarray, no objects)."""
    flat: dict[str, np.ndarray] = {}
    items = [(f"state/{i}/{k}", v) for i, s in state_dict["state"].items() for k, v in s.items()]
    items += [(f"param_groups/{gi}/{k}", v) for gi, g in enumerate(state_dict["param_groups"]) for k, v in g.items()]
    for key, value in items:
        arr = np.array(value)  # a copy
        if arr.dtype == object:
            raise TypeError(f"flatten_state_dict: value of {key!r} ({value!r}) cannot be stored without pickle")
        flat[prefix + key] = arr
    return flat


def unflatten_state_dict(flat: dict[str, np.ndarray], prefix: str = "") -> dict[str, Any]:
    """Inverse of :func:`flatten_state_dict`: 0-d arrays become Python numbers/str, 'params' a list of ints,
    other 1-d group values (betas) tuples; state arrays stay arrays."""
    state: dict[int, dict[str, Any]] = {}
    groups: dict[int, dict[str, Any]] = {}
    for full_key, value in flat.items():
        if not full_key.startswith(prefix):
            continue
        parts = full_key[len(prefix):].split("/")
        if len(parts) != 3 or parts[0] not in ("state", "param_groups") or not parts[1].isdigit():
            raise ValueError(f"unflatten_state_dict: unexpected key {full_key!r}; expected "
                             f"'{prefix}state/<int>/<name>' or '{prefix}param_groups/<int>/<name>'")
        kind, i, name = parts[0], int(parts[1]), parts[2]
        arr = np.asarray(value)
        if kind == "state":
            state.setdefault(i, {})[name] = arr.item() if arr.ndim == 0 else arr.copy()
        elif name == "params":
            groups.setdefault(i, {})[name] = [int(v) for v in arr.reshape(-1)]
        else:
            groups.setdefault(i, {})[name] = arr.item() if arr.ndim == 0 else tuple(arr.tolist())
    if sorted(groups) != list(range(len(groups))) or any("params" not in g for g in groups.values()):
        raise ValueError(f"unflatten_state_dict: parameter groups under prefix {prefix!r} are incomplete "
                         f"(found group indices {sorted(groups)}, each needs a 'params' entry)")
    return {"state": dict(sorted(state.items())), "param_groups": [groups[i] for i in range(len(groups))]}
