"""minisep's default random generator, as torch's: `manual_seed(s)` once makes a script reproducible.

Every layer, Dropout and DataLoader built without `rng=` draws its own stream from this generator,
so two `Linear(10, 10)` start with different weights, and a script that calls `manual_seed(0)` once
gives the same numbers on every run. An explicit `rng=` (a `numpy.random.Generator` or an int seed)
bypasses the default generator and is reproducible on its own.

The generator starts from seed 0 at import, so a script that never calls `manual_seed` is
reproducible too.
"""

from __future__ import annotations

import threading

import numpy as np

_lock = threading.Lock()
_root = np.random.SeedSequence(0)
_counter = 0


def manual_seed(seed: int) -> None:
    """Restart minisep's default generator from ``seed`` (an int >= 0), as ``torch.manual_seed``."""
    global _root, _counter
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"manual_seed: seed must be an int >= 0, got {seed!r}")
    with _lock:
        _root = np.random.SeedSequence(int(seed))
        _counter = 0


def next_generator() -> np.random.Generator:
    """A fresh, independent stream: the next child of the default generator's seed sequence."""
    global _counter
    with _lock:
        child = np.random.SeedSequence(_root.entropy, spawn_key=(_counter,))
        _counter += 1
    return np.random.default_rng(child)


def get_state() -> dict:
    """The default generator's state (seed and how many streams were drawn), for checkpoints."""
    with _lock:
        return {"entropy": int(_root.entropy), "counter": int(_counter)}


def set_state(state: dict) -> None:
    """Restore what `get_state` returned."""
    global _root, _counter
    try:
        entropy, counter = int(state["entropy"]), int(state["counter"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"set_state: expected a dict with int 'entropy' and 'counter', got {state!r}") from None
    with _lock:
        _root = np.random.SeedSequence(entropy)
        _counter = counter


def as_rng(rng, where: str) -> np.random.Generator:
    """The one rng check: None -> a new stream of the default generator; a Generator as is; an int seed.

    ``where`` names the caller in the error, e.g. ``as_rng(rng, "Conv2d")``.
    """
    if rng is None:
        return next_generator()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(f"{where}: rng must be None, a numpy.random.Generator or an int seed >= 0, got {rng!r}")


__all__ = ["manual_seed", "next_generator", "get_state", "set_state", "as_rng"]
