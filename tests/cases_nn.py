"""Finite-difference cases for the nn Functions (BatchNorm2d, losses, ReLU6): see test_function_coverage.py."""

import numpy as np

from minisep.ops import loss, norm

rng = np.random.default_rng(77)


def rand(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


RUNNING_MEAN, RUNNING_VAR = rand(3), rand(3, low=0.5, high=2.0)
LABELS_IGNORED = np.array([2, -100, 0, 1])

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
    loss.CrossEntropy: [
        ("ignore_index_mean", lambda z: loss.cross_entropy(z, LABELS_IGNORED), [rand(4, 3, low=-2, high=2)]),
        ("label_smoothing_sum", lambda z: loss.cross_entropy(z, LABELS_IGNORED, "sum", label_smoothing=0.2),
         [rand(4, 3)]),
    ],
    loss.NLLLoss: [
        ("mean", lambda a: loss.nll_loss(a, LABELS_IGNORED), [rand(4, 3)]),
        ("none", lambda a: loss.nll_loss(a, LABELS_IGNORED, "none"), [rand(4, 3)]),
    ],
    loss.MSELoss: [
        ("mean", lambda a, b: loss.mse_loss(a, b), [rand(3, 4), rand(3, 4)]),
        ("none", lambda a, b: loss.mse_loss(a, b, "none"), [rand(2, 3), rand(2, 3)]),
    ],
    loss.ReLU6: [("both_kinks_avoided", lambda a: loss.relu6(a), [rand(3, 5, low=-2.0, high=8.0)])],
}
