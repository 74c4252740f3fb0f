"""minisep.app.separability (the projection onto the nearest separable layer, BN recalibration, activation
statistics), the functional rank test's projected models, and the `minisep analyze` command."""

import json

import numpy as np
import pytest

from minisep import cli, nn
from minisep.app import separability as S
from minisep.experiments import rank
from minisep.experiments.variants import make_model
from minisep.teach.summary import cost


def _conv(C, O, k, **kw):
    layer = nn.Conv2d(C, O, k, rng=0, dtype=np.float64, **kw)
    if layer.bias is not None:
        layer.bias.data[...] = np.random.default_rng(1).standard_normal(O)
    return layer


@pytest.mark.parametrize("C,O,k,kw", [(3, 5, 3, dict(stride=2, padding=1)), (2, 4, (3, 2), dict(padding="same", dilation=2)),
                                      (2, 12, 3, dict(padding=0, bias=False))])
def test_full_rank_projection_is_the_layer(C, O, k, kw):
    layer = _conv(C, O, k, **kw)
    m = min(O, layer.kernel_size[0] * layer.kernel_size[1])
    sep = S.project_layer(layer, m)
    ref = nn.SeparableConv2d(C, O, k, depth_multiplier=m, rng=0, **dict(kw, bias=layer.bias is not None))
    assert [p.shape for p in sep.parameters()] == [p.shape for p in ref.parameters()]
    x = np.random.default_rng(2).standard_normal((2, C, 7, 6))
    np.testing.assert_allclose(sep(x).data, layer(x).data, rtol=0, atol=1e-12)
    assert S.discarded_energy(layer.weight.data, m) < 1e-24


def test_rank_1_kernel_is_reproduced_by_m_1():
    rng = np.random.default_rng(3)
    P, D = rng.standard_normal((6, 4)), rng.standard_normal((4, 3, 3))
    layer = _conv(4, 6, 3, padding=1)
    layer.weight.data[...] = np.einsum("oc,cij->ocij", P, D)  # W[o,c,i,j] = P[o,c]·D[c,i,j]
    sep = S.project_layer(layer, 1)
    x = rng.standard_normal((2, 4, 5, 5))
    np.testing.assert_allclose(sep(x).data, layer(x).data, rtol=0, atol=1e-12)
    np.testing.assert_allclose(S.top_energy(layer.weight, 3), [1.0, 1.0, 1.0], atol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 3, 9, 11])
def test_frobenius_error_is_the_discarded_energy(m):
    w = np.random.default_rng(4).standard_normal((5, 3, 3, 3))
    s = np.linalg.svd(w.transpose(1, 0, 2, 3).reshape(3, 5, 9), compute_uv=False)   # (C, min(O, 9))
    layer = _conv(3, 5, 3, bias=False)
    layer.weight.data[...] = w
    err = np.sum((S.project_layer(layer, m).equivalent_conv_weight() - w) ** 2)
    assert err == pytest.approx((s[:, m:] ** 2).sum(), abs=1e-10)
    assert S.discarded_energy(w, m) == pytest.approx((s[:, m:] ** 2).sum(), abs=1e-10)
    assert S.top_energy(w, m)[-1] == pytest.approx(np.mean((s[:, :m] ** 2).sum(1) / (s ** 2).sum(1)))


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="m \\(the depth multiplier\\)"):
        S.project_layer(_conv(2, 3, 3), 0)
    with pytest.raises(TypeError, match="groups=2"):
        S.project_layer(nn.Conv2d(2, 4, 3, groups=2, rng=0), 1)
    with pytest.raises(ValueError, match="not linear"):
        S.project_layer(nn.SeparableConv2d(2, 3, 3, mid="bn_relu", rng=0), 1)
    with pytest.raises(ValueError, match="w must be"):
        S.slice_energy(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="lags"):
        S.activation_stats(np.zeros((2, 2, 4, 4)), lags=0)
    with pytest.raises(ValueError, match="no sub-module 'x.0'"):
        S.swap_module(nn.Sequential(nn.ReLU()), "x.0", nn.ReLU())


def test_recalibration_gives_the_data_mean():
    net = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, rng=0), nn.BatchNorm2d(3), nn.ReLU(),
                        nn.Conv2d(3, 4, 3, rng=1), nn.BatchNorm2d(4, momentum=0.3))
    x = np.random.default_rng(5).standard_normal((10, 2, 6, 6)).astype(np.float32) + 2.0
    net[1].running_mean[...] = 7.0
    S.recalibrate_bn(net, x, batch_size=4)  # batches of 4, 4, 2: weighted, so the mean of all 10 images
    h = net[0](x).data.astype(np.float64)                                        # the first BN's input
    np.testing.assert_allclose(net[1].running_mean, h.mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-6)
    assert not net.training and net[4].momentum == 0.3 and net[1].momentum == 0.1
    assert int(net[1].num_batches_tracked) == 3
    S.recalibrate_bn(net, x, batch_size=10)   # one batch: the variance is the data's (unbiased) too
    np.testing.assert_allclose(net[1].running_var, h.var(axis=(0, 2, 3), ddof=1), rtol=1e-4)


