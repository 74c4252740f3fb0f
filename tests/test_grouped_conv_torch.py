"""Grouped conv against torch.nn.functional.conv2d(groups=G) (skipped without torch): the output and
the gradients of x, w and b, float32 and float64. 'same' is padded explicitly on the torch side with
the Keras rule (torch's own padding='same' differs for stride > 1 and even kernels)."""

import numpy as np
import pytest

import minisep.nn.functional as F
from minisep import Tensor

torch = pytest.importorskip("torch")
TF = torch.nn.functional
from test_conv_ops_torch import TOL, keras_same  # the torch-side 'same' pads, written once for the conv tests


CONFIGS = {  # x shape, w shape, groups, stride, padding (pt, pb, pl, pr) or 'same', dilation
    "g2_p1": ((2, 4, 6, 5), (6, 2, 3, 3), 2, (1, 1), (1, 1, 1, 1), (1, 1)),
    "g3_same_s2": ((1, 6, 7, 6), (3, 2, 3, 3), 3, (2, 2), "same", (1, 1)),
    "g2_same_s2_k2x3_d2": ((1, 4, 8, 9), (4, 2, 2, 3), 2, (2, 2), "same", (2, 2)),
    "g4_cg1_m2": ((2, 4, 5, 5), (8, 1, 3, 3), 4, (1, 1), (0, 1, 2, 0), (1, 1)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_grouped_conv_matches_torch(name, dtype):
    x_shape, w_shape, G, stride, padding, dilation = CONFIGS[name]
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, (w_shape[0],))]
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    tleaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = F.conv2d(*leaves, stride=stride, padding=padding, dilation=dilation, groups=G)
    if padding == "same":
        (kh, kw), (H, W) = w_shape[2:], x_shape[2:]
        padding = keras_same(H, kh, stride[0], dilation[0]) + keras_same(W, kw, stride[1], dilation[1])
    pt, pb, pl, pr = padding
    ty = TF.conv2d(TF.pad(tleaves[0], (pl, pr, pt, pb)), tleaves[1], tleaves[2], stride=stride,
                   dilation=dilation, groups=G)
    assert y.dtype == dtype and y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.data, ty.detach().numpy(), **TOL[dtype])
    gy = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gradient=gy)
    ty.backward(torch.from_numpy(gy))
    for label, a, ta in zip("xwb", leaves, tleaves):
        np.testing.assert_allclose(a.grad, ta.grad.numpy(), err_msg=f"gradient of {label}", **TOL[dtype])
