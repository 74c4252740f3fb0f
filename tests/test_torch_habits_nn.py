"""PyTorch habits on the nn / optim / loss side: each test is a trap that used to pass silently."""

import numpy as np
import pytest

import minisep as ms
from minisep import nn, optim
from minisep.nn import functional as F


def rand(*shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def leaf(a):
    return ms.Tensor(a, requires_grad=True)


# ---- the default generator --------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda: nn.Linear(10, 10), lambda: nn.Conv2d(3, 4, 3),
                                  lambda: nn.DepthwiseConv2d(4, 4, 3), lambda: nn.PointwiseConv2d(3, 5),
                                  lambda: nn.SeparableConv2d(3, 5, 3)])
def test_same_shaped_layers_start_different(make):
    a, b = make(), make()
    assert not np.array_equal(next(a.parameters()).data, next(b.parameters()).data)


def test_dropouts_draw_their_own_streams():
    x = np.ones((4, 64))
    a, b = nn.Dropout(0.5), nn.Dropout(0.5)
    assert not np.array_equal(a(x).data, b(x).data)


def test_manual_seed_once_makes_model_construction_reproducible():
    def build():
        ms.manual_seed(3)
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4, 2), nn.Dropout(0.5))

    a, b = build().state_dict(), build().state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    ms.manual_seed(4)
    assert not np.array_equal(nn.Linear(4, 2).weight.data, a["3.weight"])


def test_explicit_rng_is_unchanged():
    same = [nn.Linear(3, 2, rng=r).weight.data for r in (5, 5, np.random.default_rng(5))]
    assert np.array_equal(same[0], same[1]) and np.array_equal(same[0], same[2])
    with pytest.raises(TypeError, match="rng"):
        nn.Linear(3, 2, rng="seed")


# ---- Module registration ----------------------------------------------------------------------
def test_assigning_a_non_parameter_to_a_parameter_name_raises():
    lin = nn.Linear(2, 2, rng=0)
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = ms.Tensor(np.zeros((2, 2), dtype=np.float32))
    with pytest.raises(TypeError, match="Parameter"):
        lin.weight = np.zeros((2, 2), dtype=np.float32)
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    w = lin.weight
    lin.weight = w  # the same object (what an in-place -= returns) is fine
    lin.bias = None  # as torch: None unregisters
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_in_place_update_of_a_registered_parameter_keeps_it_registered():
    lin = nn.Linear(2, 2, rng=0)
    w, before = lin.weight, lin.weight.data.copy()
    with ms.no_grad():
        lin.weight -= 1.0
    assert lin.weight is w and [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    assert np.allclose(lin.weight.data, before - 1.0)


def test_a_python_list_of_modules_points_at_modulelist():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = [nn.Linear(2, 2, rng=0), nn.Linear(2, 2, rng=1)]

    with pytest.raises(TypeError, match="ModuleList"):
        Net()


def test_modulelist_registers_and_behaves_like_a_list():
    ml = nn.ModuleList([nn.Linear(2, 3, rng=0)])
    ml.append(nn.ReLU()).extend([nn.Linear(3, 1, rng=1)])
    ml.insert(1, nn.Identity())
    assert len(ml) == 4 and isinstance(ml[1], nn.Identity) and isinstance(ml[-1], nn.Linear)
    assert [type(m).__name__ for m in ml] == ["Linear", "Identity", "ReLU", "Linear"]
    assert [n for n, _ in ml.named_parameters()] == ["0.weight", "0.bias", "3.weight", "3.bias"]
    del ml[1]
    assert [n for n, _ in ml.named_children()] == ["0", "1", "2"] and not hasattr(ml, "3")
    with pytest.raises(TypeError, match="Module"):
        ml.append(3)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = ml

        def forward(self, x):
            for m in self.blocks:
                x = m(x)
            return x

    net = Net()
    assert net.num_parameters() == 2 * 3 + 3 + 3 + 1
    assert net(np.ones((1, 2), dtype=np.float32)).shape == (1, 1)


def test_moduledict_add_module_apply_identity():
    md = nn.ModuleDict({"a": nn.Linear(2, 2, rng=0)})
    md["b"] = nn.ReLU()
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    m = nn.Module()
    m.add_module("0", nn.Linear(2, 2, rng=0))
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(ValueError, match="name"):
        m.add_module("a.b", nn.ReLU())
    seen = []
    nn.Sequential(nn.Linear(2, 2, rng=0), nn.ReLU()).apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "ReLU", "Sequential"]  # children first, as torch
    x = ms.tensor([1.0, 2.0])
    assert nn.Identity(3, foo=1)(x) is x


