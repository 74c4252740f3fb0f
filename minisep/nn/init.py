"""Weight initialisers, pure numpy. Each returns a NEW ndarray of the given shape and dtype (float32 default).

Randomness is explicit or drawn from minisep's seeded default generator (minisep/random.py): every
random initialiser takes ``rng`` as everywhere in minisep (random.as_rng), a ``numpy.random.Generator``,
an int seed, or None (the default) for a new stream of the default generator, which starts from seed 0
and restarts with ``minisep.manual_seed``; so runs are reproducible either way.

Fans follow PyTorch's rule for a weight of shape (O, C_per_group, kh, kw) (or (out, in) for Linear):

    fan_in  = C_per_group · kh · kw        (inputs that feed one output value)
    fan_out = O · kh · kw

so a depthwise weight (C·m, 1, kh, kw) has fan_in = kh·kw (each output sees one channel), a pointwise
weight (O, C, 1, 1) has fan_in = C, and a Linear weight (out, in) has fan_in = in.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..random import as_rng

_LINEAR = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def _check_shape(shape: Any, fn: str) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{fn}: shape must be an int or a tuple of ints, got {shape!r}") from None
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise ValueError(f"{fn}: shape must hold non-negative ints, got {shape!r}")
    return tuple(int(d) for d in dims)


def _check_dtype(dtype: Any, fn: str) -> np.dtype:
    dt = np.dtype(dtype)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{fn}: dtype must be a float dtype (float32 or float64), got {dt}")
    return dt


def _standard_normal(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    if dt in (np.float32, np.float64):
        return rng.standard_normal(shape, dtype=dt)  # drawn directly in dt: no float64 temporary
    return rng.standard_normal(shape).astype(dt)


def _unit_uniform(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype) -> np.ndarray:
    """Samples in [-1, 1)."""
    u = rng.random(shape, dtype=dt) if dt in (np.float32, np.float64) else rng.random(shape).astype(dt)
    u *= 2
    u -= 1
    return u


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu,
    √(2 / (1 + a²)) for leaky_relu with negative slope a = param (default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = 0.01 if param is None else param
        if isinstance(a, bool) or not isinstance(a, (int, float)):
            raise ValueError(f"calculate_gain: leaky_relu negative slope must be a number, got {param!r}")
        return math.sqrt(2.0 / (1 + a * a))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join(_LINEAR)}, tanh, relu, leaky_relu, selu")


def fan_in_fan_out(shape: Any, groups: int = 1) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (O, C_per_group, *kernel):

        fan_in  = C_per_group · prod(kernel)
        fan_out = (O / groups) · prod(kernel)

    groups=1 (default) is PyTorch's rule, which counts all O outputs in fan_out even for grouped and
    depthwise convolutions (the group split is already in C_per_group, so fan_in needs no groups).
    Pass groups=G to count only the O/G outputs one input channel really feeds (for depthwise with
    multiplier m: fan_out = m·kh·kw).
    """
    dims = _check_shape(shape, "fan_in_fan_out")
    if len(dims) < 2:
        raise ValueError(f"fan_in_fan_out: needs a weight with at least 2 dims (out, in, *kernel), got shape {dims}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1 or dims[0] % groups:
        raise ValueError(f"fan_in_fan_out: groups must be an int >= 1 dividing O = {dims[0]}, got {groups!r}")
    receptive = math.prod(dims[2:])
    return dims[1] * receptive, dims[0] // int(groups) * receptive


def _fan(shape: tuple[int, ...], mode: str, groups: int, fn: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{fn}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_fan_out(shape, groups)
    return fan_in if mode == "fan_in" else fan_out


def normal(shape: Any, rng: Any = None, mean: float = 0.0, std: float = 1.0, *,
           dtype: Any = np.float32) -> np.ndarray:
    """w ~ N(mean, std²)."""
    rng, dims, dt = as_rng(rng, "normal"), _check_shape(shape, "normal"), _check_dtype(dtype, "normal")
    w = _standard_normal(rng, dims, dt)
    w *= std
    w += mean
    return w


def uniform(shape: Any, rng: Any = None, low: float = 0.0, high: float = 1.0, *,
            dtype: Any = np.float32) -> np.ndarray:
    """w ~ U(low, high)."""
    rng, dims, dt = as_rng(rng, "uniform"), _check_shape(shape, "uniform"), _check_dtype(dtype, "uniform")
    w = _unit_uniform(rng, dims, dt)  # in [-1, 1)
    w *= (high - low) / 2
    w += (high + low) / 2
    return w


def kaiming_normal(shape: Any, rng: Any = None, nonlinearity: str = "relu", mode: str = "fan_in",
                   *, a: float = 0.0, groups: int = 1, dtype: Any = np.float32) -> np.ndarray:
    """He normal: w ~ N(0, std²) with std = gain / √fan, gain = calculate_gain(nonlinearity, a),
    fan = fan_in (default: keeps forward variance) or fan_out (keeps backward variance).
    For relu on a depthwise 3x3 weight: std = √2 / √9."""
    rng = as_rng(rng, "kaiming_normal")  # once: None draws one stream, passed on
    fan = _fan(_check_shape(shape, "kaiming_normal"), mode, groups, "kaiming_normal")
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan) if fan else 0.0
    return normal(shape, rng, 0.0, std, dtype=dtype)


def kaiming_uniform(shape: Any, rng: Any = None, nonlinearity: str = "relu", mode: str = "fan_in",
                    *, a: float = 0.0, groups: int = 1, dtype: Any = np.float32) -> np.ndarray:
    """He uniform: w ~ U(−bound, bound) with bound = √3 · std = gain · √(3 / fan)  (std = gain / √fan)."""
    rng = as_rng(rng, "kaiming_uniform")  # once: None draws one stream, passed on
    fan = _fan(_check_shape(shape, "kaiming_uniform"), mode, groups, "kaiming_uniform")
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan) if fan else 0.0
    return uniform(shape, rng, -bound, bound, dtype=dtype)


