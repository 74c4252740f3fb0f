"""minisep -> PyTorch: the torch twin of a minisep model, and copying weights into a torch model you wrote.

minisep's weight layouts are PyTorch's (Conv2d (O,C/groups,kh,kw); depthwise (C·m,1,kh,kw) = torch
``Conv2d(C, C·m, groups=C)``; pointwise (O,C,1,1); Linear (out,in)), and ``state_dict()`` lists the same
keys in the same order, so weights move 1:1 without renaming or transposing.

    to_torch(torch, model)              an untrained torch module with the same structure and keys
    torch_twin(torch, model)            the same, with model's weights, dtype and train/eval mode
    copy_state_to_torch(model, tmodel)  model's weights into a torch module you wrote (custom forward)

torch is never imported at this module's top level: the caller passes the ``torch`` module in.

What each layer becomes (the same child names, so the same state-dict keys):

    Sequential / ModuleList / ModuleDict  torch.nn.Sequential / ModuleList / ModuleDict
    Conv2d (groups g)                     torch.nn.Conv2d(groups=g)
    DepthwiseConv2d(C, m)                 torch.nn.Conv2d(C, C·m, groups=C)
    PointwiseConv2d                       torch.nn.Conv2d(kernel_size=1)
    SeparableConv2d                       torch.nn.Sequential(depthwise=Conv2d(groups=C, bias=False),
                                          [mid=...], pointwise=Conv2d 1x1 with the block's one bias)
    BatchNorm2d, Linear, ReLU, ReLU6,     the torch layer of the same name and arguments
    MaxPool2d, AvgPool2d, Flatten,
    Dropout, Identity, AdaptiveAvgPool2d
    GlobalAvgPool2d                       torch.nn.Sequential(AdaptiveAvgPool2d(1), Flatten())

Padding torch's layers cannot express: 'same' with stride > 1 (torch refuses it) and asymmetric
4-tuples (pt, pb, pl, pr). Those convs become ``PaddedConv2d`` (a torch.nn.Conv2d subclass that
zero-pads explicitly in forward, then convolves with padding 0; keys unchanged) and those pools
``PaddedPool2d``. 'same' amounts are computed per input, as minisep does, because with stride > 1 they
depend on the input size (Keras' rule: the odd extra row/column at the bottom/right).

Limits that remain:
- a Module subclass with its own ``forward`` cannot be translated (its forward is Python code): write
  the torch module yourself and use ``copy_state_to_torch``, or pass ``custom={MyBlock: build}`` with
  ``build(torch, block) -> torch module``;
- Dropout masks come from each framework's own generator, so train-mode outputs with p > 0 differ;
- PaddedConv2d / PaddedPool2d live in minisep.interop._torch_layers: a pickled whole torch model
  (``torch.save(model)``) needs minisep to load; a state dict does not;
- only float32 and float64, on the CPU (minisep has no GPU).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import nn
from ..kernels.geometry import pair


def _pair(v, name: str) -> tuple[int, int]:
    return pair(v, name, "to_torch")  # the one pair rule (kernels/geometry.py)


def torch_padding(padding, stride):
    """('plain', what torch.nn.Conv2d takes) or ('padded', 'same' | (pt, pb, pl, pr)) for PaddedConv2d."""
    if isinstance(padding, str):
        if padding.lower() == "valid":
            return "plain", 0
        return ("plain", "same") if _pair(stride, "stride") == (1, 1) else ("padded", "same")
    if isinstance(padding, (int, np.integer)):
        return "plain", int(padding)
    pads = tuple(int(v) for v in padding)
    if len(pads) == 2:
        return "plain", pads
    pt, pb, pl, pr = pads
    return ("plain", (pt, pl)) if pt == pb and pl == pr else ("padded", pads)


def _conv(torch, m, in_channels, out_channels, kernel_size, groups, bias):
    kind, pad = torch_padding(m.padding, m.stride)
    args = dict(stride=_pair(m.stride, "stride"), dilation=_pair(m.dilation, "dilation"), groups=groups, bias=bias)
    if kind == "plain":
        return torch.nn.Conv2d(in_channels, out_channels, kernel_size, padding=pad, **args)
    from ._torch_layers import PaddedConv2d
    return PaddedConv2d(in_channels, out_channels, kernel_size, pad=pad, **args)


def _pool(torch, m, kind):
    stride = m.kernel_size if m.stride is None else m.stride
    how, pad = torch_padding(m.padding, stride)
    include = getattr(m, "count_include_pad", True)
    if how == "plain" and pad != "same":
        if kind == "max":
            return torch.nn.MaxPool2d(m.kernel_size, stride, pad)
        return torch.nn.AvgPool2d(m.kernel_size, stride, pad, count_include_pad=include)
    from ._torch_layers import PaddedPool2d
    return PaddedPool2d(kind, _pair(m.kernel_size, "kernel_size"), _pair(stride, "stride"), pad, include)


def _children(torch, m, custom):
    return OrderedDict((name, to_torch(torch, c, custom=custom)) for name, c in m.named_children())


def _layer(torch, m):
    """The torch module of one leaf layer, or None when ``m`` is not a layer minisep knows."""
    tnn = torch.nn
    if isinstance(m, nn.Conv2d):
        return _conv(torch, m, m.in_channels, m.out_channels, m.kernel_size, getattr(m, "groups", 1),
                     m.bias is not None)
    if isinstance(m, nn.DepthwiseConv2d):
        return _conv(torch, m, m.in_channels, m.out_channels, m.kernel_size, m.in_channels, m.bias is not None)
    if isinstance(m, nn.PointwiseConv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, 1, bias=m.bias is not None)
    if isinstance(m, nn.BatchNorm2d):
        return tnn.BatchNorm2d(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
    if isinstance(m, nn.Linear):
        return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.MaxPool2d):
        return _pool(torch, m, "max")
    if isinstance(m, nn.AvgPool2d):
        return _pool(torch, m, "avg")
    if isinstance(m, nn.Flatten):
        return tnn.Flatten(m.start_dim, getattr(m, "end_dim", -1))
    if isinstance(m, nn.Dropout):
        return tnn.Dropout(m.p)
    if isinstance(m, nn.GlobalAvgPool2d):
        return tnn.Sequential(tnn.AdaptiveAvgPool2d(1), tnn.Flatten())
    simple = {"ReLU": "ReLU", "ReLU6": "ReLU6", "Identity": "Identity"}  # ReLU6/Identity: when nn has them
    for name, tname in simple.items():
        cls = getattr(nn, name, None)
        if cls is not None and type(m) is cls:
            return getattr(tnn, tname)()
    adaptive = getattr(nn, "AdaptiveAvgPool2d", None)
    if adaptive is not None and isinstance(m, adaptive):
        return tnn.AdaptiveAvgPool2d(m.output_size)
    return None


def to_torch(torch, m, *, custom=None):
    """An untrained torch module with minisep module ``m``'s structure (and so its state-dict keys).

    ``custom``: {minisep class: build(torch, module) -> torch module} for your own Module subclasses
    (checked first, so it can also override a built-in mapping). See the module docstring for the
    mapping and its limits; ``torch_twin`` also copies the weights.
    """
    if not isinstance(m, nn.Module):
        raise TypeError(f"to_torch: m must be a minisep nn.Module, got {type(m).__name__}")
    for cls, build in (custom or {}).items():
        if isinstance(m, cls):
            return build(torch, m)
    tnn = torch.nn
    if isinstance(m, nn.SeparableConv2d):
        parts = [("depthwise", to_torch(torch, m.depthwise, custom=custom))]
        parts += [("mid", to_torch(torch, m.mid, custom=custom))] if m.mid_kind else []
        return tnn.Sequential(OrderedDict(parts + [("pointwise", to_torch(torch, m.pointwise, custom=custom))]))
    if isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward:
        return tnn.Sequential(_children(torch, m, custom))
    for name in ("ModuleList", "ModuleDict"):  # when minisep.nn has them
        cls = getattr(nn, name, None)
        if cls is not None and type(m) is cls:
            kids = _children(torch, m, custom)
            return tnn.ModuleList(list(kids.values())) if name == "ModuleList" else tnn.ModuleDict(kids)
    layer = _layer(torch, m)
    if layer is not None:
        return layer
    raise TypeError(
        f"to_torch: no torch twin for minisep module {type(m).__name__}: a Module subclass with its own "
        f"forward cannot be translated. Write the torch module yourself and copy the weights with "
        f"minisep.interop.torch.copy_state_to_torch(model, torch_model), or pass "
        f"custom={{{type(m).__name__}: build}} with build(torch, module) -> a torch module")


def _torch_state(torch, model):
    return OrderedDict((k, torch.from_numpy(np.array(v, copy=True))) for k, v in model.state_dict().items())


def torch_twin(torch, model, *, custom=None):
    """A torch model with ``model``'s weights loaded 1:1, in the same dtype and train/eval mode."""
    t = to_torch(torch, model, custom=custom)
    state = _torch_state(torch, model)
    floats = [v for v in state.values() if v.is_floating_point()]
    if floats:
        t = t.to(floats[0].dtype)
    t.load_state_dict(state, strict=True)
    return t.train(model.training)


