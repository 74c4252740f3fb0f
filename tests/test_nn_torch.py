"""minisep models against the same models built in PyTorch: one state dict, same logits, same gradients.

The mapping is 1:1 by construction: every minisep container is mirrored by a torch.nn.Sequential with
the same child names (a SeparableConv2d becomes Sequential(depthwise=Conv2d(groups=C), [mid=...],
pointwise=Conv2d 1x1)), so ``torch_model.load_state_dict(minisep_model.state_dict())`` needs no renaming.
"""

from collections import OrderedDict

import numpy as np
import pytest

import minisep as ms
from minisep import nn
from minisep.app import models

torch = pytest.importorskip("torch")
from minisep.interop.torch import to_torch as _to_torch  # noqa: E402
tnn = torch.nn


def to_torch(m):
    return _to_torch(torch, m)


def twin(model):
    """(torch model with minisep's weights loaded 1:1, in the same train/eval mode)."""
    t = to_torch(model).double()
    t.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()}, strict=True)
    return t.train(model.training)


def perturbed(name, shape, head, seed=0):
    """A float64 model whose BN statistics and biases are not at their initial values."""
    model = models.build_model(name, input_shape=shape, rng=seed, head=head).to(np.float64)
    rng = np.random.default_rng(seed + 1)
    for bn in (m for m in model.modules() if isinstance(m, nn.BatchNorm2d)):
        bn.weight.data[:] = rng.uniform(0.5, 1.5, bn.num_features)
        bn.bias.data[:] = rng.uniform(-0.5, 0.5, bn.num_features)
        bn.running_mean[:] = rng.uniform(-0.2, 0.2, bn.num_features)
        bn.running_var[:] = rng.uniform(0.5, 2.0, bn.num_features)
    return model


CASES = [(name, (1, 8, 8), "flatten") for name in models.MODEL_NAMES] + [("separable_bn_relu", (1, 28, 28), "gap")]


@pytest.mark.parametrize("name,shape,head", CASES)
def test_same_logits_in_eval_mode(name, shape, head):
    model = perturbed(name, shape, head).eval()
    x = np.random.default_rng(2).standard_normal((4, *shape))
    with ms.no_grad():
        ours = model(x).data
    with torch.no_grad():
        theirs = twin(model)(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("name,shape,head", CASES)
def test_same_logits_gradients_and_running_stats_in_train_mode(name, shape, head):
    model = perturbed(name, shape, head).train()
    t = twin(model)
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, *shape)), rng.integers(0, 10, 6)
    loss = ms.cross_entropy(model(x), y)
    loss.backward()
    t_loss = tnn.functional.cross_entropy(t(torch.from_numpy(x)), torch.from_numpy(y))
    t_loss.backward()
    np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-10)
    t_params = dict(t.named_parameters())
    assert [n for n, _ in model.named_parameters()] == list(t_params)
    for name_, p in model.named_parameters():
        np.testing.assert_allclose(p.grad, t_params[name_].grad.numpy(), rtol=1e-7, atol=1e-11, err_msg=name_)
    t_state = t.state_dict()
    for key, value in model.state_dict().items():  # running stats updated the same way (unbiased variance)
        np.testing.assert_allclose(value, t_state[key].numpy(), rtol=1e-10, atol=1e-12, err_msg=key)


def test_float32_model_matches_torch_float32():
    model = models.build_model("separable", input_shape=(1, 28, 28), rng=1).eval()
    t = to_torch(model)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    x = np.random.default_rng(4).standard_normal((2, 1, 28, 28)).astype(np.float32)
    with torch.no_grad():
        theirs = t.eval()(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(model(x).data, theirs, rtol=1e-4, atol=1e-5)


def test_torch_weights_load_into_minisep():
    t = tnn.Sequential(OrderedDict(conv=tnn.Conv2d(2, 3, 3, padding=1), bn=tnn.BatchNorm2d(3)))
    m = nn.Sequential(OrderedDict(conv=nn.Conv2d(2, 3, 3, padding=1), bn=nn.BatchNorm2d(3)))
    m.load_state_dict(t.state_dict())
    np.testing.assert_allclose(m.conv.weight.data, t.conv.weight.detach().numpy())