def xavier_normal(shape: Any, rng: Any = None, gain: float = 1.0, *, groups: int = 1,
                  dtype: Any = np.float32) -> np.ndarray:
    """Glorot normal: w ~ N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    rng = as_rng(rng, "xavier_normal")  # once: None draws one stream, passed on
    fan_in, fan_out = fan_in_fan_out(_check_shape(shape, "xavier_normal"), groups)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return normal(shape, rng, 0.0, std, dtype=dtype)


def xavier_uniform(shape: Any, rng: Any = None, gain: float = 1.0, *, groups: int = 1,
                   dtype: Any = np.float32) -> np.ndarray:
    """Glorot uniform: w ~ U(−bound, bound) with bound = gain · √(6 / (fan_in + fan_out)) (= √3 · std)."""
    rng = as_rng(rng, "xavier_uniform")  # once: None draws one stream, passed on
    fan_in, fan_out = fan_in_fan_out(_check_shape(shape, "xavier_uniform"), groups)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out)) if fan_in + fan_out else 0.0
    return uniform(shape, rng, -bound, bound, dtype=dtype)


glorot_normal = xavier_normal
glorot_uniform = xavier_uniform


def torch_default_uniform(shape: Any, rng: Any = None, *, fan_in: int | None = None,
                          dtype: Any = np.float32) -> np.ndarray:
    """What torch.nn.Conv2d / Linear do in reset_parameters(): w ~ U(−bound, bound), bound = 1 / √fan_in.

    For the weight this is kaiming_uniform with leaky_relu slope a = √5:
    gain = √(2 / (1 + 5)) = √(1/3), bound = gain · √(3 / fan_in) = 1 / √fan_in.
    For the bias pass the weight's fan_in:
    ``torch_default_uniform((O,), rng, fan_in=fan_in_fan_out(w_shape)[0])`` (same bound 1 / √fan_in).
    """
    rng = as_rng(rng, "torch_default_uniform")  # once: None draws one stream, passed on
    dims = _check_shape(shape, "torch_default_uniform")
    if fan_in is None:
        fan_in = fan_in_fan_out(dims)[0]
    elif isinstance(fan_in, bool) or not isinstance(fan_in, (int, np.integer)) or fan_in < 0:
        raise ValueError(f"torch_default_uniform: fan_in must be an int >= 0, got {fan_in!r}")
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return uniform(dims, rng, -bound, bound, dtype=dtype)


def zeros(shape: Any, rng: Any = None, *, dtype: Any = np.float32) -> np.ndarray:
    """w = 0. ``rng`` is accepted (and type-checked) only so every initialiser can be called as
    ``init(shape, rng)``; no randomness is used (None draws no stream of the default generator)."""
    if rng is not None:
        as_rng(rng, "zeros")
    return np.zeros(_check_shape(shape, "zeros"), dtype=_check_dtype(dtype, "zeros"))


def ones(shape: Any, rng: Any = None, *, dtype: Any = np.float32) -> np.ndarray:
    """w = 1. ``rng`` as in :func:`zeros`."""
    if rng is not None:
        as_rng(rng, "ones")
    return np.ones(_check_shape(shape, "ones"), dtype=_check_dtype(dtype, "ones"))