def test_state_dict_includes_buffers_and_train_eval():
    m = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.BatchNorm2d(2))
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                    "1.running_var", "1.num_batches_tracked"]
    assert not m.eval()[1].training and m.train()[1].training


# ---- new layers and losses --------------------------------------------------------------------
def test_relu6_values_gradient_and_kinks_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([-1.0, 0.0, 0.5, 3.0, 6.0, 7.0])
    t = leaf(x)
    y = nn.ReLU6()(t)
    y.backward(np.ones_like(x))
    tx = torch.tensor(x, requires_grad=True)
    torch.nn.functional.relu6(tx).backward(torch.ones(6, dtype=torch.float64))
    assert np.array_equal(y.data, torch.nn.functional.relu6(torch.tensor(x)).numpy())
    assert np.array_equal(t.grad, tx.grad.numpy())  # 0 at x = 0 and x = 6
    ms.gradcheck(F.relu6, [leaf(np.array([-1.3, 0.4, 2.0, 5.5, 8.0]))])


@pytest.mark.parametrize("size", [1, (1, 1), (2, 3)])
def test_adaptive_avg_pool_matches_torch(size):
    torch = pytest.importorskip("torch")
    x = rand(2, 3, 4, 6)
    y = nn.AdaptiveAvgPool2d(size)(x)
    ref = torch.nn.AdaptiveAvgPool2d(size)(torch.tensor(x)).numpy()
    assert y.shape == ref.shape and np.allclose(y.data, ref)
    ms.gradcheck(lambda t: F.adaptive_avg_pool2d(t, size), [leaf(x)])


def test_adaptive_avg_pool_uneven_bins_raise():
    with pytest.raises(ValueError, match="output_size"):
        nn.AdaptiveAvgPool2d(3)(rand(1, 1, 4, 4))
    with pytest.raises(ValueError, match="output_size"):
        nn.AdaptiveAvgPool2d(0)


