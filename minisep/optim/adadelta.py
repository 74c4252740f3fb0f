"""Adadelta (Zeiler 2012), as torch.optim.Adadelta: the optimizer of pytorch/examples' MNIST script."""
from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, check_number, state_array


class Adadelta(Optimizer):
    """Adadelta, PyTorch's formulation exactly. Per parameter x with gradient g:

        g      ← g + weight_decay · x                     (if weight_decay ≠ 0)
        v      ← rho · v + (1 − rho) · g · g               (square_avg; starts at 0)
        delta  = sqrt(u + eps) / sqrt(v + eps) · g         (u = acc_delta; starts at 0)
        u      ← rho · u + (1 − rho) · delta · delta
        x      ← x − lr · delta

    State per parameter: ``step``, ``square_avg`` (v), ``acc_delta`` (u), in x's dtype.
    """

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        group["lr"] = check_number("Adadelta", "lr", group["lr"], where, low=0.0)
        group["rho"] = check_number("Adadelta", "rho", group["rho"], where, low=0.0, high=1.0, high_ok=True)
        group["eps"] = check_number("Adadelta", "eps", group["eps"], where, low=0.0, low_ok=False)
        group["weight_decay"] = check_number("Adadelta", "weight_decay", group["weight_decay"], where, low=0.0)

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, rho, eps, weight_decay = group["lr"], group["rho"], group["eps"], group["weight_decay"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(x), acc_delta=np.zeros_like(x))
        v, u = state_array(state, "square_avg", x), state_array(state, "acc_delta", x)
        state["step"] += 1
        if weight_decay != 0:
            g = g + weight_decay * x                     # L2 term in the gradient (p.grad untouched)
        v *= rho                                         # v ← rho·v + (1 − rho)·g·g
        v += (1 - rho) * g * g
        delta = np.sqrt(u + eps, out=np.empty_like(u))   # delta = sqrt(u + eps) / sqrt(v + eps) · g
        delta /= np.sqrt(v + eps)
        delta *= g
        u *= rho                                         # u ← rho·u + (1 − rho)·delta·delta
        u += (1 - rho) * delta * delta
        delta *= lr                                      # x ← x − lr·delta
        x -= delta
