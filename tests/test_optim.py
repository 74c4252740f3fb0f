"""minisep.optim: hand-computed steps, torch.optim agreement, groups, dtypes, checkpoints, schedulers, errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minisep.optim import SGD, Adadelta, Adam, AdamW, CosineLR, StepLR, flatten_state_dict, unflatten_state_dict


class P:
    """Stand-in parameter: the optimizer contract is only .data / .grad (/.name)."""

    def __init__(self, data, grad=None, name=None):
        self.data = np.array(data, dtype=np.asarray(data).dtype if isinstance(data, np.ndarray) else np.float64)
        self.grad = None if grad is None else np.array(grad, dtype=self.data.dtype)
        self.name = name


# ---------------------------------------------------------------- hand-computed numbers
def test_sgd_one_step_by_hand():
    p = P([1.0, -2.0], [0.5, 1.0])
    SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=0, atol=1e-15)  # x − lr·g


def test_sgd_momentum_two_steps_by_hand():
    p = P([1.0], [2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()                       # buf = g = 2;            x = 1 − 0.1·2 = 0.8
    np.testing.assert_allclose(p.data, [0.8], atol=1e-15)
    opt.step()                       # buf = 0.9·2 + 2 = 3.8;  x = 0.8 − 0.38 = 0.42
    np.testing.assert_allclose(p.data, [0.42], atol=1e-15)
    np.testing.assert_allclose(opt.state[id(p)]["momentum_buffer"], [3.8], atol=1e-15)


def test_sgd_nesterov_dampening_weight_decay_by_hand():
    p = P([1.0], [2.0])
    opt = SGD([p], lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)
    opt.step()    # g = 2 + 0.1·1 = 2.1; buf = 2.1; g = 2.1 + 0.5·2.1 = 3.15; x = 1 − 0.315 = 0.685
    np.testing.assert_allclose(p.data, [0.685], atol=1e-15)
    opt.step()    # g = 2 + 0.0685 = 2.0685; buf = 1.05 + 2.0685 = 3.1185; g = 2.0685 + 1.55925 = 3.62775
    np.testing.assert_allclose(p.data, [0.685 - 0.362775], atol=1e-14)
    q = P([1.0], [2.0])
    opt = SGD([q], lr=0.1, momentum=0.5, dampening=0.25)
    opt.step()    # first step: buf = g = 2 (no dampening on the first step, as torch); x = 0.8
    opt.step()    # buf = 0.5·2 + 0.75·2 = 2.5; x = 0.8 − 0.25 = 0.55
    np.testing.assert_allclose(q.data, [0.55], atol=1e-15)


def test_adam_two_steps_by_hand():
    p = P([1.0, -2.0], [0.5, -4.0])
    opt = Adam([p], lr=0.1)
    opt.step()    # m = 0.1g, v = 0.001g², m̂ = g, √v̂ = |g|: x − 0.1·g/(|g| + 1e-8)
    np.testing.assert_allclose(p.data, [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8)], rtol=1e-14)
    q = P([0.0], [1.0])
    opt = Adam([q], lr=0.1)
    opt.step()
    q.grad = np.array([3.0])
    opt.step()
    # step 2: m = 0.9·0.1 + 0.1·3 = 0.39; v = 0.999·0.001 + 0.001·9 = 0.009999
    # bias_correction1 = 1 − 0.81 = 0.19; bias_correction2 = 1 − 0.998001 = 0.001999
    # x = −0.1·1/(1+1e-8) − (0.1/0.19)·0.39 / (√0.009999/√0.001999 + 1e-8)
    expected = -0.1 / (1 + 1e-8) - (0.1 / 0.19) * 0.39 / (math.sqrt(0.009999) / math.sqrt(0.001999) + 1e-8)
    np.testing.assert_allclose(q.data, [expected], rtol=1e-12)
    # numerically: m̂ = 0.39/0.19 = 2.052632, √v̂ = √(0.009999/0.001999) = 2.236565, step 0.1·m̂/√v̂ = 0.0917781
    np.testing.assert_allclose(q.data, [-0.1 - 0.0917781], atol=1e-7)
    assert opt.state[id(q)]["step"] == 2


def test_adam_l2_versus_adamw_decoupled_by_hand():
    a, b = P([1.0], [0.5]), P([1.0], [0.5])
    Adam([a], lr=0.1, weight_decay=0.5).step()    # g = 0.5 + 0.5·1 = 1.0 → x = 1 − 0.1·1/(1+1e-8)
    AdamW([b], lr=0.1, weight_decay=0.5).step()   # x = 1·(1 − 0.05) = 0.95 → 0.95 − 0.1·0.5/(0.5+1e-8)
    np.testing.assert_allclose(a.data, [1 - 0.1 / (1 + 1e-8)], rtol=1e-14)
    np.testing.assert_allclose(b.data, [0.95 - 0.1 * 0.5 / (0.5 + 1e-8)], rtol=1e-14)
    assert AdamW([P([1.0])]).param_groups[0]["weight_decay"] == 1e-2


# ---------------------------------------------------------------- against torch.optim
CONFIGS = [
    (SGD, "SGD", dict(lr=0.1)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.9)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    (SGD, "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=1e-2)),
    (SGD, "SGD", dict(lr=0.05, weight_decay=0.1)),
    (Adam, "Adam", dict()),
    (Adam, "Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    (AdamW, "AdamW", dict(lr=0.02)),
    (AdamW, "AdamW", dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.3)),
    (Adadelta, "Adadelta", dict()),
    (Adadelta, "Adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.1)),
]


def _run_both(cls, tname, kw, dtype, groups=None, steps=6, none_at=None):
    """Run minisep and torch side by side on the same params/grads; return (ours, theirs) arrays."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,), (2, 1, 3, 3)]
    ours = [P(rng.standard_normal(s).astype(dtype), name=f"p{i}") for i, s in enumerate(shapes)]
    theirs = [torch.tensor(p.data.copy(), requires_grad=True) for p in ours]
    if groups is None:
        opt, topt = cls(ours, **kw), getattr(torch.optim, tname)(theirs, **kw)
    else:
        opt = cls([dict(g, params=[ours[i] for i in idx]) for idx, g in groups], **kw)
        topt = getattr(torch.optim, tname)([dict(g, params=[theirs[i] for i in idx]) for idx, g in groups], **kw)
    for t in range(steps):
        for i, (p, tp) in enumerate(zip(ours, theirs)):
            if none_at == (t, i):
                p.grad, tp.grad = None, None
            else:
                p.grad = rng.standard_normal(p.data.shape).astype(dtype)
                tp.grad = torch.tensor(p.grad.copy())
        opt.step()
        topt.step()
    return ours, theirs, opt, topt


