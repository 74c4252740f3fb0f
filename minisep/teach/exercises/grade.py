"""Grade a learner's function: hypothesis-drawn configurations against minisep, then a float64 gradcheck.

On failure the report gives the smallest failing configuration (hypothesis shrinks it), an error map
showing WHERE the result is wrong, and a hint naming the wrong term, found by running every known
wrong variant on that configuration and naming the one the learner's output equals. When none
matches there (or the learner's code crashed on it), the exercise's `probes` (fixed configurations
where every variant is defined, e.g. a square matrix) are tried as well.

An exercise returns one array, or a tuple of arrays named by `parts` (e.g. ("gx", "ggamma", "gbeta"));
each part gets its own error map, drawn by its `map_kinds` entry:

    nchw     (N, C, H, W): a grid per channel, max over n
    kernel   (C·m, 1, kh, kw): a grid per filter
    matrix   2-D (or (O, C, 1, 1)): one grid, rows x columns
    vector   1-D: one row
    values   a few named integers (`value_names`): got vs expected, one per line
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np

ATOL = 1e-8
RTOL = 1e-7


@dataclass
class Exercise:
    number: int
    name: str
    title: str
    function: str | tuple             # the name(s) the learner fills in; a tuple: fn is a namespace of them
    stub: str                         # file name under stubs/
    configs: Callable                 # () -> hypothesis strategy of configurations
    make_case: Callable               # config -> dict of input arrays (and the config itself)
    reference: Callable               # case -> expected ndarray, or tuple of ndarrays (minisep's answer)
    call: Callable                    # (learner fn, case) -> ndarray, or tuple of ndarrays
    variants: dict                    # name -> (case -> output like reference's, hint)
    map_axes: str | tuple             # the axes of each error map, e.g. "(c, h, w), max over n"
    solution: str                     # where minisep does it
    docs: str                         # the derivation
    fd_check: Callable | None = None  # learner fn -> (ok, message): the float64 finite-difference check
    max_examples: int = 25
    parts: tuple = ()                 # names of the outputs when there are several
    map_kinds: tuple = ("nchw",)      # one per part (see the module docstring)
    value_names: tuple = ()           # for map kind 'values'
    probes: tuple = ()                # configurations also tried for a hint
    fd_name: str = "float64 finite-difference check"

    @property
    def functions(self) -> tuple:
        return (self.function,) if isinstance(self.function, str) else tuple(self.function)


@dataclass
class Result:
    passed: bool
    lines: list = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.lines)


class _Wrong(AssertionError):
    pass


def learner_variants(call, mistakes: dict, wrong_learner) -> dict:
    """An Exercise's `variants`: name -> (case -> call(wrong_learner(name), case), hint), one per known
    mistake, run the way a learner's function is run; the hint is the last item of mistakes[name]."""
    def run(learner):
        return lambda case: call(learner, case)
    return {name: (run(wrong_learner(name)), entry[-1]) for name, entry in mistakes.items()}


