"""Train one (variant, seed, width) and return a plain dict; compilation is timed apart from the epochs."""

from __future__ import annotations

import time

import numpy as np

from ..app.experiment import default_batch_size, make_optimizer, make_scheduler
from ..app.train import fit
from ..teach.summary import cost
from .variants import make_model

_WARM: set = set()

# what a run records that the clock sets: never compared when a result is reproduced
TIMING_KEYS = ("train_seconds", "seconds_per_epoch", "compile_seconds")


def warm_up(variant: str, input_shape, width: float, batch_size: int) -> float:
    """One training step of a throwaway copy on random images, so numba's one-time compile or cache load
    is not counted in the first epoch. Returns its seconds (0.0 if this variant/shape was warmed already)."""
    key = (variant, tuple(input_shape), width)
    if key in _WARM:
        return 0.0
    start = time.perf_counter()
    model = make_model(variant, input_shape, seed=0, width=width)
    x = np.random.default_rng(0).standard_normal((batch_size, *input_shape)).astype(np.float32)
    y = np.arange(batch_size) % 10
    opt = make_optimizer(model, "adam", None)
    fit(model, opt, (x, y), (x[:8], y[:8]), epochs=1, batch_size=batch_size, seed=0, progress=False,
        log=lambda *a: None)
    _WARM.add(key)
    return time.perf_counter() - start


def curves(history) -> dict:
    """Per-epoch losses and accuracies (everything of a history but its times)."""
    return {k: [getattr(h, k) for h in history] for k in ("train_loss", "train_acc", "test_loss", "test_acc")}


def train_run(variant: str, train, test, *, seed: int, epochs: int, width: float = 1.0, batch_size=None,
              lr=None, dataset: str = "", log=lambda *a: None, on_trained=None) -> dict:
    """Train ``variant`` on ``train`` with weights from ``seed`` and batches from seed + 1; test on ``test``.
    ``on_trained(model)``, when given, is called with the trained model (the rank test projects it)."""
    input_shape = tuple(train[0].shape[1:])
    batch_size = batch_size or default_batch_size(dataset)
    compile_s = warm_up(variant, input_shape, width, batch_size)
    model = make_model(variant, input_shape, seed, width)
    params, mult_adds = cost(model, input_shape)
    optimizer = make_optimizer(model, "adam", lr)
    scheduler = make_scheduler(optimizer, "cosine", epochs)
    history = fit(model, optimizer, train, test, epochs=epochs, batch_size=batch_size, seed=seed + 1,
                  scheduler=scheduler, progress=False, log=log)
    if on_trained is not None:
        on_trained(model)
    seconds = [h.seconds for h in history]
    return {"model": variant, "seed": seed, "width": width, "params": params, "mult_adds": mult_adds,
            "test_acc": history[-1].test_acc, "test_loss": history[-1].test_loss, "curves": curves(history),
            "train_seconds": float(sum(seconds)), "seconds_per_epoch": float(np.mean(seconds)),
            "compile_seconds": float(compile_s + history.compile_seconds)}
