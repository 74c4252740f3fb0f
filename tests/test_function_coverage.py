"""Every Function subclass in minisep has a finite-difference test, and every case passes."""

import importlib
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import minisep
from minisep import Tensor, gradcheck
from minisep.autograd import Function

HERE = Path(__file__).parent
OPTIONAL = {"torch", "keras", "jax", "matplotlib"}


def all_cases():
    cases = {}
    for path in sorted(HERE.glob("cases_*.py")):
        module = importlib.import_module(path.stem)
        for fn_class, items in module.CASES.items():
            cases.setdefault(fn_class, []).extend(items)
    return cases


def all_functions():
    for info in pkgutil.walk_packages(minisep.__path__, "minisep."):
        if info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ModuleNotFoundError as e:
            if e.name in OPTIONAL:  # a module over an optional library (torch layers): it holds no Function
                continue
            raise
    found, stack = set(), list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        if cls.__module__.startswith("minisep.") and cls not in found:
            found.add(cls)
        stack.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__module__ + "." + c.__name__)


CASES = all_cases()


def test_every_function_has_a_finite_difference_case():
    missing = [f"{c.__module__}.{c.__name__}" for c in all_functions() if c not in CASES]
    assert not missing, f"Function subclasses without a case in tests/cases_*.py: {missing}"


def functions_in_graph(out) -> set:
    """Every Function class recorded in the graph that produced ``out`` (out may be a tuple)."""
    found, seen = set(), set()
    stack = [t.grad_fn for t in (out if isinstance(out, (tuple, list)) else (out,)) if t.grad_fn is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        found.add(node.function)
        stack.extend(t.grad_fn for t in node.inputs if t.grad_fn is not None)
    return found


@pytest.mark.parametrize(
    "cls,fn,arrays",
    [pytest.param(cls, fn, arrays, id=f"{cls.__name__}-{name}") for cls, items in CASES.items()
     for name, fn, arrays in items],
)
def test_gradcheck_case(cls, fn, arrays):
    inputs = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    recorded = functions_in_graph(fn(*inputs))
    assert cls in recorded, (f"the case for {cls.__name__} never runs it: its graph holds "
                             f"{sorted(c.__name__ for c in recorded)}")
    gradcheck(fn, inputs, mode="full")
