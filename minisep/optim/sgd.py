"""Stochastic gradient descent with momentum, dampening, Nesterov and L2 weight decay (torch.optim.SGD)."""
from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_number, state_array


class SGD(Optimizer):
    """SGD, PyTorch's formulation exactly. Per parameter x with gradient g, on every step:

        g   ← g + weight_decay · x                      (if weight_decay ≠ 0; L2 penalty)
        buf ← g                                         (first step, if momentum ≠ 0)
        buf ← momentum · buf + (1 − dampening) · g      (later steps)
        g   ← g + momentum · buf    if nesterov,  else  g ← buf
        x   ← x − lr · g

    Note (as in PyTorch, unlike Sutskever et al.) lr multiplies the velocity, not the gradient only.
    State per parameter: ``momentum_buffer`` (same shape and dtype as x). p.grad is never modified.
    """

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                                      weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        group["lr"] = check_number("SGD", "lr", group["lr"], where, low=0.0)
        group["momentum"] = check_number("SGD", "momentum", group["momentum"], where, low=0.0)
        group["dampening"] = check_number("SGD", "dampening", group["dampening"], where, low=0.0, high=1.0,
                                          high_ok=True)
        group["weight_decay"] = check_number("SGD", "weight_decay", group["weight_decay"], where, low=0.0)
        if not isinstance(group["nesterov"], (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov{where} must be True or False, got {group['nesterov']!r}")
        group["nesterov"] = bool(group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(f"SGD: nesterov=True{where} requires momentum > 0 and dampening = 0 "
                             f"(got momentum={group['momentum']}, dampening={group['dampening']})")

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
        weight_decay, nesterov = group["weight_decay"], group["nesterov"]
        if weight_decay != 0:
            g = np.add(g, weight_decay * x, out=np.empty_like(x))  # a new array (p.grad untouched); out=
            #                                   keeps a 0-d parameter's g an ndarray, not a numpy scalar
        if momentum != 0:
            buf = state_array(state, "momentum_buffer", x)
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=x.dtype)  # an ndarray copy, even 0-d
            else:
                buf *= momentum
                buf += (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        x -= lr * g                                     # in place: views of x see the update
