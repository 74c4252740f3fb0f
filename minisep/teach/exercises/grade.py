"""Grade a learner's function: hypothesis-drawn configurations against minisep, then a float64 gradcheck.

On failure the report gives the smallest failing configuration (hypothesis shrinks it), an error map
showing WHERE the result is wrong, and a hint naming the wrong term, found by running every known
wrong variant (minisep.teach.bugs) on that configuration and naming the one the learner's output equals.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

ATOL = 1e-8


@dataclass
class Exercise:
    number: int
    name: str
    title: str
    function: str                     # the name the learner fills in
    stub: str                         # file name under stubs/
    configs: Callable                 # () -> hypothesis strategy of configurations
    make_case: Callable               # config -> dict of input arrays (and the config itself)
    reference: Callable               # case -> expected ndarray (minisep's answer)
    call: Callable                    # (learner fn, case) -> ndarray
    variants: dict                    # name -> (case -> ndarray, hint)
    map_axes: str                     # the axes of the error map, e.g. "(c, h, w), max over n"
    solution: str                     # where minisep does it
    docs: str                         # the derivation
    fd_check: Callable | None = None  # learner fn -> (ok, message): the float64 finite-difference check
    max_examples: int = 25


@dataclass
class Result:
    passed: bool
    lines: list = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.lines)


class _Wrong(AssertionError):
    pass


def load_function(ex: Exercise, path) -> Callable:
    """The learner's function from a file, or from the file `start` made inside a folder."""
    path = Path(path)
    if path.is_dir():
        path = path / ex.stub
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}: run `minisep exercise start {ex.number} DIR` first")
    spec = importlib.util.spec_from_file_location(f"learner_ex{ex.number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fn = getattr(module, ex.function, None)
    if not callable(fn):
        raise AttributeError(f"{path} defines no function {ex.function}()")
    return fn


def _compare(ex: Exercise, fn, case) -> np.ndarray:
    """The learner's output, checked against minisep's; raises _Wrong with the reason."""
    expected = ex.reference(case)
    got = np.asarray(ex.call(fn, case), dtype=np.float64)
    if got.shape != expected.shape:
        raise _Wrong(f"wrong shape: got {got.shape}, expected {expected.shape}")
    if not np.allclose(got, expected, atol=ATOL, rtol=1e-7):
        raise _Wrong("wrong values")
    return got


def find_failure(ex: Exercise, fn):
    """(config, reason) of the smallest failing configuration, or None when every example passes."""
    from hypothesis import HealthCheck, given, settings

    found = {}

    @settings(max_examples=ex.max_examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(ex.configs())
    def prop(cfg):
        try:
            _compare(ex, fn, ex.make_case(cfg))
        except NotImplementedError:
            raise
        except Exception as e:  # the last failure hypothesis replays is the shrunk one
            found["cfg"], found["why"] = cfg, f"{type(e).__name__}: {e}" if not isinstance(e, _Wrong) else str(e)
            raise _Wrong(found["why"]) from None

    try:
        prop()
    except _Wrong:
        return found["cfg"], found["why"]
    return None


def error_map(err: np.ndarray, tol: float, kernel: bool) -> list[str]:
    """A text grid per channel: X where |got - expected| > tol, . where right.

    kernel=True: err is (C·m, 1, kh, kw); otherwise (N, C, H, W) and the map is the max over n."""
    planes = err[:, 0] if kernel else err.max(axis=0)
    lines = []
    for c, plane in enumerate(planes):
        for i, row in enumerate(plane):
            marks = " ".join("X" if v > tol else "." for v in row)
            lines.append(f"    {str(c) + ':' if i == 0 else '':>4} {marks}")
    return lines


def match_variant(ex: Exercise, got: np.ndarray, case) -> list[str]:
    names = []
    for name, (variant, _hint) in ex.variants.items():
        try:
            v = np.asarray(variant(case), dtype=np.float64)
        except Exception:
            continue
        if v.shape == got.shape and np.allclose(v, got, atol=ATOL, rtol=1e-7):
            names.append(name)
    return names


def grade(ex: Exercise, fn) -> Result:
    res = Result(False, [f"exercise {ex.number}: {ex.title}"])
    try:
        failure = find_failure(ex, fn)
    except NotImplementedError:
        res.lines += [f"FAILED: {ex.function}() still raises NotImplementedError.",
                      "  Fill in its body (the formula is in its docstring), then run check again."]
        return res
    if failure is not None:
        cfg, why = failure
        res.lines += [f"FAILED: {why}", f"  smallest failing configuration: {cfg}"]
        case = ex.make_case(cfg)
        try:
            got = np.asarray(ex.call(fn, case), dtype=np.float64)
        except Exception:
            return res
        expected = ex.reference(case)
        if got.shape == expected.shape:
            err = np.abs(got - expected)
            res.lines += [f"  where it is wrong (X), per {ex.map_axes}; max error {err.max():.3g}:"]
            res.lines += error_map(err, ATOL + 1e-7 * np.abs(expected).max(), ex.map_axes.startswith("(c·m+r"))
            names = match_variant(ex, got, case)
            for name in names:
                res.lines.append(f"  hint [{name}]: {ex.variants[name][1]}")
            if not names:
                res.lines.append("  hint: matches none of the known mistakes; compare your loops with the docstring")
        return res
    if ex.fd_check is not None:
        ok, message = ex.fd_check(fn)
        res.lines.append(f"  float64 finite-difference check: {message}")
        if not ok:
            res.lines.insert(1, "FAILED: agrees with minisep but not with finite differences")
            return res
    res.passed = True
    res.lines.insert(1, f"PASSED: {ex.max_examples} hypothesis-drawn configurations agree with minisep.")
    res.lines += [f"  minisep's own implementation: {ex.solution}", f"  the derivation: {ex.docs}"]
    return res
