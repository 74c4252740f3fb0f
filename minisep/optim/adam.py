"""Adam (L2 weight decay added to the gradient) and AdamW (decoupled weight decay), as torch.optim."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer, check_number, state_array


class Adam(Optimizer):
    """Adam (Kingma & Ba), PyTorch's formulation exactly. Per parameter x with gradient g, step t = 1, 2, ...:

        g     ← g + weight_decay · x                  (if weight_decay ≠ 0; L2, as torch.optim.Adam)
        m     ← m + (1 − beta1) · (g − m)             (= beta1·m + (1 − beta1)·g;  m starts at 0)
        v     ← beta2 · v + (1 − beta2) · g · g       (v starts at 0)
        bias_correction1 = 1 − beta1^t,   bias_correction2 = 1 − beta2^t
        step_size = lr / bias_correction1
        denom = sqrt(v) / sqrt(bias_correction2) + eps
        x     ← x − step_size · m / denom

    State per parameter: ``step`` (int t), ``exp_avg`` (m), ``exp_avg_sq`` (v), in x's dtype.
    """

    decoupled = False  # AdamW sets True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def _check_group(self, group: dict[str, Any], where: str) -> None:
        name = type(self).__name__
        group["lr"] = check_number(name, "lr", group["lr"], where, low=0.0)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list, np.ndarray)) or len(betas) != 2:
            raise ValueError(f"{name}: betas{where} must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = (check_number(name, "betas[0]", betas[0], where, low=0.0, high=1.0),
                          check_number(name, "betas[1]", betas[1], where, low=0.0, high=1.0))
        group["eps"] = check_number(name, "eps", group["eps"], where, low=0.0, low_ok=False)
        group["weight_decay"] = check_number(name, "weight_decay", group["weight_decay"], where, low=0.0)

    def _update(self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(x), exp_avg_sq=np.zeros_like(x))
        m, v = state_array(state, "exp_avg", x), state_array(state, "exp_avg_sq", x)
        state["step"] = t = state["step"] + 1
        if weight_decay != 0:
            if self.decoupled:
                x *= 1 - lr * weight_decay                  # AdamW: shrink x directly
            else:
                g = g + weight_decay * x                    # Adam: L2 term in the gradient (p.grad untouched)
        tmp = np.subtract(g, m, out=np.empty_like(m))       # m ← m + (1 − beta1)·(g − m), torch's lerp
        #                                                     (out=: an ndarray even for a 0-d parameter)
        tmp *= 1 - beta1
        m += tmp
        np.multiply(g, g, out=tmp)                          # v ← beta2·v + (1 − beta2)·g·g
        tmp *= 1 - beta2
        v *= beta2
        v += tmp
        bias_correction1 = 1 - beta1 ** t                   # Python floats: no float64 upcast of float32 arrays
        bias_correction2 = 1 - beta2 ** t
        step_size = lr / bias_correction1
        denom = np.sqrt(v, out=tmp)                         # denom = sqrt(v)/sqrt(bias_correction2) + eps
        denom /= math.sqrt(bias_correction2)
        denom += eps
        np.divide(m, denom, out=denom)                      # x ← x − step_size · m / denom
        denom *= step_size
        x -= denom


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter), PyTorch's formulation exactly: weight decay is decoupled from the moments.

        x     ← x · (1 − lr · weight_decay)           (before the Adam step; the gradient is not changed)
        m     ← m + (1 − beta1) · (g − m)
        v     ← beta2 · v + (1 − beta2) · g · g
        bias_correction1 = 1 − beta1^t,   bias_correction2 = 1 − beta2^t
        step_size = lr / bias_correction1
        denom = sqrt(v) / sqrt(bias_correction2) + eps
        x     ← x − step_size · m / denom
    """

    decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