@pytest.mark.parametrize("cls,tname,kw", CONFIGS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch_over_steps(cls, tname, kw, dtype):
    ours, theirs, _, _ = _run_both(cls, tname, kw, dtype, none_at=(2, 1))
    tol = dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for p, tp in zip(ours, theirs):
        assert p.data.dtype == dtype
        np.testing.assert_allclose(p.data, tp.detach().numpy(), **tol)


@pytest.mark.parametrize("cls,tname,kw", [CONFIGS[3], CONFIGS[6], CONFIGS[8]])
def test_param_groups_match_torch(cls, tname, kw):
    # group 0: the "depthwise" filter without weight decay and its own lr (MobileNet advice)
    groups = [([2], dict(weight_decay=0.0, lr=0.01)), ([0, 1], dict())]
    ours, theirs, opt, topt = _run_both(cls, tname, kw, np.float64, groups=groups)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-12, atol=1e-13)
    assert opt.param_groups[0]["weight_decay"] == 0.0 and opt.param_groups[0]["lr"] == 0.01
    assert opt.param_groups[1]["lr"] == kw.get("lr", 1e-3)
    # same state names as torch.optim, so a checkpoint reads the same
    ours_sd, torch_sd = opt.state_dict(), topt.state_dict()
    assert set(ours_sd["state"][0]) == set(torch_sd["state"][0])
    assert [g["params"] for g in ours_sd["param_groups"]] == [g["params"] for g in torch_sd["param_groups"]]