def load_function(ex: Exercise, path):
    """The learner's function from a file, or from the file `start` made inside a folder
    (a namespace of functions when the exercise has several)."""
    path = Path(path)
    if path.is_dir():
        path = path / ex.stub
    if not path.is_file():
        raise FileNotFoundError(f"no file {path}: run `minisep exercise start {ex.number} DIR` first")
    spec = importlib.util.spec_from_file_location(f"learner_ex{ex.number}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = {}
    for name in ex.functions:
        fn = getattr(module, name, None)
        if not callable(fn):
            raise AttributeError(f"{path} defines no function {name}()")
        found[name] = fn
    return found[ex.function] if isinstance(ex.function, str) else SimpleNamespace(**found)


def _parts(value) -> tuple:
    items = value if isinstance(value, (tuple, list)) else (value,)
    return tuple(np.asarray(v, dtype=np.float64) for v in items)


def _part_names(ex: Exercise, count: int) -> tuple:
    return ex.parts if ex.parts else ("result",) * count


def _close(a, b) -> bool:
    return a.shape == b.shape and np.allclose(a, b, atol=ATOL, rtol=RTOL)


def _compare(ex: Exercise, fn, case) -> tuple:
    """The learner's outputs, checked against minisep's; raises _Wrong with the reason."""
    expected = _parts(ex.reference(case))
    got = _parts(ex.call(fn, case))
    names = _part_names(ex, len(expected))
    if len(got) != len(expected):
        raise _Wrong(f"wrong number of results: got {len(got)}, expected {len(expected)} ({', '.join(names)})")
    for name, g, e in zip(names, got, expected):
        label = "" if not ex.parts else f"{name}: "
        if g.shape != e.shape:
            raise _Wrong(f"{label}wrong shape: got {g.shape}, expected {e.shape}")
    wrong = [name for name, g, e in zip(names, got, expected) if not _close(g, e)]
    if wrong:
        raise _Wrong("wrong values" + (f" in {', '.join(wrong)}" if ex.parts else ""))
    return got


def find_failure(ex: Exercise, fn):
    """(config, reason) of the smallest failing configuration, or None when every example passes."""
    from hypothesis import HealthCheck, Phase, given, settings

    found = {}

    # no 'explain' phase: it reruns the failure under a tracer, slow, and its report is not shown
    @settings(max_examples=ex.max_examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False,
              phases=(Phase.explicit, Phase.generate, Phase.shrink))
    @given(ex.configs())
    def prop(cfg):
        if found.get("stub"):
            return
        try:
            _compare(ex, fn, ex.make_case(cfg))
        except NotImplementedError:
            found["stub"] = True  # recorded, not raised: hypothesis would try to shrink it
        except Exception as e:  # the last failure hypothesis replays is the shrunk one
            found["cfg"], found["why"] = cfg, f"{type(e).__name__}: {e}" if not isinstance(e, _Wrong) else str(e)
            raise _Wrong(found["why"]) from None

    try:
        prop()
    except _Wrong:
        return found["cfg"], found["why"]
    if found.get("stub"):
        raise NotImplementedError(ex.function)
    return None


def _grid(plane, tol) -> list[str]:
    return [" ".join("X" if v > tol else "." for v in row) for row in np.atleast_2d(plane)]


def error_map(err: np.ndarray, tol: float, kind: str = "nchw", got=None, expected=None,
              value_names=()) -> list[str]:
    """Text lines marking X where |got - expected| > tol and . where right (see the module docstring)."""
    lines = []
    if kind in ("nchw", "kernel"):
        planes = err[:, 0] if kind == "kernel" else err.max(axis=0)
        for c, plane in enumerate(planes):
            for i, row in enumerate(_grid(plane, tol)):
                lines.append(f"    {str(c) + ':' if i == 0 else '':>4} {row}")
    elif kind == "values":
        for k, name in enumerate(value_names):
            mark = "X" if err.reshape(-1)[k] > tol else "."
            lines.append(f"    {name:>4}  yours {got.reshape(-1)[k]:g}, minisep {expected.reshape(-1)[k]:g}  {mark}")
    else:  # matrix / vector
        plane = err.reshape(err.shape[0], -1) if kind == "matrix" else err.reshape(1, -1)
        lines += [f"         {row}" for row in _grid(plane, tol)]
    return lines


def match_variant(ex: Exercise, got, case) -> list[str]:
    """Names of the known variants that explain got: every part of got is either right or equal to the
    variant's (a learner often gets one part wrong and the others right)."""
    got, expected = _parts(got), _parts(ex.reference(case))
    names = []
    for name, (variant, _hint) in ex.variants.items():
        try:
            v = _parts(variant(case))
        except Exception:
            continue
        if len(v) != len(got) or len(got) != len(expected):
            continue
        wrong = [k for k, (g, e) in enumerate(zip(got, expected)) if not _close(g, e)]
        if wrong and all(_close(got[k], v[k]) for k in wrong):
            names.append(name)
    return names


def _try(ex, fn, case):
    try:
        return _parts(ex.call(fn, case))
    except Exception:
        return None


def _probe_hints(ex: Exercise, fn) -> tuple:
    """(config, variant names) of the first probe configuration where fn is wrong like a known variant."""
    for cfg in ex.probes:
        case = ex.make_case(cfg)
        got = _try(ex, fn, case)
        if got is None:
            continue
        expected = _parts(ex.reference(case))
        if len(got) == len(expected) and all(_close(a, b) for a, b in zip(got, expected)):
            continue
        names = match_variant(ex, got, case)
        if names:
            return cfg, names
    return None, []


def _report_failure(ex: Exercise, fn, cfg, why, res: Result) -> None:
    res.lines += [f"FAILED: {why}", f"  smallest failing configuration: {cfg}"]
    case = ex.make_case(cfg)
    got = _try(ex, fn, case)
    names = []
    if got is not None:
        expected = _parts(ex.reference(case))
        part_names = _part_names(ex, len(expected))
        axes = ex.map_axes if isinstance(ex.map_axes, tuple) else (ex.map_axes,) * len(expected)
        kinds = ex.map_kinds if len(ex.map_kinds) == len(expected) else (ex.map_kinds[0],) * len(expected)
        for name, g, e, ax, kind in zip(part_names, got, expected, axes, kinds):
            if g.shape != e.shape:
                if ex.parts:
                    res.lines.append(f"  {name}: shape {g.shape}, expected {e.shape}")
                continue
            err = np.abs(g - e)
            tol = ATOL + RTOL * float(np.abs(e).max(initial=0.0))
            if err.max(initial=0.0) <= tol:
                if ex.parts:
                    res.lines.append(f"  {name}: right")
                continue
            what = f"{name} " if ex.parts else ""
            res.lines.append(f"  {what}wrong at X, per {ax}; max error {err.max():.3g}:")
            res.lines += error_map(err, tol, kind, g, e, ex.value_names)
        names = match_variant(ex, got, case)
    for name in names:
        res.lines.append(f"  hint [{name}]: {ex.variants[name][1]}")
    if not names:
        probe, names = _probe_hints(ex, fn)
        for name in names:
            res.lines.append(f"  hint [{name}] (seen on {probe}): {ex.variants[name][1]}")
    if not names:
        res.lines.append("  hint: matches none of the known mistakes; compare your loops with the docstring")


def grade(ex: Exercise, fn) -> Result:
    res = Result(False, [f"exercise {ex.number}: {ex.title}"])
    try:
        failure = find_failure(ex, fn)
    except NotImplementedError:
        res.lines += [f"FAILED: {' / '.join(f + '()' for f in ex.functions)} still raises NotImplementedError.",
                      "  Fill in its body (the formula is in its docstring), then run check again."]
        return res
    if failure is not None:
        _report_failure(ex, fn, *failure, res)
        return res
    if ex.fd_check is not None:
        ok, message = ex.fd_check(fn)
        res.lines.append(f"  {ex.fd_name}: {message}")
        if not ok:
            res.lines.insert(1, f"FAILED: agrees with minisep but not with the {ex.fd_name}")
            return res
    res.passed = True
    res.lines.insert(1, f"PASSED: {ex.max_examples} hypothesis-drawn configurations agree with minisep.")
    res.lines += [f"  minisep's own implementation: {ex.solution}", f"  the derivation: {ex.docs}"]
    return res
