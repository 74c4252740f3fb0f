"""minisep.nn.init: fans (depthwise!), gains, statistics, determinism, dtype, explicit rng, torch agreement."""
from __future__ import annotations

import math

import numpy as np
import pytest

import minisep.random
from minisep.nn import init

RANDOM_INITS = [init.kaiming_normal, init.kaiming_uniform, init.xavier_normal, init.xavier_uniform,
                init.glorot_normal, init.glorot_uniform, init.torch_default_uniform]


def _rng(seed=0):
    return np.random.default_rng(seed)


# ---------------------------------------------------------------- fans and gains
@pytest.mark.parametrize("shape,fans", [
    ((10, 20), (20, 10)),                    # Linear (out, in): fan_in = in
    ((16, 8, 3, 5), (8 * 15, 16 * 15)),      # conv (O, C, kh, kw)
    ((12, 1, 3, 3), (9, 12 * 9)),            # depthwise C=4, m=3: fan_in = kh·kw
    ((32, 16, 1, 1), (16, 32)),              # pointwise: fan_in = C
    ((6, 2, 7), (14, 42)),                   # conv1d
])
def test_fan_in_fan_out(shape, fans):
    assert init.fan_in_fan_out(shape) == fans


def test_fan_out_with_groups_counts_outputs_per_input_channel():
    assert init.fan_in_fan_out((12, 1, 3, 3), groups=4) == (9, 3 * 9)   # depthwise m = 3: fan_out = m·kh·kw
    with pytest.raises(ValueError, match="groups"):
        init.fan_in_fan_out((12, 1, 3, 3), groups=5)


def test_fans_and_gains_match_torch():
    torch = pytest.importorskip("torch")
    for shape in [(10, 20), (16, 8, 3, 5), (12, 1, 3, 3), (32, 16, 1, 1)]:
        assert init.fan_in_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    for nl, param in [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                      ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)]:
        assert init.calculate_gain(nl, param) == pytest.approx(torch.nn.init.calculate_gain(nl, param), rel=1e-15)