@settings(max_examples=25, deadline=None)
@given(lr=st.floats(0, 0.5), momentum=st.floats(0, 0.99), nesterov=st.booleans(), wd=st.floats(0, 0.5),
       beta1=st.floats(0, 0.99), beta2=st.floats(0, 0.999), adamw=st.booleans())
def test_random_hyperparameters_match_torch(lr, momentum, nesterov, wd, beta1, beta2, adamw):
    nesterov = nesterov and momentum > 0
    ours, theirs, _, _ = _run_both(SGD, "SGD", dict(lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=wd),
                                   np.float64, steps=3)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)
    cls, name = (AdamW, "AdamW") if adamw else (Adam, "Adam")
    ours, theirs, _, _ = _run_both(cls, name, dict(lr=lr, betas=(beta1, beta2), weight_decay=wd), np.float64, steps=3)
    for p, tp in zip(ours, theirs):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- contract: None grads, dtype, in place
@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9), lambda ps: Adam(ps), lambda ps: AdamW(ps)])
def test_grad_none_is_skipped(make):
    a, b = P([1.0, 2.0], [1.0, 1.0]), P([3.0, 4.0])
    opt = make([a, b])
    opt.step()
    np.testing.assert_array_equal(b.data, [3.0, 4.0])  # untouched, even by weight decay (AdamW)
    assert id(b) not in opt.state and id(a) in opt.state


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.1),
                                  lambda ps: Adam(ps, weight_decay=0.1), lambda ps: AdamW(ps)])
def test_float32_stays_float32_in_place(make):
    data = np.ones((4, 3), dtype=np.float32)
    p = P(data)
    p.data = data                                    # keep this exact object
    view = data[1]                                   # a view held elsewhere (e.g. by a module)
    grad64 = np.full((4, 3), 0.5)                    # float64 grad must not upcast the float32 param or state
    p.grad = grad64
    opt = make([p])
    for _ in range(3):
        opt.step()
    assert p.data is data and p.data.dtype == np.float32
    assert np.all(view < 1) and np.shares_memory(view, p.data)
    for v in opt.state[id(p)].values():
        if isinstance(v, np.ndarray):
            assert v.dtype == np.float32
    np.testing.assert_array_equal(p.grad, grad64)    # the optimizer never writes into p.grad


def test_zero_grad():
    a, b = P([1.0], [2.0]), P([1.0])
    opt = SGD([a, b], lr=0.1)
    g = a.grad
    opt.zero_grad(set_to_none=False)
    assert a.grad is g and a.grad[0] == 0 and b.grad is None
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_grad_shape_mismatch_names_the_parameter():
    p = P(np.zeros((2, 3)), name="conv1.weight")
    p.grad = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"conv1\.weight.*\(3, 2\).*\(2, 3\)"):
        SGD([p], lr=0.1).step()


def test_closure_and_generator_params():
    ps = [P([1.0], [1.0]), P([2.0], [1.0])]
    opt = SGD((p for p in ps), lr=0.5)   # a generator is consumed once and kept as a list
    assert opt.step(lambda: 42.0) == 42.0
    np.testing.assert_allclose([ps[0].data[0], ps[1].data[0]], [0.5, 1.5])
    assert "group 0: 2 params" in repr(opt)


# ---------------------------------------------------------------- checkpoints
def test_state_dict_roundtrip_through_npz(tmp_path):
    rng = np.random.default_rng(1)
    ps = [P(rng.standard_normal((3, 2)).astype(np.float32)), P(rng.standard_normal(4).astype(np.float32))]
    opt = Adam([{"params": [ps[0]], "lr": 0.01}, {"params": [ps[1]], "weight_decay": 0.1}], betas=(0.8, 0.9))
    grads = [[rng.standard_normal(p.data.shape).astype(np.float32) for p in ps] for _ in range(5)]
    for t in range(3):
        for p, g in zip(ps, grads[t]):
            p.grad = g
        opt.step()
    path = tmp_path / "opt.npz"
    np.savez(path, **opt.flat_state_dict(prefix="optim/"), **{"model/w": np.zeros(1)})
    clones = [P(p.data.copy()) for p in ps]
    opt2 = Adam([{"params": [clones[0]]}, {"params": [clones[1]]}])
    with np.load(path, allow_pickle=False) as f:
        opt2.load_flat_state_dict(dict(f), prefix="optim/")
    assert opt2.param_groups[0]["lr"] == 0.01 and opt2.param_groups[1]["weight_decay"] == 0.1
    assert opt2.param_groups[1]["betas"] == (0.8, 0.9) and opt2.state[id(clones[0])]["step"] == 3
    for t in range(3, 5):
        for p, c, g in zip(ps, clones, grads[t]):
            p.grad, c.grad = g, g.copy()
        opt.step()
        opt2.step()
    for p, c in zip(ps, clones):
        np.testing.assert_array_equal(p.data, c.data)
        assert c.data.dtype == np.float32


