"""Core ops against PyTorch (skipped when torch is not installed): values and gradients."""

import numpy as np
import pytest

import minisep as ms

torch = pytest.importorskip("torch")

rng = np.random.default_rng(5)
A, B, Z = rng.standard_normal((3, 4)), rng.uniform(0.5, 2, (4,)), rng.standard_normal((5, 4))
LABELS = np.array([0, 3, 1, 1, 2])

PROGRAMS = {
    "arith": lambda a, b, m: ((a * b - b / 2.0) ** 2 + 1.0 / b).sum(),
    "unary": lambda a, b, m: (a.tanh() + a.sigmoid() + a.exp() + (b.log() + b.sqrt()) + a.relu()).sum(),
    "reduce": lambda a, b, m: a.max(axis=1).sum() + a.mean(axis=0).sum() * 2 + a.sum(),
    "shape": lambda a, b, m: (a.T.reshape(2, 6)[:, 1:4] ** 2).sum() + m.stack([a, a], axis=0).flatten(1).sum(),
    "matmul": lambda a, b, m: ((a @ b) ** 2).sum(),
    "softmax": lambda a, b, m: (a.softmax(axis=1) * a).sum() + a.log_softmax(axis=1).mean(),
}


def run_torch(name):
    a = torch.tensor(A, requires_grad=True)
    b = torch.tensor(B, requires_grad=True)

    progs = {
        "arith": lambda: ((a * b - b / 2.0) ** 2 + 1.0 / b).sum(),
        "unary": lambda: (a.tanh() + a.sigmoid() + a.exp() + (b.log() + b.sqrt()) + a.relu()).sum(),
        "reduce": lambda: a.amax(dim=1).sum() + a.mean(dim=0).sum() * 2 + a.sum(),
        "shape": lambda: (a.T.reshape(2, 6)[:, 1:4] ** 2).sum() + torch.stack([a, a], 0).flatten(1).sum(),
        "matmul": lambda: ((a @ b) ** 2).sum(),
        "softmax": lambda: (a.softmax(dim=1) * a).sum() + a.log_softmax(dim=1).mean(),
    }
    y = progs[name]()
    y.backward()
    return y.item(), a.grad.numpy(), b.grad.numpy() if b.grad is not None else np.zeros_like(B)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_torch(name):
    a = ms.Tensor(A, requires_grad=True)
    b = ms.Tensor(B, requires_grad=True)
    y = PROGRAMS[name](a, b, ms)
    y.backward()
    ty, ta, tb = run_torch(name)
    np.testing.assert_allclose(y.item(), ty, rtol=1e-10)
    np.testing.assert_allclose(a.grad, ta, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(b.grad if b.grad is not None else np.zeros_like(B), tb, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_matches_torch(reduction):
    z = ms.Tensor(Z, requires_grad=True)
    loss = ms.cross_entropy(z, LABELS, reduction=reduction)
    tz = torch.tensor(Z, requires_grad=True)
    tloss = torch.nn.functional.cross_entropy(tz, torch.tensor(LABELS), reduction=reduction)
    g = rng.standard_normal(loss.shape)
    loss.backward(gradient=g)
    tloss.backward(torch.tensor(g))
    np.testing.assert_allclose(loss.data, tloss.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(z.grad, tz.grad.numpy(), rtol=1e-9, atol=1e-12)
