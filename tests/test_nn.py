"""minisep.nn: Module bookkeeping, state dicts, BatchNorm statistics, separable layers, init, repr."""

from collections import OrderedDict

import numpy as np
import pytest

import minisep as ms
from minisep import nn
from minisep.nn import functional as F


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.features = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU())
        self.head = nn.Linear(3, 4, rng=1)

    def forward(self, x):
        h = self.features(x) * self.scale.reshape(1, 3, 1, 1)
        return self.head(F.global_avg_pool2d(h))


def rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---- registration and walking --------------------------------------------------------------------
def test_attributes_register_parameters_and_modules_in_order():
    m = Tiny()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "features.0.weight", "features.0.bias", "features.1.weight", "features.1.bias",
        "head.weight", "head.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "features", "features.0", "features.1", "features.2", "head"]
    assert list(m.children()) == [m.features, m.head]
    assert m.num_parameters() == 3 + (3 * 2 * 9 + 3) + 6 + (4 * 3 + 4)
    assert m.features[0] is m.features._modules["0"] and len(m.features) == 3
    assert isinstance(m.features[1:], nn.Sequential) and len(m.features[1:]) == 2


def test_reassigning_or_deleting_unregisters():
    m = Tiny()
    m.head = None
    assert "head" not in m._modules and not any(n.startswith("head") for n, _ in m.named_parameters())
    del m.scale
    assert "scale" not in dict(m.named_parameters())
    lin = nn.Linear(2, 2)
    lin.weight = nn.Parameter(np.zeros((2, 2), dtype=np.float32))  # a replaced parameter keeps its place
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    shared = nn.Sequential(lin, lin)
    assert len(list(shared.parameters())) == 2  # a shared layer's parameters come once


def test_module_without_super_init_gets_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

    with pytest.raises(AttributeError, match="super"):
        Bad()


def test_train_eval_set_training_recursively_and_zero_grad():
    m = Tiny()
    assert m.eval() is m and not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    for p in m.parameters():
        p.grad = np.ones_like(p.data)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_forward_hook_sees_output_and_can_be_removed():
    seen = []
    lin = nn.Linear(3, 2)
    remove = lin.register_forward_hook(lambda mod, inputs, y: seen.append(y.shape))
    lin(rand(4, 3))
    remove()
    lin(rand(4, 3))
    assert seen == [(4, 2)]


# ---- state dicts ---------------------------------------------------------------------------------
def test_state_dict_has_buffers_and_round_trips():
    a, b = Tiny(), Tiny()
    a.features[0].weight.data += 1.0
    a.features[1].running_mean[:] = [1, 2, 3]
    a.features[1].num_batches_tracked[...] = 7
    state = a.state_dict()
    assert list(state)[:7] == ["scale", "features.0.weight", "features.0.bias", "features.1.weight",
                               "features.1.bias", "features.1.running_mean", "features.1.running_var"]
    assert state["features.1.num_batches_tracked"].dtype == np.int64
    state["scale"][:] = 5.0  # a copy: the model is unchanged
    assert np.all(a.scale.data == 1.0)
    weight_array = b.features[0].weight.data
    b.load_state_dict(a.state_dict())
    assert b.features[0].weight.data is weight_array  # copied in place (optimizers keep their references)
    for (k, v), (k2, v2) in zip(a.state_dict().items(), b.state_dict().items()):
        assert k == k2 and np.array_equal(v, v2)


def test_load_state_dict_lists_every_problem_and_writes_nothing():
    m = Tiny()
    state = m.state_dict()
    del state["head.bias"], state["features.1.running_var"]
    state["extra.weight"] = np.zeros(2)
    state["features.0.weight"] = np.zeros((3, 2, 5, 5))
    state["scale"] = np.full(3, 9.0)
    with pytest.raises(ValueError) as e:
        m.load_state_dict(state)
    msg = str(e.value)
    for needle in ("head.bias", "features.1.running_var", "extra.weight", "features.0.weight",
                   "(3, 2, 5, 5)", "(3, 2, 3, 3)", "4 problem"):
        assert needle in msg
    assert np.all(m.scale.data == 1.0)  # nothing written


def test_load_state_dict_non_strict_casts_dtype():
    m = Tiny()
    state = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in m.state_dict().items()}
    state["scale"] = np.array([1.5, 2.5, 3.5])
    del state["head.bias"]
    state["unused"] = np.zeros(1)
    result = m.load_state_dict(state, strict=False)
    assert result.missing_keys == ["head.bias"] and result.unexpected_keys == ["unused"]
    assert m.scale.dtype == np.float32 and np.allclose(m.scale.data, [1.5, 2.5, 3.5])
    with pytest.raises(ValueError, match="shape"):
        m.load_state_dict({"scale": np.zeros(4)}, strict=False)


