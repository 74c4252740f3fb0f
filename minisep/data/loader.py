"""Mini-batches over numpy arrays, and per-channel normalisation.

Randomness as everywhere in minisep: ``rng`` is an ``np.random.Generator`` or an int seed, or None
for a stream of minisep's default generator (so ``DataLoader(x, y, 64, shuffle=True)`` works as in
torch and is reproducible after ``minisep.manual_seed``). The loader draws a fresh permutation from that generator at the start of every epoch
(every ``iter()``), so epochs differ from each other, while the same seed gives the same
sequence of epochs on every run.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from ..random import as_rng

_CHUNK = 8192  # samples per chunk in mean_std: bounds the float64 temporaries


class ArrayDataset:
    """torch's TensorDataset over ndarrays: ``len(ds)`` samples, ``ds[i] -> (x[i], y[i])``.
    ``loader.dataset`` is one, so ``len(train_loader.dataset)`` works as in torch scripts."""

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class DataLoader:
    """Iterate over ``(xb, yb)`` mini-batches of ``x`` and ``y`` (split along axis 0).

    ``len(loader)`` is the number of batches per epoch: ceil(N / batch_size), or floor(...) with
    ``drop_last=True`` (which drops the last, smaller batch). Without shuffling, batches are
    views of ``x``/``y`` in order; with shuffling they are copies in a new random order per epoch.
    """

    def __init__(self, x, y, batch_size: int, shuffle: bool = False, rng=None,
                 drop_last: bool = False):
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim == 0 or y.ndim == 0:
            raise ValueError(f"DataLoader: x and y need at least 1 dimension, got x {x.shape} and y {y.shape}")
        if len(x) != len(y):
            raise ValueError(f"DataLoader: x and y lengths differ: x has {len(x)} samples (shape {x.shape}), "
                             f"y has {len(y)} (shape {y.shape})")
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {type(batch_size).__name__}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.x, self.y = x, y
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        # no shuffling, no rng needed; shuffling without one draws a stream of the default generator
        self.rng = as_rng(rng, "DataLoader") if (shuffle or rng is not None) else None

    @property
    def num_samples(self) -> int:
        return len(self.x)

    @property
    def dataset(self) -> ArrayDataset:
        return ArrayDataset(self.x, self.y)

    def __len__(self) -> int:
        n, b = len(self.x), self.batch_size
        return n // b if self.drop_last else math.ceil(n / b)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        order = self.rng.permutation(len(self.x)) if self.shuffle else None  # new order per epoch
        for k in range(len(self)):
            lo, hi = k * self.batch_size, min((k + 1) * self.batch_size, len(self.x))
            if order is None:
                yield self.x[lo:hi], self.y[lo:hi]
            else:
                idx = order[lo:hi]
                yield self.x[idx], self.y[idx]

    def get_state(self) -> dict | None:
        """The batch-order generator's state (a JSON-able dict), or None without shuffling.

        Taken between epochs, it fixes every later epoch's order: ``set_state`` resumes a run."""
        return None if self.rng is None else self.rng.bit_generator.state

    def set_state(self, state: dict | None) -> None:
        """Restore what ``get_state`` returned (a ValueError if it does not fit this loader)."""
        if self.rng is None or state is None:
            if (self.rng is None) != (state is None):
                raise ValueError(f"state: a loader {'without' if self.rng is None else 'with'} shuffling "
                                 f"cannot take state {state!r}")
            return
        try:
            self.rng.bit_generator.state = state
        except (TypeError, ValueError, KeyError) as e:
            raise ValueError(f"state: not a {type(self.rng.bit_generator).__name__} state ({e})") from None

    def __repr__(self) -> str:
        return (f"DataLoader(N={len(self.x)}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")


def mean_std(x) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and (population) std of ``x`` shaped (N, C, ...), as float32 arrays (C,).

    Two passes in float64 over chunks of samples, so large float32 sets stay accurate without a
    full float64 copy.
    """
    x = np.asarray(x)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x: expected shape (N, C, ...) with N >= 1, got {x.shape}")
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channel axis 1
    count = x.size // x.shape[1]
    total = np.zeros(x.shape[1])
    for lo in range(0, len(x), _CHUNK):
        total += x[lo:lo + _CHUNK].sum(axis=axes, dtype=np.float64)
    mean = total / count  # (C,)
    bshape = (1, -1) + (1,) * (x.ndim - 2)  # (C,) -> (1, C, 1, ...)
    sq = np.zeros(x.shape[1])
    for lo in range(0, len(x), _CHUNK):
        d = x[lo:lo + _CHUNK].astype(np.float64) - mean.reshape(bshape)
        sq += (d * d).sum(axis=axes)
    return mean.astype(np.float32), np.sqrt(sq / count).astype(np.float32)


def normalize(x, mean, std) -> np.ndarray:
    """(x - mean[c]) / std[c] per channel c of ``x`` shaped (N, C, ...); scalars apply to all.

    Returns a new array of x's float dtype (float32 for integer x).
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x: expected shape (N, C, ...), got {x.shape}")
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float32)
    mean = np.asarray(mean, dtype=np.float64).reshape(-1)
    std = np.asarray(std, dtype=np.float64).reshape(-1)
    c = x.shape[1]
    for label, v in (("mean", mean), ("std", std)):
        if v.size not in (1, c):
            raise ValueError(f"{label}: expected a scalar or {c} values (one per channel of x "
                             f"{x.shape}), got {v.size}")
    if not np.all(np.isfinite(std) & (std > 0)) or not np.all(np.isfinite(mean)):
        raise ValueError(f"mean/std: need finite values and std > 0, got mean {mean}, std {std}")
    bshape = (1, -1) + (1,) * (x.ndim - 2)  # (C,) -> (1, C, 1, ...)
    m = mean.astype(dtype).reshape(bshape)
    s = std.astype(dtype).reshape(bshape)
    return ((x.astype(dtype, copy=True) - m) / s).astype(dtype, copy=False)
