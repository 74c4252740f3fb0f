"""Build the PyTorch twin of a minisep model (same structure, so the same state-dict keys).

minisep's weight layouts are PyTorch's (OIHW; depthwise (C·m,1,kh,kw); pointwise (O,C,1,1)), so
``twin.load_state_dict`` takes minisep's ``state_dict()`` 1:1. Used by the torch reference tests and
the benchmarks. torch is never imported here: the caller passes the module in.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import nn


def to_torch(torch, m):
    """An untrained torch module with minisep module ``m``'s structure (and so its state-dict keys)."""
    tnn = torch.nn
    if isinstance(m, nn.SeparableConv2d):
        parts = [("depthwise", to_torch(torch, m.depthwise))]
        parts += [("mid", to_torch(torch, m.mid))] if m.mid_kind else []
        return tnn.Sequential(OrderedDict(parts + [("pointwise", to_torch(torch, m.pointwise))]))
    if isinstance(m, nn.Sequential):
        return tnn.Sequential(OrderedDict((name, to_torch(torch, c)) for name, c in m.named_children()))
    if isinstance(m, nn.Conv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation,
                          bias=m.bias is not None)
    if isinstance(m, nn.DepthwiseConv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation,
                          groups=m.in_channels, bias=m.bias is not None)
    if isinstance(m, nn.PointwiseConv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, 1, bias=m.bias is not None)
    if isinstance(m, nn.BatchNorm2d):
        return tnn.BatchNorm2d(m.num_features, m.eps, m.momentum, m.affine)
    if isinstance(m, nn.Linear):
        return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.ReLU):
        return tnn.ReLU()
    if isinstance(m, nn.MaxPool2d):
        return tnn.MaxPool2d(m.kernel_size, m.stride, m.padding)
    if isinstance(m, nn.Flatten):
        return tnn.Flatten(m.start_dim)
    if isinstance(m, nn.GlobalAvgPool2d):
        return tnn.Sequential(tnn.AdaptiveAvgPool2d(1), tnn.Flatten())
    raise TypeError(f"to_torch: no torch twin for minisep module {type(m).__name__}")


def torch_twin(torch, model):
    """A torch model with ``model``'s weights loaded 1:1, in the same dtype and train/eval mode."""
    t = to_torch(torch, model)
    state = {k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()}
    first = next(iter(state.values()), None)
    if first is not None:
        t = t.to(first.dtype)
    t.load_state_dict(state, strict=True)
    return t.train(model.training)
