"""The two torch modules that ``to_torch`` needs beyond ``torch.nn``: padding torch's layers cannot say.

torch's Conv2d and pools pad symmetrically (one amount for top and bottom), and refuse
``padding='same'`` with stride > 1. minisep also has asymmetric 4-tuple padding (pt, pb, pl, pr) and
Keras' 'same' for any stride, whose amounts depend on the input size:

    P = ceil(H / sh);  total = max((P - 1)·sh + (kh - 1)·rh + 1 - H, 0);  pt = total // 2;  pb = total - pt

So these layers pad explicitly in ``forward`` (``torch.nn.functional.pad``, the odd extra row/column at
the bottom/right) and then run torch's own conv or pool with padding 0. ``PaddedConv2d`` subclasses
``torch.nn.Conv2d``, so its state-dict keys ('weight', 'bias') are those of the minisep layer.

This module imports torch; minisep imports it only when a model needs it (torch is optional).
"""

from __future__ import annotations

import torch
import torch.nn.functional as tF

from ..kernels.geometry import same_padding


def pads_for(pad, hw, kernel_hw, stride, dilation) -> tuple[int, int, int, int]:
    """(pt, pb, pl, pr) for an input of size hw: ``pad`` itself, or Keras' 'same' amounts."""
    if pad != "same":
        return tuple(pad)
    return (same_padding(hw[0], kernel_hw[0], stride[0], dilation[0])
            + same_padding(hw[1], kernel_hw[1], stride[1], dilation[1]))


class PaddedConv2d(torch.nn.Conv2d):
    """torch.nn.Conv2d after an explicit zero pad: ``pad`` is 'same' (Keras' rule) or (pt, pb, pl, pr)."""

    def __init__(self, *args, pad, **kwargs):
        super().__init__(*args, padding=0, **kwargs)
        self.pad = pad if pad == "same" else tuple(int(v) for v in pad)

    def forward(self, x):
        pt, pb, pl, pr = pads_for(self.pad, x.shape[-2:], self.kernel_size, self.stride, self.dilation)
        return self._conv_forward(tF.pad(x, (pl, pr, pt, pb)), self.weight, self.bias)  # F.pad: last dim first

    def extra_repr(self) -> str:
        return super().extra_repr() + f", pad={self.pad!r}"


class PaddedPool2d(torch.nn.Module):
    """Max or average pool after an explicit pad (-inf for max, so padding never wins; zeros for average).

    Average with ``count_include_pad=False`` divides each window's sum by the number of real pixels in
    it: avg(pad(x)) / avg(pad(ones)).
    """

    def __init__(self, kind: str, kernel_size, stride, pad, count_include_pad: bool = True):
        super().__init__()
        self.kind, self.kernel_size, self.stride = kind, tuple(kernel_size), tuple(stride)
        self.pad = pad if pad == "same" else tuple(int(v) for v in pad)
        self.count_include_pad = bool(count_include_pad)

    def forward(self, x):
        pt, pb, pl, pr = pads_for(self.pad, x.shape[-2:], self.kernel_size, self.stride, (1, 1))
        spec = (pl, pr, pt, pb)
        if self.kind == "max":
            return tF.max_pool2d(tF.pad(x, spec, value=float("-inf")), self.kernel_size, self.stride)
        y = tF.avg_pool2d(tF.pad(x, spec), self.kernel_size, self.stride)
        if self.count_include_pad:
            return y
        ones = torch.ones((1, 1, *x.shape[-2:]), dtype=x.dtype, device=x.device)
        return y / tF.avg_pool2d(tF.pad(ones, spec), self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return (f"{self.kind}, kernel_size={self.kernel_size}, stride={self.stride}, pad={self.pad!r}"
                + ("" if self.count_include_pad or self.kind == "max" else ", count_include_pad=False"))
