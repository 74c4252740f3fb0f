"""minisep.interop.torch both ways: to_torch / torch_twin / copy_state_to_torch and from_torch.

Each check runs one random configuration in both frameworks with the same weights and compares the
output and the gradients wrt the input and every weight (float64 to 1e-10, float32 to ~1e-5),
in train and in eval mode.
"""

from collections import OrderedDict

import numpy as np
import pytest

import minisep as ms
from minisep import nn

torch = pytest.importorskip("torch")
from minisep.interop.torch import copy_state_to_torch, from_torch, to_torch, torch_twin  # noqa: E402

tnn = torch.nn
TOL = {np.float64: dict(rtol=1e-10, atol=1e-10), np.float32: dict(rtol=2e-5, atol=2e-5)}


def perturb(model, rng):
    """BN statistics and biases away from their initial values, so a wrong copy shows."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            if m.affine:
                m.weight.data[:] = rng.uniform(0.5, 1.5, m.num_features)
                m.bias.data[:] = rng.uniform(-0.5, 0.5, m.num_features)
            if m.track_running_stats:
                m.running_mean[:] = rng.uniform(-0.2, 0.2, m.num_features)
                m.running_var[:] = rng.uniform(0.5, 2.0, m.num_features)
        elif getattr(m, "bias", None) is not None and isinstance(m.bias, nn.Parameter):
            m.bias.data[:] = rng.uniform(-0.5, 0.5, m.bias.shape)
    return model


def compare(model, tmodel, x, dtype):
    """Same output, dL/dx and dL/dw (L = <y, g>, g random) and state after the step in both frameworks."""
    tol = TOL[dtype]
    rng = np.random.default_rng(7)
    xm = ms.tensor(x, requires_grad=True)
    y = model(xm)
    g = rng.standard_normal(y.shape).astype(dtype)
    (y * ms.tensor(g)).sum().backward()
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    yt = tmodel(xt)
    (yt * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(y.data, yt.detach().numpy(), **tol, err_msg="output")
    np.testing.assert_allclose(xm.grad, xt.grad.numpy(), **tol, err_msg="dL/dx")
    t_params = dict(tmodel.named_parameters())
    assert [n for n, _ in model.named_parameters()] == list(t_params)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name].grad.numpy(), **tol, err_msg=f"dL/d{name}")
    t_state = tmodel.state_dict()
    for key, value in model.state_dict().items():  # BN running stats updated alike in train mode
        np.testing.assert_allclose(value, t_state[key].numpy(), **tol, err_msg=key)


def random_padding(rng, k):
    choice = rng.integers(5)
    if choice == 0:
        return "same"
    if choice == 1:
        return "valid"
    if choice == 2:
        return int(rng.integers(0, k))
    if choice == 3:
        return (int(rng.integers(0, k)), int(rng.integers(0, k)))
    return tuple(int(v) for v in rng.integers(0, k, 4))  # asymmetric (pt, pb, pl, pr)


def random_conv(rng, C, dtype):
    """One of the conv layers, with random kernel, stride, dilation and padding."""
    k, s, d = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    geo = dict(stride=s, padding=random_padding(rng, k), dilation=d, rng=rng, dtype=dtype)
    kind = rng.integers(5)
    if kind == 0:
        return nn.Conv2d(C, int(rng.integers(1, 5)), k, bias=bool(rng.integers(2)), **geo), None
    if kind == 1:
        g = int(rng.choice([d for d in (1, 2, C) if C % d == 0]))
        return nn.Conv2d(C, 2 * g, k, groups=g, **geo), None
    if kind == 2:
        return nn.DepthwiseConv2d(C, kernel_size=k, depth_multiplier=int(rng.integers(1, 3)), **geo), None
    if kind == 3:
        return nn.PointwiseConv2d(C, int(rng.integers(1, 5)), rng=rng, dtype=dtype), None
    mid = [None, "relu", "bn_relu"][rng.integers(3)]
    return nn.SeparableConv2d(C, int(rng.integers(1, 5)), k, depth_multiplier=int(rng.integers(1, 3)), mid=mid,
                              **geo), mid


def random_model(seed, dtype):
    """conv -> BN (random track_running_stats/affine) -> ReLU -> pool -> a head."""
    rng = np.random.default_rng(seed)
    C = int(rng.integers(1, 4))
    conv, _ = random_conv(rng, C, dtype)
    O = conv.out_channels
    pk = int(rng.integers(1, 3))
    pool_pad = ["same", 0, (0, pk // 2, pk // 2, 0)][rng.integers(3)]
    pool = (nn.MaxPool2d(pk, 1, pool_pad) if rng.integers(2) else
            nn.AvgPool2d(pk, int(rng.integers(1, 3)), pool_pad, count_include_pad=bool(rng.integers(2))))
    bn = nn.BatchNorm2d(O, affine=bool(rng.integers(2)), track_running_stats=bool(rng.integers(2)), dtype=dtype)
    head = [nn.GlobalAvgPool2d(), nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())][rng.integers(2)]
    model = nn.Sequential(OrderedDict(conv=conv, bn=bn, act=nn.ReLU(), pool=pool, drop=nn.Dropout(0.0),
                                      id=nn.Identity(), head=head, fc=nn.Linear(O, 3, rng=rng, dtype=dtype)))
    x = rng.standard_normal((2, C, int(rng.integers(5, 9)), int(rng.integers(5, 9)))).astype(dtype)
    return perturb(model, rng), x


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("training", [True, False])
def test_to_torch_same_outputs_and_gradients(seed, dtype, training):
    model, x = random_model(seed, dtype)
    model.train(training)
    twin = torch_twin(torch, model)
    compare(model, twin, x, dtype)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("training", [True, False])
def test_from_torch_round_trip_same_outputs_and_gradients(seed, training):
    model, x = random_model(100 + seed, np.float64)
    twin = torch_twin(torch, model.train(training))
    back = from_torch(twin)
    assert back.training == training
    assert list(back.state_dict()) == list(model.state_dict())
    compare(back, twin, x, np.float64)


def test_from_torch_of_a_handwritten_torch_model():
    torch.manual_seed(0)
    t = tnn.Sequential(OrderedDict(
        conv1=tnn.Conv2d(1, 4, 3, padding=1), bn=tnn.BatchNorm2d(4), relu=tnn.ReLU(inplace=True),
        dw=tnn.Conv2d(4, 8, 3, stride=2, padding=1, groups=4, bias=False), pw=tnn.Conv2d(8, 6, 1),
        gconv=tnn.Conv2d(6, 6, 3, padding="same", groups=2), relu6=tnn.ReLU6(),
        pool=tnn.AvgPool2d(2, padding=1, count_include_pad=False), mp=tnn.MaxPool2d(2, 1),
        flat=tnn.Flatten(), drop=tnn.Dropout(0.0), fc=tnn.Linear(6 * 2 * 2, 5))).double()
    m = from_torch(t)
    assert isinstance(m.dw, nn.DepthwiseConv2d) and m.dw.depth_multiplier == 2
    assert isinstance(m.gconv, nn.Conv2d) and m.gconv.groups == 2
    x = np.random.default_rng(1).standard_normal((3, 1, 8, 8))
    compare(m, t, x, np.float64)
    compare(m.eval(), t.eval(), x, np.float64)


def test_separable_round_trips_to_one_separable_layer():
    block = nn.SeparableConv2d(3, 4, 3, stride=2, padding="same", depth_multiplier=2, mid="bn_relu", rng=0)
    back = from_torch(to_torch(torch, block))
    assert isinstance(back, nn.SeparableConv2d) and back.mid_kind == "bn_relu" and back.depth_multiplier == 2


def test_same_padding_stride_2_matches_keras_rule_for_every_input_size():
    """The torch twin pads per input: the extra row/column of 'same' goes to the bottom/right."""
    conv = nn.Conv2d(1, 1, 3, stride=2, padding="same", rng=0, dtype=np.float64)
    twin = torch_twin(torch, conv)
    for size in (5, 6, 7, 8):
        x = np.random.default_rng(size).standard_normal((1, 1, size, size))
        with ms.no_grad():
            ours = conv(x).data
        np.testing.assert_allclose(ours, twin(torch.from_numpy(x)).detach().numpy(), rtol=1e-12, atol=1e-12)
        assert ours.shape[-1] == -(-size // 2)


class Block(nn.Module):
    """A custom forward (residual): to_torch cannot translate it, copy_state_to_torch fills a torch twin."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1, rng=0, dtype=np.float64)
        self.bn = nn.BatchNorm2d(2, dtype=np.float64)

    def forward(self, x):
        return x + self.bn(self.conv(x)).relu()