def test_fan_errors():
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.fan_in_fan_out((5,))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal((4, 4), _rng(), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        init.kaiming_normal((4, 4), _rng(), nonlinearity="swish")
    with pytest.raises(ValueError, match="non-negative"):
        init.zeros((2, -1))


# ---------------------------------------------------------------- statistics
def _std(fn, shape, **kw):
    """Expected std of each initialiser, written from its docstring formula."""
    fan_in, fan_out = init.fan_in_fan_out(shape)
    gain = init.calculate_gain(kw.get("nonlinearity", "relu"), kw.get("a", 0.0))
    fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
    return {
        init.kaiming_normal: gain / math.sqrt(fan),
        init.kaiming_uniform: gain / math.sqrt(fan),                       # bound/√3 with bound = gain·√(3/fan)
        init.xavier_normal: math.sqrt(2 / (fan_in + fan_out)),
        init.xavier_uniform: math.sqrt(2 / (fan_in + fan_out)),
        init.torch_default_uniform: 1 / math.sqrt(fan_in) / math.sqrt(3),
    }[fn]


@pytest.mark.parametrize("fn,kw", [
    (init.kaiming_normal, {}),
    (init.kaiming_normal, dict(mode="fan_out")),
    (init.kaiming_normal, dict(nonlinearity="leaky_relu", a=0.2)),
    (init.kaiming_uniform, {}),
    (init.kaiming_uniform, dict(nonlinearity="tanh", mode="fan_out")),
    (init.xavier_normal, {}),
    (init.xavier_uniform, {}),
    (init.torch_default_uniform, {}),
])
@pytest.mark.parametrize("shape", [(128, 64, 3, 3), (4096, 1, 3, 3), (300, 200)])  # standard, depthwise, linear
def test_std_matches_formula(fn, kw, shape):
    w = fn(shape, _rng(1), **kw)
    assert w.shape == shape and w.dtype == np.float32
    expected = _std(fn, shape, **kw)
    assert w.std() == pytest.approx(expected, rel=0.03)
    assert abs(w.mean()) < 0.03 * expected
    if fn in (init.kaiming_uniform, init.xavier_uniform, init.torch_default_uniform):
        bound = expected * math.sqrt(3)
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_depthwise_kaiming_uses_kh_kw_as_fan_in():
    w = init.kaiming_normal((4096, 1, 3, 3), _rng(2))           # std = √2/√9 = 0.471, not √2/√(C·9)
    assert w.std() == pytest.approx(math.sqrt(2 / 9), rel=0.02)


def test_xavier_gain_and_fan_out_groups():
    w = init.xavier_uniform((64, 1, 3, 3), _rng(3), gain=2.0, groups=64)   # fan_in = fan_out = 9
    assert np.abs(w).max() <= 2.0 * math.sqrt(6 / 18)
    assert w.std() == pytest.approx(2.0 * math.sqrt(2 / 18), rel=0.05)


def test_torch_default_bias_bound_and_torch_layers_agree():
    fan_in = init.fan_in_fan_out((64, 32, 3, 3))[0]
    b = init.torch_default_uniform((64,), _rng(4), fan_in=fan_in)
    assert b.shape == (64,) and np.abs(b).max() <= 1 / math.sqrt(288)
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(32, 64, 3)
    ours = init.torch_default_uniform(tuple(conv.weight.shape), _rng(5))
    for theirs, mine in [(conv.weight, ours), (conv.bias, b)]:
        t = theirs.detach().numpy()
        assert np.abs(t).max() <= 1 / math.sqrt(fan_in) + 1e-7      # torch draws within our bound ...
        assert np.abs(t).max() == pytest.approx(np.abs(mine).max(), rel=0.05)   # ... and fills it as we do
    assert ours.std() == pytest.approx(conv.weight.detach().numpy().std(), rel=0.03)


# ---------------------------------------------------------------- contract: rng, dtype, determinism
@pytest.mark.parametrize("fn", RANDOM_INITS + [init.normal, init.uniform])
def test_same_seed_same_weights_new_array_each_call(fn):
    a, b = fn((8, 4, 3, 3), _rng(7)), fn((8, 4, 3, 3), _rng(7))
    np.testing.assert_array_equal(a, b)
    assert a is not b and not np.shares_memory(a, b)
    assert not np.array_equal(a, fn((8, 4, 3, 3), _rng(8)))
    rng = _rng(7)
    assert not np.array_equal(fn((8, 4, 3, 3), rng), fn((8, 4, 3, 3), rng))   # the generator advances


@pytest.mark.parametrize("fn", RANDOM_INITS + [init.normal, init.uniform])
@pytest.mark.parametrize("bad", ["seed", -1, 1.5, True])
def test_rng_is_checked_by_as_rng(fn, bad):
    with pytest.raises(TypeError, match="numpy.random.Generator or an int seed"):
        fn((4, 4), bad)


@pytest.mark.parametrize("fn", RANDOM_INITS + [init.normal, init.uniform])
def test_rng_int_seed_or_default_generator(fn):
    np.testing.assert_array_equal(fn((4, 4), 42), fn((4, 4), _rng(42)))     # an int seed = default_rng(seed)
    state = minisep.random.get_state()
    try:
        minisep.random.manual_seed(3)
        a, b = fn((4, 4)), fn((4, 4), None)                                 # None: a new default stream each
        minisep.random.manual_seed(3)
        np.testing.assert_array_equal(a, fn((4, 4)))
        assert not np.array_equal(a, b)
    finally:
        minisep.random.set_state(state)


def test_legacy_random_state_is_refused():
    with pytest.raises(TypeError, match="RandomState"):
        init.kaiming_normal((4, 4), np.random.RandomState(0))


@pytest.mark.parametrize("fn", RANDOM_INITS)
def test_dtype(fn):
    assert fn((6, 5), _rng(), dtype=np.float64).dtype == np.float64
    assert fn((6, 5), _rng()).dtype == np.float32
    with pytest.raises(TypeError, match="float dtype"):
        fn((6, 5), _rng(), dtype=np.int32)


def test_zeros_ones_and_empty_shapes():
    z, o = init.zeros((2, 3)), init.ones(4, _rng(), dtype=np.float64)
    assert z.dtype == np.float32 and not z.any() and z.shape == (2, 3)
    assert o.dtype == np.float64 and o.shape == (4,) and (o == 1).all()
    with pytest.raises(TypeError, match="Generator"):
        init.zeros((2,), rng="3")
    state = minisep.random.get_state()
    init.zeros((2,)), init.ones((2,), None), init.zeros((2,), rng=3)             # no randomness drawn
    assert minisep.random.get_state() == state
    assert init.kaiming_uniform((0, 3, 3, 3), _rng()).shape == (0, 3, 3, 3)   # zero-size: no division by 0


def test_uniform_and_normal_ranges():
    u = init.uniform((10000,), _rng(), low=2.0, high=3.0, dtype=np.float64)
    assert u.min() >= 2.0 and u.max() < 3.0 and u.mean() == pytest.approx(2.5, abs=0.01)
    n = init.normal((10000,), _rng(), mean=1.0, std=0.5)
    assert n.mean() == pytest.approx(1.0, abs=0.02) and n.std() == pytest.approx(0.5, rel=0.03)