def test_to_dtype_casts_parameters_and_float_buffers():
    m = Tiny().to(np.float64)
    assert all(p.dtype == np.float64 for p in m.parameters())
    bn = m.features[1]
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
    assert m.state_dict()["features.1.running_var"].dtype == np.float64
    with pytest.raises(TypeError, match="float32 or float64"):
        m.astype(np.int32)


# ---- BatchNorm -----------------------------------------------------------------------------------
def test_batchnorm_matches_hand_computation_in_train_and_eval():
    x = rand(4, 3, 2, 5, seed=1) * 2 + 1
    bn = nn.BatchNorm2d(3, momentum=0.25)
    bn.weight.data[:] = [1.0, 2.0, -1.0]
    bn.bias.data[:] = [0.0, 0.5, 1.0]
    y = bn(x).data
    mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    expect = (x - mu[:, None, None]) / np.sqrt(var[:, None, None] + 1e-5) * bn.weight.data[:, None, None] \
        + bn.bias.data[:, None, None]
    np.testing.assert_allclose(y, expect, rtol=1e-4, atol=1e-5)
    M = 4 * 2 * 5
    np.testing.assert_allclose(bn.running_mean, 0.25 * mu, rtol=1e-5)
    np.testing.assert_allclose(bn.running_var, 0.75 + 0.25 * var * M / (M - 1), rtol=1e-5)
    assert int(bn.num_batches_tracked) == 1
    bn.eval()
    rm, rv = bn.running_mean.copy(), bn.running_var.copy()
    y_eval = bn(x).data
    expect = (x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5) * bn.weight.data[:, None, None] \
        + bn.bias.data[:, None, None]
    np.testing.assert_allclose(y_eval, expect, rtol=1e-4, atol=1e-5)
    assert np.array_equal(bn.running_mean, rm) and int(bn.num_batches_tracked) == 1  # eval changes nothing


def test_batchnorm_cumulative_average_and_bad_input():
    bn = nn.BatchNorm2d(2, momentum=None, affine=False)
    xs = [rand(3, 2, 2, 2, seed=s) for s in range(3)]
    for x in xs:
        bn(x)
    np.testing.assert_allclose(bn.running_mean, np.mean([x.mean(axis=(0, 2, 3)) for x in xs], axis=0), rtol=1e-5)
    with pytest.raises(ValueError, match="more than one value per channel"):
        bn(rand(1, 2, 1, 1))
    with pytest.raises(ValueError, match=r"\(N, 2, H, W\)"):
        bn(rand(2, 3, 4, 4))


# ---- separable convolution -----------------------------------------------------------------------
@pytest.mark.parametrize("m,stride,padding,dilation", [(1, 1, 1, 1), (2, 2, 0, 1), (3, 1, 2, 2)])
def test_separable_equals_full_conv_with_equivalent_weight(m, stride, padding, dilation):
    layer = nn.SeparableConv2d(3, 5, 3, depth_multiplier=m, stride=stride, padding=padding, dilation=dilation,
                               rng=3, dtype=np.float64)
    layer.pointwise.bias.data[:] = np.arange(5) * 0.1
    assert layer.depthwise.weight.shape == (3 * m, 1, 3, 3) and layer.pointwise.weight.shape == (5, 3 * m, 1, 1)
    x = rand(2, 3, 9, 8, seed=4, dtype=np.float64)
    W = layer.equivalent_conv_weight()
    assert W.shape == (5, 3, 3, 3)
    expect = F.conv2d(x, W, layer.pointwise.bias.data, stride, padding, dilation).data
    np.testing.assert_allclose(layer(x).data, expect, rtol=1e-10, atol=1e-12)
    fused = F.separable_conv2d(x, layer.depthwise.weight, layer.pointwise.weight, layer.bias, stride, padding, dilation)
    np.testing.assert_allclose(layer(x).data, fused.data, rtol=1e-12, atol=1e-12)


def test_separable_structure_and_mid_variants():
    keys = lambda mid: list(nn.SeparableConv2d(4, 6, 3, mid=mid).state_dict())  # noqa: E731
    assert keys(None) == ["depthwise.weight", "pointwise.weight", "pointwise.bias"]
    assert keys("relu") == keys(None)
    assert keys("bn_relu")[1:6] == ["mid.0.weight", "mid.0.bias", "mid.0.running_mean", "mid.0.running_var",
                                    "mid.0.num_batches_tracked"]
    with pytest.raises(ValueError, match="not linear"):
        nn.SeparableConv2d(4, 6, 3, mid="bn_relu").equivalent_conv_weight()
    with pytest.raises(ValueError, match="mid must be one of"):
        nn.SeparableConv2d(4, 6, 3, mid="gelu")


