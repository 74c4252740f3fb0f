"""PyTorch -> minisep: ``from_torch(torch_module)`` builds the equivalent minisep module, weights copied.

The inverse of ``to_torch`` (``minisep.interop.torch``), for the same set of layers:

    torch.nn.Sequential / ModuleList / ModuleDict   nn.Sequential / ModuleList / ModuleDict (same names)
    Conv2d(groups=1)                                nn.Conv2d
    Conv2d(C, C·m, groups=C)                        nn.DepthwiseConv2d(C, depth_multiplier=m)
    Conv2d(groups=g), 1 < g < C                     nn.Conv2d(groups=g) (when minisep's Conv2d has groups)
    Sequential(depthwise=Conv2d(groups=C, no bias), nn.SeparableConv2d (mid None, 'relu' or 'bn_relu'),
               [mid=ReLU | Sequential(BN, ReLU)],   as to_torch writes it
               pointwise=Conv2d 1x1)
    Sequential(AdaptiveAvgPool2d(1), Flatten())     nn.GlobalAvgPool2d
    BatchNorm2d, Linear, ReLU, ReLU6, MaxPool2d,    the minisep layer of the same name and arguments
    AvgPool2d, AdaptiveAvgPool2d, Flatten, Dropout,
    Identity
    PaddedConv2d / PaddedPool2d (to_torch's)        the conv / pool with that 'same' or 4-tuple padding

The minisep module gets the torch module's dtype (float32 or float64) and train/eval mode.

Limits: torch modules with their own ``forward`` (build the minisep model yourself and
``model.load_state_dict({k: v.numpy() for k, v in tmodel.state_dict().items()})``); padding_mode other
than 'zeros'; ceil_mode, pooling dilation, return_indices, divisor_override; in-place flags are ignored.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import nn


def _fail(tm, why: str):
    raise TypeError(f"from_torch: cannot translate torch {type(tm).__name__}: {why}")


def _padding(tm):
    """What minisep's layer takes for the padding of torch conv or pool ``tm``."""
    pad = getattr(tm, "pad", None)  # PaddedConv2d / PaddedPool2d
    if pad is not None:
        return pad
    p = tm.padding
    return p if isinstance(p, str) else (tuple(p) if isinstance(p, (tuple, list)) else int(p))


