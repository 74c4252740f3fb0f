"""Layers and models' building blocks: ``Module``, ``Parameter`` and the layers, in PyTorch weight layouts.

    from minisep import nn
    from minisep.nn import functional as F
    block = nn.SeparableConv2d(32, 64, 3, padding=1, mid="bn_relu", rng=0)

Layers built without ``rng=`` draw their own stream from minisep's default generator
(``minisep.manual_seed(s)``), as torch's.
"""

from . import functional, init
from .layers import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, CrossEntropyLoss, Dropout, Flatten, GlobalAvgPool2d,
                     Identity, Linear, MaxPool2d, MSELoss, NLLLoss, ReLU, ReLU6)
from .layers_conv import Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d
from .module import Module, ModuleDict, ModuleList, Parameter, Sequential

__all__ = [
    "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Linear", "Conv2d",
    "DepthwiseConv2d", "PointwiseConv2d", "SeparableConv2d", "BatchNorm2d", "ReLU", "ReLU6", "MaxPool2d",
    "AvgPool2d", "AdaptiveAvgPool2d", "GlobalAvgPool2d", "Flatten", "Dropout", "CrossEntropyLoss", "NLLLoss",
    "MSELoss", "functional", "init",
]