class TorchBlock(tnn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.bn = tnn.Conv2d(2, 2, 3, padding=1), tnn.BatchNorm2d(2)

    def forward(self, x):
        return x + self.bn(self.conv(x)).relu()


def test_custom_module_needs_copy_state_to_torch():
    block = perturb(Block(), np.random.default_rng(0))
    with pytest.raises(TypeError, match="copy_state_to_torch"):
        to_torch(torch, block)
    t = TorchBlock().double()
    copy_state_to_torch(block, t)
    compare(block, t, np.random.default_rng(1).standard_normal((2, 2, 5, 5)), np.float64)
    twin = torch_twin(torch, nn.Sequential(block), custom={Block: lambda torch, m: TorchBlock()})
    assert list(twin.state_dict()) == list(nn.Sequential(block).state_dict())


def test_copy_state_to_torch_lists_every_problem():
    class Wrong(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv, self.norm = tnn.Conv2d(2, 3, 3), tnn.BatchNorm2d(2)

    t = Wrong()
    before = t.conv.weight.detach().clone()
    with pytest.raises(ValueError) as e:
        copy_state_to_torch(Block(), t)
    msg = str(e.value)
    assert "'bn.weight'" in msg and "'norm.weight'" in msg and "'conv.weight'" in msg and "(2, 2, 3, 3)" in msg
    assert torch.equal(before, t.conv.weight)  # nothing written


def test_errors_name_what_cannot_be_translated():
    with pytest.raises(TypeError, match="nn.Module"):
        to_torch(torch, "conv")
    with pytest.raises(TypeError, match="padding_mode"):
        from_torch(tnn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"))
    with pytest.raises(TypeError, match="LSTM"):
        from_torch(tnn.Sequential(tnn.LSTM(2, 2)))
    with pytest.raises(TypeError, match="ceil_mode"):
        from_torch(tnn.MaxPool2d(2, ceil_mode=True))