def state_mismatch(ours: dict, theirs: dict) -> list[str]:
    """Every difference between two {name: shape} tables: missing, unexpected and shape-mismatched keys."""
    problems = [f"missing in the torch module: {k!r} {tuple(s)}" for k, s in ours.items() if k not in theirs]
    problems += [f"unexpected (only in the torch module): {k!r} {tuple(s)}" for k, s in theirs.items()
                 if k not in ours]
    problems += [f"shape mismatch: {k!r} is {tuple(s)} in minisep, {tuple(theirs[k])} in torch"
                 for k, s in ours.items() if k in theirs and tuple(s) != tuple(theirs[k])]
    return problems


def copy_state_to_torch(model, torch_module) -> None:
    """Copy minisep ``model``'s parameters and buffers into ``torch_module`` (one you wrote), by name and shape.

    Nothing is written unless every key matches: one ValueError lists all missing, unexpected and
    shape-mismatched keys. Values are cast to each torch tensor's dtype. Use it when your model has a
    custom forward; name the torch sub-modules as the minisep ones (``self.conv1 = ...`` in both).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"copy_state_to_torch: model must be a minisep nn.Module, got {type(model).__name__}")
    if not hasattr(torch_module, "state_dict") or not hasattr(torch_module, "load_state_dict"):
        raise TypeError(f"copy_state_to_torch: torch_module must be a torch.nn.Module, "
                        f"got {type(torch_module).__name__}")
    ours = model.state_dict()
    theirs = torch_module.state_dict()
    problems = state_mismatch({k: v.shape for k, v in ours.items()}, {k: v.shape for k, v in theirs.items()})
    if problems:
        raise ValueError(f"copy_state_to_torch: the state of minisep {type(model).__name__} does not fit torch "
                         f"{type(torch_module).__name__} ({len(problems)} problem(s)):\n  " + "\n  ".join(problems))
    import torch
    with torch.no_grad():
        for key, target in theirs.items():  # state_dict() tensors share storage with the module
            target.copy_(torch.from_numpy(np.array(ours[key], copy=True)).to(target.dtype))


from .torch_from import from_torch  # noqa: E402  (the inverse direction, re-exported here)
