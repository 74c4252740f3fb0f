"""Finite-difference cases for the core ops: {Function subclass: [(name, fn, input arrays), ...]}.

Every array input is wrapped as a float64 Tensor with requires_grad=True and checked with
``gradcheck(mode='full')``. ``test_function_coverage.py`` fails if a Function has no case here
(or in another ``cases_*.py``).
"""

import numpy as np

import minisep as ms
from minisep.ops import elementwise as E, linalg as L, loss as S, reduce as R, shape as H

rng = np.random.default_rng(1234)


def rand(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape)


def distinct(*shape):
    """Values far apart, so max/relu kinks are never within eps."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.15).reshape(shape) + 0.05


LABELS = np.array([2, 0, 1, 2])

CASES = {
    E.Add: [("broadcast", lambda a, b: a + b, [rand(2, 3, 4), rand(3, 1)]),
            ("scalar", lambda a: 2.5 + a, [rand(3)])],
    E.Sub: [("broadcast", lambda a, b: a - b, [rand(4, 1), rand(1, 3)]),
            ("reflected", lambda a: 1.0 - a, [rand(2, 2)])],
    E.Mul: [("broadcast", lambda a, b: a * b, [rand(2, 3), rand(3)]),
            ("same", lambda a: a * a, [rand(5)])],
    E.Div: [("broadcast", lambda a, b: a / b, [rand(2, 3), rand(2, 1, low=0.5, high=2.0)]),
            ("reflected", lambda a: 1.0 / a, [rand(3, low=0.5, high=2.0)])],
    E.Pow: [("scalar_exp", lambda a: a ** 3, [rand(2, 3)]),
            ("tensor_exp", lambda a, b: a ** b, [rand(2, 3, low=0.5, high=2.0), rand(3)]),
            ("reflected", lambda a: 2.0 ** a, [rand(4)])],
    E.Neg: [("neg", lambda a: -a, [rand(3, 2)])],
    E.Exp: [("exp", lambda a: a.exp(), [rand(3, 2)])],
    E.Log: [("log", lambda a: a.log(), [rand(3, 2, low=0.2, high=3.0)])],
    E.Sqrt: [("sqrt", lambda a: a.sqrt(), [rand(3, 2, low=0.2, high=3.0)])],
    E.Tanh: [("tanh", lambda a: a.tanh(), [rand(3, 2, low=-3, high=3)])],
    E.Sigmoid: [("sigmoid", lambda a: a.sigmoid(), [rand(3, 4, low=-6, high=6)])],
    E.ReLU: [("relu", lambda a: a.relu(), [distinct(3, 4)])],
    E.Cast: [("f64_to_f64", lambda a: a.astype(np.float64) * 2.0, [rand(3)])],  # f32 round trip: see test_tensor
    E.Clone: [("clone", lambda a: a.clone() * a, [rand(2, 3)])],
    E.Abs: [("abs", lambda a: a.abs(), [distinct(3, 4)])],
    E.Clamp: [("both", lambda a: a.clamp(-0.5, 0.7), [distinct(3, 4) * 0.21]),
              ("min_only", lambda a: a.clamp(min=0.1), [distinct(2, 3) * 0.21])],
    E.Where: [("broadcast", lambda a, b: ms.where(np.array([True, False, True]), a, b), [rand(2, 3), rand(1, 3)]),
              ("scalar", lambda a: ms.where(np.array([[True], [False]]), a, 0.0), [rand(2, 3)])],
    R.Min: [("all", lambda a: a.min(), [distinct(3, 4)]),
            ("dim_keepdim", lambda a: a.min(dim=1, keepdim=True)[0], [distinct(2, 5, 3)])],
    R.Var: [("unbiased_all", lambda a: a.var(), [rand(3, 4)]),
            ("dim_biased", lambda a: a.var(dim=(0, 2), unbiased=False, keepdim=True), [rand(2, 3, 4)]),
            ("std", lambda a: a.std(1), [rand(3, 4)])],
    R.Sum: [("all", lambda a: a.sum(), [rand(2, 3)]),
            ("axis_keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), [rand(2, 3, 4)]),
            ("neg_axis", lambda a: a.sum(axis=-1), [rand(2, 3)])],
    R.Mean: [("all", lambda a: a.mean(), [rand(2, 3)]),
             ("axis", lambda a: a.mean(axis=1), [rand(2, 3, 4)])],
    R.Max: [("all", lambda a: a.max(), [distinct(3, 4)]),
            ("axis_keepdims", lambda a: a.max(axis=1, keepdims=True), [distinct(2, 5, 3)])],
    H.Reshape: [("reshape", lambda a: a.reshape(3, -1) * a.reshape(3, -1), [rand(2, 3, 2)]),
                ("flatten", lambda a: a.flatten(1), [rand(2, 3, 2)])],
    H.Transpose: [("T", lambda a: a.T, [rand(2, 3)]),
                  ("permute", lambda a: a.permute(2, 0, 1), [rand(2, 3, 4)])],
    H.GetItem: [("slice", lambda a: a[1:, ::2], [rand(3, 5)]),
                ("int_array_repeats", lambda a: a[np.array([0, 2, 0, 0])], [rand(3, 2)]),
                ("mixed", lambda a: a[..., 1, None], [rand(2, 3, 4)])],
    H.Pad: [("pad", lambda a: ms.pad(a, ((0, 0), (1, 2))), [rand(2, 3)])],
    H.Concatenate: [("axis1", lambda a, b: ms.concatenate([a, b, a], axis=1), [rand(2, 3), rand(2, 1)])],
    H.Stack: [("axis_last", lambda a, b: ms.stack([a, b], axis=-1), [rand(2, 3), rand(2, 3)])],
    L.MatMul: [("2d", lambda a, b: a @ b, [rand(3, 4), rand(4, 2)]),
               ("batched_broadcast", lambda a, b: a @ b, [rand(2, 3, 4), rand(4, 5)]),
               ("vec_mat", lambda a, b: a @ b, [rand(4), rand(2, 4, 3)]),
               ("mat_vec", lambda a, b: a @ b, [rand(3, 4), rand(4)])],
    S.Softmax: [("rows", lambda a: a.softmax(axis=1), [rand(3, 4, low=-3, high=3)]),
                ("axis0", lambda a: a.softmax(axis=0), [rand(3, 2)])],
    S.LogSoftmax: [("rows", lambda a: a.log_softmax(), [rand(3, 4, low=-3, high=3)])],
    S.CrossEntropy: [("mean", lambda z: ms.cross_entropy(z, LABELS), [rand(4, 3, low=-2, high=2)]),
                     ("sum", lambda z: ms.cross_entropy(z, LABELS, reduction="sum"), [rand(4, 3)]),
                     ("none", lambda z: ms.cross_entropy(z, LABELS, reduction="none"), [rand(4, 3)])],
    S.Dropout: [("p_0.4", lambda a: ms.dropout(a, 0.4, rng=np.random.default_rng(7)), [rand(4, 5)])],
}
