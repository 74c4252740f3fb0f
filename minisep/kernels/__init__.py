"""Numba kernels of minisep: pure functions of ndarrays, NCHW, each with a *_reference twin.

Public entry points validate their arguments (clear ValueError/TypeError) and then run jitted code;
`conv_geometry` / `pool_geometry` turn stride, padding ('same', 'valid', ints, pairs) and dilation
into a `ConvGeometry` that every spatial kernel takes.

One file per op (depthwise.py, pointwise.py, conv.py, grouped_conv.py, pool.py, activation.py,
batchnorm.py, bias.py): its formula, fast kernel, loop twin (*_loops) and reference (*_reference).
checks.py and geometry.py validate; threads.py runs jobs on threads; canvas/ holds the wide-canvas
machinery behind the fast convolutions (a first reader can skip it).
"""
from .activation import relu_backward, relu_backward_reference, relu_forward, relu_forward_reference
from .batchnorm import (bn_backward, bn_backward_reference, bn_forward, bn_forward_reference, bn_stats,
                        bn_stats_reference)
from .bias import bias_backward, bias_backward_reference
from .conv import (conv2d_backward_input, conv2d_backward_input_reference, conv2d_backward_weight,
                   conv2d_backward_weight_reference, conv2d_forward, conv2d_forward_reference)
from .depthwise import (depthwise_backward_input, depthwise_backward_input_reference,
                        depthwise_backward_weight, depthwise_backward_weight_reference,
                        depthwise_forward, depthwise_forward_reference)
from .geometry import ConvGeometry, conv_geometry, pair, pool_geometry
from .grouped_conv import (grouped_conv2d_backward_input, grouped_conv2d_backward_input_loops,
                           grouped_conv2d_backward_input_reference, grouped_conv2d_backward_weight,
                           grouped_conv2d_backward_weight_loops, grouped_conv2d_backward_weight_reference,
                           grouped_conv2d_forward, grouped_conv2d_forward_loops, grouped_conv2d_forward_reference)
from .pointwise import (pointwise_backward_input, pointwise_backward_input_reference,
                        pointwise_backward_weight, pointwise_backward_weight_reference,
                        pointwise_forward, pointwise_forward_reference)
from .pool import (avg_pool2d_backward, avg_pool2d_backward_reference, avg_pool2d_forward,
                   avg_pool2d_forward_reference, global_avg_pool2d_backward,
                   global_avg_pool2d_backward_reference, global_avg_pool2d_forward,
                   global_avg_pool2d_forward_reference, max_pool2d_backward,
                   max_pool2d_backward_reference, max_pool2d_forward, max_pool2d_forward_reference)

__all__ = [
    "ConvGeometry", "conv_geometry", "pair", "pool_geometry",
    "avg_pool2d_backward", "avg_pool2d_backward_reference", "avg_pool2d_forward", "avg_pool2d_forward_reference",
    "bias_backward", "bias_backward_reference",
    "bn_backward", "bn_backward_reference", "bn_forward", "bn_forward_reference", "bn_stats", "bn_stats_reference",
    "conv2d_backward_input", "conv2d_backward_input_reference", "conv2d_backward_weight",
    "conv2d_backward_weight_reference", "conv2d_forward", "conv2d_forward_reference",
    "depthwise_backward_input", "depthwise_backward_input_reference", "depthwise_backward_weight",
    "depthwise_backward_weight_reference", "depthwise_forward", "depthwise_forward_reference",
    "global_avg_pool2d_backward", "global_avg_pool2d_backward_reference", "global_avg_pool2d_forward",
    "global_avg_pool2d_forward_reference",
    "grouped_conv2d_backward_input", "grouped_conv2d_backward_input_loops", "grouped_conv2d_backward_input_reference",
    "grouped_conv2d_backward_weight", "grouped_conv2d_backward_weight_loops",
    "grouped_conv2d_backward_weight_reference", "grouped_conv2d_forward", "grouped_conv2d_forward_loops",
    "grouped_conv2d_forward_reference",
    "max_pool2d_backward", "max_pool2d_backward_reference", "max_pool2d_forward", "max_pool2d_forward_reference",
    "pointwise_backward_input", "pointwise_backward_input_reference", "pointwise_backward_weight",
    "pointwise_backward_weight_reference", "pointwise_forward", "pointwise_forward_reference",
    "relu_backward", "relu_backward_reference", "relu_forward", "relu_forward_reference",
]
