"""Layers and models' building blocks: ``Module``, ``Parameter`` and the layers, in PyTorch weight layouts.

    from minisep import nn
    from minisep.nn import functional as F
    block = nn.SeparableConv2d(32, 64, 3, padding=1, mid="bn_relu", rng=0)
"""

from . import functional, init
from .layers import AvgPool2d, BatchNorm2d, Dropout, Flatten, GlobalAvgPool2d, Linear, MaxPool2d, ReLU
from .layers_conv import Conv2d, DepthwiseConv2d, PointwiseConv2d, SeparableConv2d
from .module import Module, Parameter, Sequential

__all__ = [
    "Module", "Parameter", "Sequential", "Linear", "Conv2d", "DepthwiseConv2d", "PointwiseConv2d",
    "SeparableConv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "Flatten",
    "Dropout", "functional", "init",
]