def test_gradcheck_separable_bn_relu_module_float64():
    layer = nn.SeparableConv2d(2, 3, 3, depth_multiplier=2, padding=1, mid="bn_relu", rng=5, dtype=np.float64)
    layer.mid[0].bias.data[:] = [0.3, -0.2, 0.1, 0.4]  # keep BN outputs away from the ReLU kink
    x = ms.Tensor(rand(2, 2, 4, 3, seed=6, dtype=np.float64), requires_grad=True)
    params = list(layer.parameters())
    report = ms.gradcheck(lambda x, *_: layer(x), [x, *params], names=["x"] + [n for n, _ in layer.named_parameters()])
    assert report.passed and len(report.inputs) == 1 + len(params)


def test_gradients_reach_every_parameter():
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
        nn.SeparableConv2d(4, 6, 3, padding=1, mid="bn_relu"), nn.AvgPool2d(2), nn.MaxPool2d(2, stride=1),
        nn.DepthwiseConv2d(6, 12, 3, padding=1), nn.PointwiseConv2d(12, 4), nn.Dropout(0.2, rng=1),
        nn.Flatten(), nn.Linear(4 * 2 * 2, 3))
    loss = ms.cross_entropy(model(rand(5, 1, 6, 6)), np.array([0, 1, 2, 0, 1]))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.shape == p.shape and np.abs(p.grad).sum() > 0, name


# ---- init, layers' arguments, repr ---------------------------------------------------------------
def test_init_is_reproducible_from_rng_and_follows_fan_in():
    same = [nn.Conv2d(3, 4, 3, rng=r).weight.data for r in (7, 7, np.random.default_rng(7))]
    assert np.array_equal(same[0], same[1]) and np.array_equal(same[0], same[2])
    assert not np.array_equal(same[0], nn.Conv2d(3, 4, 3, rng=8).weight.data)
    assert not np.array_equal(nn.Linear(3, 2).weight.data, nn.Linear(3, 2).weight.data)  # own streams
    dw = nn.DepthwiseConv2d(4096, 4096, 3).weight.data  # fan_in = kh·kw = 9
    assert abs(dw.std() - np.sqrt(2 / 9)) < 0.01 and not np.any(nn.DepthwiseConv2d(4, kernel_size=3).bias.data)
    keras_dw = nn.SeparableConv2d(4096, 2, 3).depthwise.weight.data  # nothing between: gain 1
    assert abs(keras_dw.std() - np.sqrt(1 / 9)) < 0.01
    with pytest.raises(TypeError, match="rng"):
        nn.Linear(2, 2, rng=np.random.RandomState(0))


def test_bad_constructor_arguments_name_the_argument():
    with pytest.raises(ValueError, match="in_channels"):
        nn.Conv2d(0, 3, 3)
    with pytest.raises(ValueError, match="kernel_size"):
        nn.DepthwiseConv2d(3, 3, (3, 3, 3))
    with pytest.raises(ValueError, match="depth_multiplier"):
        nn.SeparableConv2d(3, 4, 3, depth_multiplier=0)
    with pytest.raises(ValueError, match="p must be"):
        nn.Dropout(1.5)
    with pytest.raises(TypeError, match="dtype"):
        nn.Linear(2, 2, dtype=np.int64)
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), "relu")


def test_dropout_is_reproducible_and_identity_in_eval():
    x = np.ones((4, 50), dtype=np.float32)
    a, b = nn.Dropout(0.5, rng=3), nn.Dropout(0.5, rng=3)
    assert np.array_equal(a(x).data, b(x).data) and set(np.unique(a(x).data)) <= {0.0, 2.0}
    assert np.array_equal(a.eval()(x).data, x)


def test_repr_shows_tree_shapes_and_param_counts():
    text = repr(Tiny())
    assert text.startswith("Tiny()  scale (3,)  params=")
    assert "(features): Sequential()  params=" in text
    assert "(0): Conv2d(2, 3, kernel_size=(3, 3), padding=1)  weight (3, 2, 3, 3), bias (3,)  params=57" in text
    assert "(head): Linear(3, 4)  weight (4, 3), bias (4,)  params=16" in text
    sep = repr(nn.SeparableConv2d(8, 16, 3, padding=1, mid="bn_relu"))
    assert "(depthwise): DepthwiseConv2d(8, 8, kernel_size=(3, 3), padding=1, bias=False)  weight (8, 1, 3, 3)  params=72" in sep
    assert "(pointwise): PointwiseConv2d(8, 16)  weight (16, 8, 1, 1), bias (16,)  params=144" in sep
    assert sep.endswith(")") and f"params={72 + 16 + 144}" in sep.splitlines()[0]


def test_sequential_from_ordered_dict_keeps_names():
    seq = nn.Sequential(OrderedDict(a=nn.Linear(2, 3), act=nn.ReLU(), b=nn.Linear(3, 1)))
    assert [n for n, _ in seq.named_parameters()] == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert seq(rand(4, 2)).shape == (4, 1) and seq["act"] is seq[1]
