"""Graded exercises: fill in a small numpy function, and `check` tells you where and which term is wrong.

    minisep exercise list | show N | start N DIR | check N [DIR-or-FILE]

Each exercise is one module here (its checker) and one stub file in stubs/ (what `start` copies).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from . import (ex1_depthwise_forward, ex2_depthwise_backward_input, ex3_depthwise_backward_weight, ex4_pointwise,
               ex5_separable_chain_rule, ex6_same_padding, ex7_maxpool_backward, ex8_batchnorm_backward)
from .grade import Exercise, Result, grade, load_function

EXERCISES = {ex.number: ex for ex in (ex1_depthwise_forward.EXERCISE, ex2_depthwise_backward_input.EXERCISE,
                                      ex3_depthwise_backward_weight.EXERCISE, ex4_pointwise.EXERCISE,
                                      ex5_separable_chain_rule.EXERCISE, ex6_same_padding.EXERCISE,
                                      ex7_maxpool_backward.EXERCISE, ex8_batchnorm_backward.EXERCISE)}
STUBS = Path(__file__).parent / "stubs"


def get(number) -> Exercise:
    try:
        return EXERCISES[int(number)]
    except (KeyError, ValueError):
        raise ValueError(f"exercise must be one of {sorted(EXERCISES)}, got {number!r}") from None


def stub_text(number) -> str:
    return (STUBS / get(number).stub).read_text(encoding="utf-8")


def start(number, folder) -> Path:
    """Copy exercise `number`'s stub into `folder`; refuses to overwrite an existing file."""
    ex = get(number)
    target = Path(folder) / ex.stub
    if target.exists():
        raise FileExistsError(f"{target} already exists; not overwriting your work (check it with "
                              f"`minisep exercise check {ex.number} {folder}`)")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STUBS / ex.stub, target)
    return target


__all__ = ["EXERCISES", "Exercise", "Result", "get", "grade", "load_function", "start", "stub_text"]
