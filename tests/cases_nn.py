"""Finite-difference cases for the nn Functions (BatchNorm2d): see test_function_coverage.py."""

import numpy as np

from minisep.ops import norm

rng = np.random.default_rng(77)


def rand(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


RUNNING_MEAN, RUNNING_VAR = rand(3), rand(3, low=0.5, high=2.0)

CASES = {
    norm.BatchNorm2d: [
        # training: batch statistics depend on x, so gx has the two extra terms of the formula
        ("train", lambda x, g, b: norm.batch_norm2d(x, g, b, None, None, True), [rand(2, 3, 2, 3), rand(3), rand(3)]),
        # eval: running statistics are constants
        ("eval", lambda x, g, b: norm.batch_norm2d(x, g, b, RUNNING_MEAN, RUNNING_VAR, False),
         [rand(2, 3, 2, 2), rand(3), rand(3)]),
        # the output squared, so the gradient reaching BatchNorm is not constant
        ("train_squared", lambda x, g, b: norm.batch_norm2d(x, g, b, None, None, True) ** 2,
         [rand(3, 2, 1, 2), rand(2), rand(2)]),
    ],
}
