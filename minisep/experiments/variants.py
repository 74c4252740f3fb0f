"""The models of the experiments: minisep.app.models' four, plus depth multipliers and BSConv-U.

    separable_m2, separable_m3, separable_m4   SeparableConv2d with depth multiplier m = 2, 3, 4 (rank <= m
                                               per channel; m = 3 is the rank test's twin of rank 3)
    bsconv_u                     pointwise THEN depthwise (Haase & Amthor 2020, BSConv-U), nothing between

The extra variants are the 'separable' SmallCNN with its block convs swapped; the four names of
app.models.MODEL_NAMES come from build_model unchanged (same weights for a seed).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..app import models

EXTRA = ("separable_m2", "separable_m3", "separable_m4", "bsconv_u")
VARIANTS = models.MODEL_NAMES + EXTRA


def _swap_conv(kind: str, old, rng) -> nn.Module:
    c, o = old.in_channels, old.out_channels
    if kind == "bsconv_u":
        return nn.Sequential(nn.PointwiseConv2d(c, o, bias=False, rng=rng),
                             nn.DepthwiseConv2d(o, o, 3, padding=1, bias=False, rng=rng))
    m = int(kind[-1])
    return nn.SeparableConv2d(c, o, 3, depth_multiplier=m, padding=1, bias=False, rng=rng)


def make_model(variant: str, input_shape, seed: int, width: float = 1.0) -> nn.Module:
    """The model ``variant`` for ``input_shape``; weights from ``seed`` (explicit, never the default generator)."""
    if variant not in VARIANTS:
        raise ValueError(f"make_model: variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    if variant in models.MODEL_NAMES:
        return models.build_model(variant, tuple(input_shape), 10, rng=np.random.default_rng(seed), width=width)
    model = models.build_model("separable", tuple(input_shape), 10, rng=np.random.default_rng(seed), width=width)
    rng = np.random.default_rng([seed, 7])
    for name, stage in model.named_children():
        if name.startswith("block"):
            setattr(stage, "0", _swap_conv(variant, stage._modules["0"], rng))
    return model
