"""A small standard CNN and its separable twins, for 28x28 (MNIST, Fashion-MNIST) and 8x8 (digits) images.

Same topology for every variant, only the 3x3 convs of the blocks change (the first layer stays a
full conv, as in MobileNet: with one input channel a depthwise conv has nothing to save):

    stem    Conv2d 3x3 (C_in -> c0) + BN + ReLU
    blockK  conv 3x3 (c_{K-1} -> c_K) + BN + ReLU,  then MaxPool2d(2) after the blocks marked 'pool'
    flatten     Flatten  (N, c_last·P·Q)           [head='gap': GlobalAvgPool2d  (N, c_last)]
    classifier  Linear(c_last·P·Q -> num_classes)

    28x28: c = 16 | 32 pool | 64 pool | 64      (28x28 -> 14x14 -> 7x7; head 64·7·7 -> 10)
     8x8:  c = 16 | 32 pool | 64                (8x8 -> 4x4; head 64·4·4 -> 10)

Why these sizes (measured on Fashion-MNIST, 5 epochs, Adam 2e-3, cosine, batch 128; the same weights
trained in torch as a fast proxy): with a global-average-pool head 'separable' stayed below 90% for
every width tried (88.0% for 16|32|64|128, 89.8% with lr 5e-3, 89.5% for 32|64|128|128 at 3x the
mult-adds); with the flatten head it reaches 90.9% (proxy) and 91.3% (`minisep train`, seed 0) at
1.3M mult-adds per image. The head costs parameters (31k of the 'separable' model's 40k) but almost
no mult-adds, and it is the same in every variant, so the convs are still compared like for like.

conv = Conv2d ('standard'), or SeparableConv2d with mid=None ('separable', Keras), mid='relu'
('separable_relu') or mid='bn_relu' ('separable_bn_relu', MobileNet). Convs followed by BatchNorm
have no bias (BN's shift does its job). ``width`` scales every channel count (MobileNet's α).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..nn import BatchNorm2d, Conv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU, SeparableConv2d, Sequential
from ..random import as_rng
from ..teach.summary import cost, summary, summary_rows  # noqa: F401  (re-exported: models.summary(model, shape))

MODEL_NAMES = ("standard", "separable", "separable_relu", "separable_bn_relu")
_MID = {"separable": None, "separable_relu": "relu", "separable_bn_relu": "bn_relu"}

# (stem channels, [(block channels, max-pool after it), ...]) per input size
CONFIG_28 = (16, [(32, True), (64, True), (64, False)])
CONFIG_8 = (16, [(32, True), (64, False)])


def config_for(input_shape: tuple) -> tuple:
    """CONFIG_28 for images of at least 16x16 (two 2x poolings), CONFIG_8 for 4x4 up to 15x15."""
    _, H, W = input_shape
    if min(H, W) >= 16:
        return CONFIG_28
    if min(H, W) >= 4:
        return CONFIG_8
    raise ValueError(f"build_model: images must be at least 4x4, got input_shape {tuple(input_shape)}")


class SmallCNN(Sequential):
    """stem -> block1 [-> pool1] -> block2 ... -> flatten (or gap) -> classifier, as the module docstring says.

    A Sequential with named stages, so state-dict keys ('block1.0.depthwise.weight') map 1:1 onto
    a torch.nn.Sequential(OrderedDict(...)) with the same names.
    """

    def __init__(self, variant: str = "separable", input_shape=(1, 28, 28), num_classes: int = 10,
                 rng=0, width: float = 1.0, dtype=np.float32, head: str = "flatten"):
        if variant not in MODEL_NAMES:
            raise ValueError(f"build_model: name must be one of {', '.join(MODEL_NAMES)}, got {variant!r}")
        input_shape = _check_input_shape(input_shape)
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"build_model: num_classes must be an int >= 1, got {num_classes!r}")
        if isinstance(width, bool) or not isinstance(width, (int, float)) or not width > 0:
            raise ValueError(f"build_model: width must be a number > 0, got {width!r}")
        if head not in ("flatten", "gap"):
            raise ValueError(f"build_model: head must be 'flatten' or 'gap', got {head!r}")
        rng = as_rng(rng, "build_model")
        stem, blocks = config_for(input_shape)
        npool = sum(pool for _, pool in blocks)

        def ch(c: int) -> int:
            return max(1, int(round(c * width)))

        def bn_relu(c: int) -> list:
            return [BatchNorm2d(c, dtype=dtype), ReLU()]

        c_in, c = input_shape[0], ch(stem)
        stages = [("stem", Sequential(Conv2d(c_in, c, 3, padding=1, bias=False, rng=rng, dtype=dtype), *bn_relu(c)))]
        for k, (c_out, pool) in enumerate(blocks, start=1):
            c_out = ch(c_out)
            if variant == "standard":
                conv = Conv2d(c, c_out, 3, padding=1, bias=False, rng=rng, dtype=dtype)
            else:
                conv = SeparableConv2d(c, c_out, 3, padding=1, bias=False, mid=_MID[variant], rng=rng, dtype=dtype)
            stages.append((f"block{k}", Sequential(conv, *bn_relu(c_out))))
            if pool:
                stages.append((f"pool{k}", MaxPool2d(2)))
            c = c_out
        H, W = input_shape[1] // 2 ** npool, input_shape[2] // 2 ** npool  # after the 2x2 max-pools
        if head == "gap":
            stages += [("gap", GlobalAvgPool2d()), ("classifier", Linear(c, num_classes, rng=rng, dtype=dtype))]
        else:
            stages += [("flatten", Flatten()), ("classifier", Linear(c * H * W, num_classes, rng=rng, dtype=dtype))]
        super().__init__(OrderedDict(stages))
        self.variant, self.input_shape, self.num_classes, self.width = variant, input_shape, int(num_classes), width
        self.head = head

    def extra_repr(self) -> str:
        return (f"{self.variant!r}, input_shape={self.input_shape}, num_classes={self.num_classes}, width={self.width}"
                + ("" if self.head == "flatten" else f", head={self.head!r}"))


def _check_input_shape(shape) -> tuple:
    try:
        dims = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(f"build_model: input_shape must be (C, H, W), got {shape!r}") from None
    if len(dims) != 3 or min(dims) < 1:
        raise ValueError(f"build_model: input_shape must be (C, H, W) with sizes >= 1, got {shape!r}")
    return dims


def build_model(name: str, input_shape=(1, 28, 28), num_classes: int = 10, rng=0, width: float = 1.0,
                dtype=np.float32, head: str = "flatten") -> SmallCNN:
    """The model ``name`` ('standard' | 'separable' | 'separable_relu' | 'separable_bn_relu') for images of
    ``input_shape`` (C, H, W). ``rng``: a Generator or an int seed (same seed, same weights).
    ``head``: 'flatten' (default) or 'gap' (global average pool, as MobileNet; fewer parameters)."""
    return SmallCNN(name, input_shape, num_classes, rng, width, dtype, head)
