"""Whole training steps for ``minisep bench``: a minisep MNIST CNN and the same model in torch.

One step = forward, cross-entropy, zero_grad, backward, Adam step. The torch twin is built by
walking the minisep modules (every container becomes a torch.nn.Sequential with the same child
names, a SeparableConv2d a Sequential(depthwise, [mid], pointwise)), so minisep's state dict loads
into it 1:1 (the layouts are PyTorch's); the logits of one batch are compared before timing.
"""
from __future__ import annotations


import numpy as np

from .. import optim
from ..app import models
from .timing import CLOCKS
from ..interop.torch import to_torch
from ..ops import cross_entropy
from ..tensor import as_tensor

PHASES = ("forward", "backward", "optimizer")


class StepPair:
    """A minisep model and its torch twin (same weights), one batch, and a callable step for each.

    Each step records how long its phases took (forward + loss, backward, optimizer) in ``phases``.
    """

    def __init__(self, variant: str, batch: int = 128, input_shape=(1, 28, 28), torch=None, seed: int = 0,
                 lr: float = 1e-3, clock: str = "wall"):
        self.tick = CLOCKS[clock]
        rng = np.random.default_rng(seed)
        self.variant, self.batch = variant, batch
        self.x = rng.standard_normal((batch, *input_shape)).astype(np.float32)
        self.y = rng.integers(0, 10, batch)
        self.model = models.build_model(variant, input_shape=input_shape, rng=seed).train()
        self.params, self.mult_adds = models.cost(self.model, tuple(input_shape))
        self.opt = optim.Adam(self.model.parameters(), lr=lr)
        self.phases = {"minisep": {p: [] for p in PHASES}, "torch": {p: [] for p in PHASES}}
        self.torch = torch
        if torch is not None:
            state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in self.model.state_dict().items()}
            self.tmodel = to_torch(torch, self.model).train()
            self.tmodel.load_state_dict(state, strict=True)
            self.topt = torch.optim.Adam(self.tmodel.parameters(), lr=lr)
            self.tx, self.ty = torch.from_numpy(self.x), torch.from_numpy(self.y.astype(np.int64))

    def logits_error(self) -> float:
        """max |ours - torch| / max |torch| of the logits of this batch (train mode; both models then
        have updated their BatchNorm running statistics once, alike)."""
        ours = self.model(as_tensor(self.x)).data
        with self.torch.no_grad():
            theirs = self.tmodel(self.tx).numpy()
        return float(np.max(np.abs(ours - theirs)) / max(float(np.max(np.abs(theirs))), 1e-30))

    def minisep_step(self) -> float:
        t0 = self.tick()
        loss = cross_entropy(self.model(as_tensor(self.x)), self.y)
        t1 = self.tick()
        self.opt.zero_grad()
        loss.backward()
        t2 = self.tick()
        self.opt.step()
        self._record("minisep", t0, t1, t2, self.tick())
        return float(loss.item())

    def torch_step(self) -> float:
        t0 = self.tick()
        loss = self.torch.nn.functional.cross_entropy(self.tmodel(self.tx), self.ty)
        t1 = self.tick()
        self.topt.zero_grad()
        loss.backward()
        t2 = self.tick()
        self.topt.step()
        self._record("torch", t0, t1, t2, self.tick())
        return float(loss.item())

    def _record(self, who: str, t0: float, t1: float, t2: float, t3: float) -> None:
        for phase, seconds in zip(PHASES, (t1 - t0, t2 - t1, t3 - t2)):
            self.phases[who][phase].append(seconds)

    def phase_ms(self, who: str, skip: int) -> dict:
        """Median ms per phase over the timed steps (the first ``skip`` were warm-up)."""
        return {p: 1e3 * float(np.median(t[skip:] or t)) for p, t in self.phases[who].items()}