def test_activation_statistics():
    rng = np.random.default_rng(6)
    columns = np.repeat(rng.standard_normal((8, 1, 5, 1)), 6, axis=3)   # constant along w
    a = np.concatenate([columns, 2 * columns + 1], axis=1)                # channel 2 = 2·channel 1 + 1
    st = S.activation_stats(a, lags=3)
    np.testing.assert_allclose(st["autocorr_h"], [1.0, 1.0, 1.0])
    assert st["cross_corr"] == pytest.approx(1.0) and st["effective_rank"] == pytest.approx(1.0)
    assert S.activation_stats(a, lags=6)["autocorr_v"][-1] != S.activation_stats(a, lags=6)["autocorr_v"][-1]  # nan
    assert S.effective_rank(np.eye(4)) == pytest.approx(4.0)
    assert S.effective_rank(np.diag([2.0, 0.0, 0.0])) == pytest.approx(1.0)
    dead = np.concatenate([rng.standard_normal((4, 3, 5, 5)), np.zeros((4, 1, 5, 5))], axis=1)
    st = S.activation_stats(dead)
    assert st["constant_channels"] == 1 and st["cross_corr"] < 0.3 and 2.5 < st["effective_rank"] <= 3.0


@pytest.mark.parametrize("r", [1, 2, 3])
def test_projected_standard_has_the_twins_cost(r):
    x = np.random.default_rng(7).standard_normal((6, 1, 8, 8)).astype(np.float32)
    trained = make_model("standard", (1, 8, 8), 0, 0.5)
    projected, kept = rank.project_blocks(trained, r, x, seed=0, width=0.5)
    assert cost(projected, (1, 8, 8)) == cost(make_model(rank.TWINS[r], (1, 8, 8), 0, 0.5), (1, 8, 8))
    assert 0 < kept < 1 and isinstance(projected.stem[0], nn.Conv2d)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    for model in ("standard", "separable"):
        assert cli.main(["train", "--dataset", "digits", "--model", model, "--epochs", "1", "--limit", "150",
                         "--quiet", "--out", str(folder / f"{model}.npz")]) == 0
    return folder


def test_analyze_end_to_end(checkpoints, tmp_path, capsys):
    capsys.readouterr()
    prefix = tmp_path / "out" / "report"
    assert cli.main(["analyze", str(checkpoints / "standard.npz"), "--dataset", "digits", "--limit", "200",
                     "--rank", "2", "--out", str(prefix), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "| stem.0 | Conv2d" in out and "| block2.0 | Conv2d" in out and "at most 1.0 points" in out
    report = json.loads(prefix.with_suffix(".json").read_text(), parse_constant=lambda c: pytest.fail(c))
    assert [r["layer"] for r in report["layers"]] == ["stem.0", "block1.0", "block2.0"]
    for row in report["layers"]:
        assert row["verdict"].startswith("would") and len(row["energy_top"]) == 3 and len(row["autocorr_h"]) == 3
        assert 1.0 <= row["effective_rank"] <= row["in_channels"] + 1e-9
    assert prefix.with_suffix(".md").read_text().rstrip("\n") == out.rstrip("\n")
    pytest.importorskip("matplotlib")
    assert prefix.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"


def test_analyze_a_separable_model_loses_nothing_at_its_own_rank(checkpoints, capsys):
    assert cli.main(["analyze", str(checkpoints / "separable.npz"), "--limit", "200", "--quiet"]) == 0
    assert capsys.readouterr().out.count("would survive being separable (drop 0.0 pts)") == 2  # block1, block2


@pytest.mark.parametrize("argv,option", [(["missing.npz"], "checkpoint"), (["{ckpt}", "--dataset", "cifar"], "--dataset"),
                                         (["{ckpt}", "--rank", "0"], "--rank"), (["{ckpt}", "--rank", "two"], "--rank"),
                                         (["{ckpt}", "--threshold", "nan"], "--threshold"),
                                         (["{ckpt}", "--limit", "-3"], "--limit")])
def test_analyze_errors_are_one_line(checkpoints, tmp_path, capsys, argv, option):
    ckpt = str(checkpoints / "standard.npz")
    argv = [a.replace("{ckpt}", ckpt) if a != "missing.npz" else str(tmp_path / a) for a in argv]
    capsys.readouterr()
    assert cli.main(["analyze", *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and option in err and "Traceback" not in err, err
