"""minisep.app.models and minisep.teach.summary: every variant builds and runs; params and mult-adds add up."""

import numpy as np
import pytest

import minisep as ms
from minisep import nn, optim
from minisep.app import models
from minisep.teach.summary import cost, separable_ratio_formula, summary, summary_rows

SHAPES = [(1, 28, 28), (1, 8, 8)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", models.MODEL_NAMES)
def test_every_variant_builds_and_gives_logits(name, shape):
    model = models.build_model(name, input_shape=shape, num_classes=10, rng=0)
    x = np.random.default_rng(1).standard_normal((3, *shape)).astype(np.float32)
    y = model(x)
    assert y.shape == (3, 10) and y.dtype == np.float32 and np.all(np.isfinite(y.data))
    assert isinstance(model.stem[0], nn.Conv2d)  # the first layer stays a full conv, as in MobileNet
    blocks = [stage[0] for n, stage in model.named_children() if n.startswith("block")]
    kind = nn.Conv2d if name == "standard" else nn.SeparableConv2d
    assert blocks and all(type(b) is kind for b in blocks)


@pytest.mark.parametrize("shape", SHAPES)
def test_separable_twins_have_fewer_params_and_mult_adds(shape):
    costs = {name: cost(models.build_model(name, input_shape=shape), shape) for name in models.MODEL_NAMES}
    gap = {name: cost(models.build_model(name, input_shape=shape, head="gap"), shape) for name in models.MODEL_NAMES}
    for name in ("separable", "separable_relu", "separable_bn_relu"):
        assert costs[name][0] < costs["standard"][0] / 2 and costs[name][1] < costs["standard"][1] / 5
        assert gap[name][0] < gap["standard"][0] / 5  # without the flatten head's weights
    assert costs["separable"] == costs["separable_relu"]
    assert costs["separable_bn_relu"][0] > costs["separable"][0]  # the extra BatchNorms' gamma and beta


def test_param_count_of_the_8x8_models_by_hand():
    conv = lambda c, o, k=3: o * c * k * k  # noqa: E731  (no bias: BN follows)
    sep = lambda c, o, k=3: c * k * k + o * c  # noqa: E731
    bn = lambda c: 2 * c  # noqa: E731
    head = 64 * 4 * 4 * 10 + 10  # flatten (64, 4, 4) -> 10
    stem = conv(1, 16) + bn(16)
    assert models.build_model("standard", (1, 8, 8)).num_parameters() == \
        stem + conv(16, 32) + bn(32) + conv(32, 64) + bn(64) + head
    assert models.build_model("separable", (1, 8, 8)).num_parameters() == \
        stem + sep(16, 32) + bn(32) + sep(32, 64) + bn(64) + head
    assert models.build_model("separable_bn_relu", (1, 8, 8)).num_parameters() == \
        stem + sep(16, 32) + bn(16) + bn(32) + sep(32, 64) + bn(32) + bn(64) + head


def test_mult_adds_of_a_tiny_model_by_hand():
    model = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.SeparableConv2d(2, 4, 3, depth_multiplier=2, stride=2),
                          nn.PointwiseConv2d(4, 3), nn.GlobalAvgPool2d(), nn.Linear(3, 5))
    # conv 5x5 out: 25·2·1·9; separable 2x2 out: depthwise 4·(2·2)·9 + pointwise 4·4·(2·2); pointwise 4·3·4; 3·5
    expect = 25 * 2 * 9 + (4 * 4 * 9 + 4 * 4 * 4) + 4 * 3 * 4 + 3 * 5
    params, mult_adds = cost(model, (1, 5, 5))
    assert mult_adds == expect and params == model.num_parameters()
    rows = {r.name: r for r in summary_rows(model, (1, 5, 5))}
    assert rows["1"].mult_adds == 4 * 4 * 9 + 4 * 4 * 4 and not rows["1"].counted and rows["1.depthwise"].depth == 1
    assert rows["1"].output_shape == (4, 2, 2) and rows["3"].output_shape == (3,)
    full = 4 * 4 * 2 * 9  # the same conv in full: P·Q·O·C·kh·kw
    assert rows["1"].ratio == pytest.approx(rows["1"].mult_adds / full)
    assert rows["1"].ratio == pytest.approx(2 * (1 / 4 + 1 / 9))  # m·(1/O + 1/(kh·kw))


def test_summary_text_shows_the_ratio_and_the_formula():
    model = models.build_model("separable", (1, 28, 28))
    text = summary(model, (1, 28, 28))
    assert "1/O + 1/(kh·kw) = 1/32 + 1/9 = 0.1424" in text and "1/O + 1/(kh·kw) = 1/64 + 1/9 = 0.1267" in text
    assert f"Total params: {model.num_parameters():,}" in text
    assert "block1.0.depthwise" in text and "32x28x28" in text
    assert models.summary is summary  # re-exported for the CLI
    value, formula = separable_ratio_formula(64, (3, 5), 2)
    assert value == pytest.approx(2 * (1 / 64 + 1 / 15)) and formula.startswith("m·(1/O + 1/(kh·kw)) = 2·(1/64 + 1/15)")


def test_summary_restores_training_mode_and_records_no_graph():
    model = models.build_model("separable_bn_relu", (1, 8, 8))
    model.train()
    before = model.state_dict()
    summary(model, (1, 8, 8))
    assert all(m.training for m in model.modules())
    for k, v in model.state_dict().items():  # eval mode: running stats untouched
        assert np.array_equal(v, before[k]), k


def test_same_seed_same_weights_and_width_scales_channels():
    a, b = models.build_model("separable", rng=3), models.build_model("separable", rng=np.random.default_rng(3))
    c = models.build_model("separable", rng=4)
    assert all(np.array_equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    assert not np.array_equal(a.state_dict()["stem.0.weight"], c.state_dict()["stem.0.weight"])
    half = models.build_model("standard", (1, 8, 8), width=0.5)
    assert half.stem[0].weight.shape == (8, 1, 3, 3) and half.classifier.weight.shape == (10, 32 * 4 * 4)
    assert models.build_model("standard", (3, 16, 20), num_classes=7)(np.zeros((2, 3, 16, 20), np.float32)).shape == (2, 7)


def test_bad_arguments():
    with pytest.raises(ValueError, match="standard"):
        models.build_model("mobilenet")
    with pytest.raises(ValueError, match="input_shape"):
        models.build_model("standard", input_shape=(28, 28))
    with pytest.raises(ValueError, match="at least 4x4"):
        models.build_model("standard", input_shape=(1, 3, 3))
    with pytest.raises(ValueError, match="head"):
        models.build_model("standard", head="avg")
    with pytest.raises(ValueError, match="width"):
        models.build_model("standard", width=0)
    with pytest.raises(ValueError, match="input_shape"):
        summary(models.build_model("standard", (1, 8, 8)), (8, 8, 0))


def test_a_few_steps_reduce_the_loss_on_fixed_batch():
    model = models.build_model("separable_bn_relu", (1, 8, 8), rng=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 1, 8, 8)).astype(np.float32), rng.integers(0, 10, 32)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = ms.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
