"""Binary ops over random broadcastable shape pairs: values match numpy, gradients match FD."""

import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from minisep import Tensor, gradcheck

OPS = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a ** b, np.power),
}


@settings(deadline=None, max_examples=40)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       op=st.sampled_from(sorted(OPS)), seed=st.integers(0, 2**16))
def test_broadcast_binary_op(shapes, op, seed):
    rng = np.random.default_rng(seed)
    sa, sb = shapes.input_shapes
    a = rng.uniform(0.5, 1.5, sa)  # positive, away from 0: div and pow are smooth here
    b = rng.uniform(0.5, 1.5, sb)
    fn, ref = OPS[op]
    y = fn(Tensor(a), Tensor(b))
    assert y.shape == shapes.result_shape
    np.testing.assert_allclose(y.data, ref(a, b), rtol=1e-12)
    gradcheck(fn, [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)])
