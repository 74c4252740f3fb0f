"""Learning-rate schedulers: each sets ``group['lr'] = f(base_lr, last_epoch)`` for every parameter group.

Usage (as torch.optim.lr_scheduler): build after the optimizer, call ``scheduler.step()`` once per epoch
*after* ``optimizer.step()``. At construction ``last_epoch`` becomes 0 and every group gets its base lr.
The base lr of a group is ``group['initial_lr']`` (set from ``group['lr']`` the first time a scheduler
is attached, as in PyTorch), so each group keeps its own scale.
"""
from __future__ import annotations

import math
from typing import Any

from .optimizer import Optimizer, check_number


class LRScheduler:
    """Base class: subclasses implement :meth:`get_lr` as a closed form of ``self.last_epoch``."""

    def __init__(self, optimizer: Optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be a minisep.optim.Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = -1
        self.last_lr: list[float] = []
        self.step()

    def get_lr(self) -> list[float]:
        """The learning rate of every group at epoch ``self.last_epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and write the new lr into every parameter group."""
        self.last_epoch += 1
        self.last_lr = [float(lr) for lr in self.get_lr()]
        for group, lr in zip(self.optimizer.param_groups, self.last_lr):
            group["lr"] = lr

    def get_last_lr(self) -> list[float]:
        """The lrs set by the last :meth:`step` (torch's name for :attr:`last_lr`)."""
        return list(self.last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs), "last_lr": list(self.last_lr)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if len(state_dict["base_lrs"]) != len(self.optimizer.param_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: saved state has {len(state_dict['base_lrs'])}"
                             f" base lrs; the optimizer has {len(self.optimizer.param_groups)} groups")
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = [float(v) for v in state_dict["base_lrs"]]
        self.last_lr = [float(v) for v in state_dict["last_lr"]]


def _positive_int(cls: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{cls}: {key} must be an int >= 1, got {value!r}")
    return value


class StepLR(LRScheduler):
    """Decay by ``gamma`` every ``step_size`` epochs:  lr = base_lr · gamma^⌊last_epoch / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        self.gamma = check_number("StepLR", "gamma", gamma, "", low=0.0, low_ok=False)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs]


class CosineLR(LRScheduler):
    """Cosine annealing from base_lr to eta_min over T_max epochs (torch CosineAnnealingLR, closed form):

        lr = eta_min + (base_lr − eta_min) · (1 + cos(π · last_epoch / T_max)) / 2

    After T_max epochs the cosine continues (lr rises again, period 2·T_max), exactly as PyTorch does;
    stop calling step() (or choose T_max = total epochs) to stay at eta_min.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max = _positive_int("CosineLR", "T_max", T_max)
        self.eta_min = check_number("CosineLR", "eta_min", eta_min, "", low=0.0)
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        cos = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base_lr - self.eta_min) * cos for base_lr in self.base_lrs]


CosineAnnealingLR = CosineLR  # PyTorch's name