def _conv(tm, dt):
    if tm.padding_mode != "zeros":
        _fail(tm, f"padding_mode={tm.padding_mode!r} (minisep pads with zeros only)")
    C, O, g = tm.in_channels, tm.out_channels, tm.groups
    geo = dict(stride=tuple(tm.stride), padding=_padding(tm), dilation=tuple(tm.dilation), bias=tm.bias is not None,
               rng=0, dtype=dt)  # rng=0: the weights are overwritten, so leave the default generator alone
    if g == 1:
        return nn.Conv2d(C, O, tuple(tm.kernel_size), **geo)
    if g == C:
        return nn.DepthwiseConv2d(C, kernel_size=tuple(tm.kernel_size), depth_multiplier=O // C, **geo)
    try:
        return nn.Conv2d(C, O, tuple(tm.kernel_size), groups=g, **geo)
    except TypeError:
        _fail(tm, f"groups={g} (this minisep has no grouped Conv2d)")


def _separable(torch, tm, dt):
    """nn.SeparableConv2d when ``tm`` is a Sequential(depthwise, [mid], pointwise) as to_torch writes it."""
    kids = OrderedDict(tm.named_children())
    if list(kids) not in (["depthwise", "pointwise"], ["depthwise", "mid", "pointwise"]):
        return None
    d, p = kids["depthwise"], kids["pointwise"]
    tnn = torch.nn
    convs = isinstance(d, tnn.Conv2d) and isinstance(p, tnn.Conv2d)
    if not (convs and d.groups == d.in_channels and d.bias is None and d.padding_mode == "zeros"
            and tuple(p.kernel_size) == (1, 1) and p.groups == 1 and tuple(p.stride) == (1, 1)
            and _padding(p) in (0, (0, 0), "valid", "same", (0, 0, 0, 0)) and p.in_channels == d.out_channels):
        return None
    mid = kids.get("mid")
    if mid is None:
        kind = None
    elif type(mid) is tnn.ReLU:
        kind = "relu"
    elif (type(mid) is tnn.Sequential and len(mid) == 2 and type(mid[0]) is tnn.BatchNorm2d
          and type(mid[1]) is tnn.ReLU and list(dict(mid.named_children())) == ["0", "1"]):
        kind = "bn_relu"
    else:
        return None
    block = nn.SeparableConv2d(d.in_channels, p.out_channels, tuple(d.kernel_size), depth_multiplier=d.out_channels // d.in_channels,
                               stride=tuple(d.stride), padding=_padding(d), dilation=tuple(d.dilation),
                               bias=p.bias is not None, mid=kind, rng=0, dtype=dt)
    if kind == "bn_relu":
        block.mid = nn.Sequential(_layer(torch, mid[0], dt), nn.ReLU())  # BN with torch's eps/momentum
    return block


def _pool(tm, kind):
    if getattr(tm, "ceil_mode", False) or getattr(tm, "return_indices", False):
        _fail(tm, "ceil_mode / return_indices are not supported")
    if kind == "max" and tm.dilation not in (1, (1, 1)):
        _fail(tm, f"dilation={tm.dilation} (minisep pools have no dilation)")
    if getattr(tm, "divisor_override", None) is not None:
        _fail(tm, "divisor_override is not supported")
    if kind == "max":
        return nn.MaxPool2d(tm.kernel_size, tm.stride, _padding(tm))
    return nn.AvgPool2d(tm.kernel_size, tm.stride, _padding(tm), count_include_pad=tm.count_include_pad)


def _layer(torch, tm, dt):
    tnn = torch.nn
    from ._torch_layers import PaddedPool2d
    if isinstance(tm, tnn.Conv2d):
        return _conv(tm, dt)
    if isinstance(tm, tnn.BatchNorm2d):
        return nn.BatchNorm2d(tm.num_features, tm.eps, tm.momentum, tm.affine, tm.track_running_stats, dtype=dt)
    if isinstance(tm, tnn.Linear):
        return nn.Linear(tm.in_features, tm.out_features, bias=tm.bias is not None, rng=0, dtype=dt)
    if isinstance(tm, PaddedPool2d):
        return _pool_padded(tm)
    if isinstance(tm, tnn.MaxPool2d):
        return _pool(tm, "max")
    if isinstance(tm, tnn.AvgPool2d):
        return _pool(tm, "avg")
    if isinstance(tm, tnn.Flatten):
        return nn.Flatten(tm.start_dim) if tm.end_dim == -1 else nn.Flatten(tm.start_dim, tm.end_dim)
    if isinstance(tm, tnn.Dropout):
        return nn.Dropout(tm.p)
    for name in ("ReLU", "ReLU6", "Identity", "AdaptiveAvgPool2d"):
        cls = getattr(nn, name, None)
        if cls is not None and type(tm) is getattr(tnn, name):
            return cls(tm.output_size) if name == "AdaptiveAvgPool2d" else cls()
    return None


def _pool_padded(tm):
    if tm.kind == "max":
        return nn.MaxPool2d(tm.kernel_size, tm.stride, tm.pad)
    return nn.AvgPool2d(tm.kernel_size, tm.stride, tm.pad, count_include_pad=tm.count_include_pad)


def _is_global_pool(torch, tm) -> bool:
    kids = list(tm.children())
    return (len(kids) == 2 and type(kids[0]) is torch.nn.AdaptiveAvgPool2d and kids[0].output_size in (1, (1, 1))
            and type(kids[1]) is torch.nn.Flatten and kids[1].start_dim == 1 and kids[1].end_dim == -1)


def _build(torch, tm, dt):
    tnn = torch.nn
    if type(tm) is tnn.Sequential:
        sep = _separable(torch, tm, dt)
        if sep is not None:
            return sep
        if _is_global_pool(torch, tm):
            return nn.GlobalAvgPool2d()
        return nn.Sequential(OrderedDict((k, _build(torch, c, dt)) for k, c in tm.named_children()))
    for name in ("ModuleList", "ModuleDict"):
        cls = getattr(nn, name, None)
        if type(tm) is getattr(tnn, name) and cls is not None:
            kids = OrderedDict((k, _build(torch, c, dt)) for k, c in tm.named_children())
            return cls(list(kids.values())) if name == "ModuleList" else cls(kids)
    layer = _layer(torch, tm, dt)
    if layer is None:
        _fail(tm, "no minisep twin for this module (a module with its own forward cannot be translated: build "
                  "the minisep model yourself and load the torch state dict into it with load_state_dict)")
    return layer


def from_torch(torch_module):
    """The minisep module equivalent to ``torch_module``, with its weights, dtype and train/eval mode."""
    import torch
    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch: torch_module must be a torch.nn.Module, got {type(torch_module).__name__}")
    state = torch_module.state_dict()
    floats = {v.dtype for v in state.values() if v.is_floating_point()}
    if not floats <= {torch.float32, torch.float64} or len(floats) > 1:
        raise TypeError(f"from_torch: the torch module's tensors must be all float32 or all float64, "
                        f"got {sorted(str(f) for f in floats)}")
    dt = np.float64 if floats == {torch.float64} else np.float32
    model = _build(torch, torch_module, dt)
    model.load_state_dict(OrderedDict((k, v.detach().cpu().numpy()) for k, v in state.items()))
    return model.train(torch_module.training)
