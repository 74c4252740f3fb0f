"""Optimizers and learning-rate schedulers working in place on ``param.data`` with ``param.grad``.

    opt = minisep.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = minisep.optim.CosineLR(opt, T_max=epochs)
    for epoch in range(epochs):
        for x, y in loader:
            opt.zero_grad(); loss = ...; loss.backward(); opt.step()
        sched.step()
"""
from .adadelta import Adadelta
from .adam import Adam, AdamW
from .lr_scheduler import CosineAnnealingLR, CosineLR, LRScheduler, StepLR
from .optimizer import Optimizer, flatten_state_dict, unflatten_state_dict
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adadelta", "LRScheduler", "StepLR", "CosineLR", "CosineAnnealingLR",
           "flatten_state_dict", "unflatten_state_dict"]