def _torch_loss(torch, name, z, t, **kw):
    return getattr(torch.nn.functional, name)(z, torch.tensor(t), **kw)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_and_nll_match_torch(reduction, ignore, smoothing):
    torch = pytest.importorskip("torch")
    z, t = rand(5, 4, seed=1), np.array([0, 3, 1, 2, 3])
    if ignore:
        t[[1, 3]] = -100
    kw = dict(reduction=reduction, ignore_index=-100)
    zm, zt = leaf(z), torch.tensor(z, requires_grad=True)
    y = F.cross_entropy(zm, t, label_smoothing=smoothing, **kw)
    yt = _torch_loss(torch, "cross_entropy", zt, t, label_smoothing=smoothing, **kw)
    assert np.allclose(y.data, yt.detach().numpy())
    gy = rand(*y.shape, seed=2)
    y.backward(gy)
    yt.backward(torch.tensor(gy))
    assert np.allclose(zm.grad, zt.grad.numpy())
    ms.gradcheck(lambda a: F.cross_entropy(a, t, label_smoothing=smoothing, **kw), [leaf(z)])
    if smoothing == 0.0:
        logp = torch.log_softmax(torch.tensor(z), 1).numpy()
        lm, lt = leaf(logp), torch.tensor(logp, requires_grad=True)
        y, yt = F.nll_loss(lm, t, **kw), _torch_loss(torch, "nll_loss", lt, t, **kw)
        assert np.allclose(y.data, yt.detach().numpy())
        y.backward(gy)
        yt.backward(torch.tensor(gy))
        assert np.allclose(lm.grad, lt.grad.numpy())
        ms.gradcheck(lambda a: F.nll_loss(a, t, **kw), [leaf(logp)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    a, b = rand(3, 4, seed=1), rand(3, 4, seed=2)
    y = nn.MSELoss(reduction)(a, b)
    assert np.allclose(y.data, torch.nn.functional.mse_loss(torch.tensor(a), torch.tensor(b), reduction=reduction))
    ms.gradcheck(lambda u, v: F.mse_loss(u, v, reduction=reduction), [leaf(a), leaf(b)])


def test_loss_modules_and_all_ignored_mean_is_nan_as_torch():
    z, t = rand(3, 4, seed=1), np.array([1, 0, 2])
    assert np.isclose(nn.CrossEntropyLoss()(z, t).item(), F.cross_entropy(z, t).item())
    logp = F.log_softmax(z, axis=1)
    assert np.isclose(nn.NLLLoss(reduction="sum")(logp, t).item(), F.cross_entropy(z, t, reduction="sum").item())
    assert np.isnan(F.cross_entropy(z, np.full(3, -100)).item())
    with pytest.raises(ValueError, match="reduction"):
        nn.CrossEntropyLoss(reduction="avg")


# ---- depthwise / grouped constructors ---------------------------------------------------------
def test_depthwise_takes_torchs_in_out_kernel_order():
    layer = nn.DepthwiseConv2d(32, 32, 3)
    assert layer.weight.shape == (32, 1, 3, 3) and layer.depth_multiplier == 1
    assert nn.DepthwiseConv2d(4, 8, 3).depth_multiplier == 2
    assert nn.DepthwiseConv2d(4, kernel_size=3, depth_multiplier=3).out_channels == 12
    with pytest.raises(ValueError, match="multiple of in_channels"):
        nn.DepthwiseConv2d(4, 6, 3)
    with pytest.raises(TypeError, match="kernel_size is missing"):
        nn.DepthwiseConv2d(32, 3)
    with pytest.raises(ValueError, match="contradicts"):
        nn.DepthwiseConv2d(4, 8, 3, depth_multiplier=3)


def test_separable_depth_multiplier_is_keyword_only_and_stride_is_fourth():
    layer = nn.SeparableConv2d(3, 5, 3, 2, 1)  # torch's Conv2d order: stride, padding
    assert layer.stride == 2 and layer.padding == 1 and layer.depth_multiplier == 1
    with pytest.raises(TypeError):
        nn.SeparableConv2d(3, 5, 3, 1, 0, 1, True, None)


def test_nhwc_input_says_minisep_is_nchw():
    x = np.zeros((1, 5, 5, 3), dtype=np.float32)
    for layer in (nn.Conv2d(3, 4, 3), nn.DepthwiseConv2d(3, 3, 3), nn.PointwiseConv2d(3, 2),
                  nn.SeparableConv2d(3, 4, 3)):
        with pytest.raises(ValueError, match="NCHW"):
            layer(x)


def test_grouped_conv2d_layer_shape_init_and_torch():
    torch = pytest.importorskip("torch")
    layer = nn.Conv2d(4, 6, 3, padding=1, groups=2, rng=0, dtype=np.float64)
    assert layer.weight.shape == (6, 2, 3, 3) and "groups=2" in repr(layer)
    big = nn.Conv2d(64, 64, 3, groups=4, rng=0).weight.data  # fan_in = 16·9
    assert abs(big.std() - np.sqrt(2 / (16 * 9))) < 0.01
    x = rand(2, 4, 5, 5)
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(layer.weight.data),
                                     torch.tensor(layer.bias.data), padding=1, groups=2)
    assert np.allclose(layer(x).data, ref.numpy())
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(4, 6, 3, groups=4)


# ---- dtype traps ------------------------------------------------------------------------------
def test_batch_norm_mixed_dtypes_raise_instead_of_upcasting():
    x = rand(2, 3, 2, 2, dtype=np.float32)
    with pytest.raises(TypeError, match="gamma float64"):
        F.batch_norm2d(x, np.ones(3), np.zeros(3, dtype=np.float32), None, None, True)
    y = F.batch_norm2d(x, np.ones(3, dtype=np.float32), np.zeros(3, dtype=np.float32), None, None, True)
    assert y.dtype == np.float32


def test_cross_entropy_on_integer_logits_raises():
    with pytest.raises(TypeError, match="float32 or float64"):
        F.cross_entropy(np.array([[3, 0]]), np.array([1]))


# ---- optimizers on 0-d, 1-d, 4-d parameters ---------------------------------------------------
@pytest.mark.parametrize("shape", [(), (3,), (2, 1, 2, 2)])
@pytest.mark.parametrize("kind", ["sgd", "adam", "adamw", "adadelta"])
def test_optimizers_match_torch_for_several_steps(shape, kind):
    torch = pytest.importorskip("torch")
    x0 = rand(*shape, seed=0)
    p, tp = nn.Parameter(x0.copy()), torch.nn.Parameter(torch.tensor(x0))
    make = {"sgd": (optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
            "adam": (optim.Adam, torch.optim.Adam, dict(lr=0.1, weight_decay=0.1)),
            "adamw": (optim.AdamW, torch.optim.AdamW, dict(lr=0.1)),
            "adadelta": (optim.Adadelta, torch.optim.Adadelta, dict(lr=1.0, weight_decay=0.1))}[kind]
    opt, topt = make[0]([p], **make[2]), make[1]([tp], **make[2])
    for k in range(4):
        g = rand(*shape, seed=k + 1)
        p.grad, tp.grad = g.copy(), torch.tensor(g)
        opt.step()
        topt.step()
    assert np.allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_sgd_0d_momentum_survives_a_state_dict_round_trip():
    p = nn.Parameter(np.array(1.0))
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    p.grad = np.array(1.0)
    opt.step()
    opt.load_flat_state_dict(opt.flat_state_dict())
    for _ in range(2):
        opt.step()
    assert np.isclose(p.data, 1.0 - 0.1 * (1 + 1.9 + 2.71))


# ---- error quality ----------------------------------------------------------------------------
@pytest.mark.parametrize("call, err, match", [
    (lambda: F.cross_entropy([[1.0, 2.0]], np.array([0])), TypeError, "logits must be a Tensor"),
    (lambda: nn.Dropout("a"), TypeError, "p must be a number"),
    (lambda: nn.Dropout(1.5), ValueError, "p must be"),
    (lambda: F.dropout(np.ones(2), "a", rng=np.random.default_rng(0)), TypeError, "p must be a number"),
    (lambda: nn.BatchNorm2d(3, momentum="a"), TypeError, "momentum"),
    (lambda: nn.BatchNorm2d(3, momentum=True), TypeError, "momentum"),
    (lambda: nn.AvgPool2d(2, count_include_pad="no"), TypeError, "count_include_pad"),
    (lambda: nn.Linear(2, 2, dtype="banana"), TypeError, "dtype"),
    (lambda: nn.Conv2d(2, 2, 3, dtype="banana"), TypeError, "dtype"),
    (lambda: F.batch_norm2d(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3), np.zeros(4), np.ones(3), True),
     ValueError, "running_mean must have shape"),
    (lambda: F.batch_norm2d(np.ones((2, 3, 2, 2)), np.ones(3), np.zeros(3), np.zeros(3), np.ones((3, 1)), False),
     ValueError, "running_var must have shape"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 1]), ignore_index=1.5), TypeError, "ignore_index"),
    (lambda: F.cross_entropy(np.ones((2, 3)), np.array([0, 1]), label_smoothing=2), ValueError, "label_smoothing"),
])
def test_bad_arguments_name_the_argument(call, err, match):
    with pytest.raises(err, match=match):
        call()