def test_state_dict_is_a_snapshot_of_plain_values():
    p = P([1.0], [1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()
    sd = opt.state_dict()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["momentum_buffer"], [1.0])
    assert sd["param_groups"] == [dict(lr=0.1, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0,
                                       params=[0])]
    flat = flatten_state_dict(sd)
    assert all(isinstance(v, np.ndarray) and v.dtype != object for v in flat.values())
    back = unflatten_state_dict(flat)
    assert back["param_groups"] == sd["param_groups"] and type(back["param_groups"][0]["nesterov"]) is bool
    np.testing.assert_array_equal(back["state"][0]["momentum_buffer"], sd["state"][0]["momentum_buffer"])


def test_load_state_dict_rejects_mismatches():
    src = SGD([P(np.ones(3), np.ones(3)), P(np.ones(2))], lr=0.1, momentum=0.9)
    src.step()
    sd = src.state_dict()
    with pytest.raises(ValueError, match="2 parameters in the saved state; this optimizer has 1"):
        SGD([P(np.ones(3))], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="saved state has 1 parameter groups; this optimizer has 2"):
        SGD([{"params": [P(np.ones(3))]}, {"params": [P(np.ones(2))]}], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match=r"momentum_buffer.*\(3,\).*\(4,\)"):
        SGD([P(np.ones(4)), P(np.ones(2))], lr=0.1).load_state_dict(sd)
    sd["param_groups"][0]["lr"] = -1.0
    with pytest.raises(ValueError, match="lr=-1.0"):
        SGD([P(np.ones(3)), P(np.ones(2))], lr=0.1).load_state_dict(sd)


# ---------------------------------------------------------------- validation
def _p():
    return P([1.0], [1.0])


@pytest.mark.parametrize("make,match", [
    (lambda: SGD([_p()], lr=-0.1), "lr=-0.1"),
    (lambda: SGD([_p()], lr=float("nan")), "lr=nan"),
    (lambda: SGD([_p()], lr=0.1, momentum=-0.5), "momentum=-0.5"),
    (lambda: SGD([_p()], lr=0.1, weight_decay=-1), "weight_decay=-1"),
    (lambda: SGD([_p()], lr=0.1, nesterov=True), "nesterov=True.*momentum > 0"),
    (lambda: SGD([_p()], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening = 0"),
    (lambda: Adam([_p()], betas=(1.0, 0.999)), r"betas\[0\]=1.0"),
    (lambda: Adam([_p()], betas=(0.9, -0.1)), r"betas\[1\]=-0.1"),
    (lambda: Adam([_p()], betas=(0.9,)), "pair"),
    (lambda: AdamW([_p()], eps=0), "eps=0"),
    (lambda: Adam([_p()], lr=-1e-3), "lr=-0.001"),
    (lambda: SGD([], lr=0.1), "empty parameter list"),
    (lambda: SGD([{"params": []}], lr=0.1), "group 0 has an empty"),
    (lambda: SGD([{"lr": 0.1}], lr=0.1), "no 'params'"),
    (lambda: SGD([{"params": [_p()], "lr": -2.0}], lr=0.1), "lr=-2.0 in parameter group 0"),
])
def test_bad_hyperparameters_raise_value_error(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_parameter_in_two_groups_or_twice_is_rejected():
    p, q = P([1.0], name="dw.weight"), _p()
    with pytest.raises(ValueError, match=r"'dw\.weight'.*group 1 already appears in group 0"):
        SGD([{"params": [p, q]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="same group"):
        Adam([p, p])


def test_non_parameters_raise_type_error():
    with pytest.raises(TypeError, match="item #0 is a ndarray"):
        SGD([np.ones(3)], lr=0.1)
    with pytest.raises(TypeError, match="single P"):
        SGD(_p(), lr=0.1)
    with pytest.raises(TypeError, match="float dtype"):
        SGD([P(np.ones(3, dtype=np.int64))], lr=0.1)
    with pytest.raises(TypeError, match="nesterov"):
        SGD([_p()], lr=0.1, momentum=0.9, nesterov="yes")


# ---------------------------------------------------------------- schedulers
def test_step_lr_by_hand_and_used_by_step():
    p = P([0.0], [1.0])
    opt = SGD([p], lr=0.1)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    lrs = [sched.last_lr[0]]
    for _ in range(5):
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rtol=1e-15)
    opt.step()                                   # the optimizer really uses the scheduled lr
    np.testing.assert_allclose(p.data, [-0.025], rtol=1e-15)
    assert sched.get_last_lr() == sched.last_lr == sched.get_lr()


def test_cosine_lr_by_hand():
    opt = SGD([_p()], lr=1.0)
    sched = CosineLR(opt, T_max=4, eta_min=0.2)
    lrs = [sched.last_lr[0]]
    for _ in range(4):
        sched.step()
        lrs.append(sched.last_lr[0])
    c = (1 + math.cos(math.pi / 4)) / 2          # lr = 0.2 + 0.8·(1 + cos(π t / 4))/2
    np.testing.assert_allclose(lrs, [1.0, 0.2 + 0.8 * c, 0.6, 0.2 + 0.8 * (1 - c), 0.2], rtol=1e-14)


@pytest.mark.parametrize("kind", ["step", "cosine"])
def test_schedulers_match_torch_per_group(kind):
    torch = pytest.importorskip("torch")
    opt = SGD([{"params": [_p()], "lr": 0.1}, {"params": [_p()], "lr": 0.03}], lr=0.5, momentum=0.9)
    topt = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": 0.1},
                            {"params": [torch.zeros(1, requires_grad=True)], "lr": 0.03}], lr=0.5, momentum=0.9)
    if kind == "step":
        sched, tsched = StepLR(opt, 3, gamma=0.3), torch.optim.lr_scheduler.StepLR(topt, 3, gamma=0.3)
    else:
        sched, tsched = CosineLR(opt, 7, eta_min=1e-3), torch.optim.lr_scheduler.CosineAnnealingLR(topt, 7, 1e-3)
    ours, theirs = [sched.last_lr], [tsched.get_last_lr()]
    for _ in range(20):                         # past T_max: the cosine goes on, as in torch
        topt.step()
        sched.step()
        tsched.step()
        ours.append(sched.last_lr)
        theirs.append(tsched.get_last_lr())
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-15)


def test_scheduler_state_dict_resumes():
    opt = SGD([_p()], lr=0.1)
    sched = CosineLR(opt, T_max=10)
    for _ in range(3):
        sched.step()
    opt2 = SGD([_p()], lr=0.1)
    sched2 = CosineLR(opt2, T_max=10)
    sched2.load_state_dict(sched.state_dict())
    sched.step()
    sched2.step()
    assert sched2.last_lr == sched.last_lr and sched2.last_epoch == 4


@pytest.mark.parametrize("make,err,match", [
    (lambda o: StepLR(o, step_size=0), ValueError, "step_size"),
    (lambda o: StepLR(o, step_size=2.5), ValueError, "step_size"),
    (lambda o: StepLR(o, step_size=2, gamma=0), ValueError, "gamma"),
    (lambda o: CosineLR(o, T_max=0), ValueError, "T_max"),
    (lambda o: CosineLR(o, T_max=5, eta_min=-1), ValueError, "eta_min"),
    (lambda o: StepLR("sgd", step_size=2), TypeError, "Optimizer"),
])
def test_scheduler_validation(make, err, match):
    with pytest.raises(err, match=match):
        make(SGD([_p()], lr=0.1))
