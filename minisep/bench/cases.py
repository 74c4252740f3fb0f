"""The convolution cases of ``minisep bench``: shapes, and one callable per implementation and pass.

A pass is "fwd" (forward only) or "fwd+bwd" (forward, backward_input and backward_weight: what a
training step runs for one layer). Implementations: minisep's jitted kernels, their numpy
*_reference twins (einsum over sliding windows, one thread), and torch (``conv2d``; fwd+bwd by
autograd with requires_grad on x and w, so torch also computes both gradients).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import kernels as K


@dataclass(frozen=True)
class KernelCase:
    """One convolution: kind 'depthwise' (O = C, m = 1), 'pointwise' (k = 1) or 'conv'; NCHW, H = W."""

    label: str
    kind: str
    N: int
    C: int
    O: int
    H: int
    k: int
    dtype: str = "float32"
    padding: object = "same"
    target_fwd: float | None = None  # ratio minisep/torch, forward
    target_fb: float | None = None  # ratio minisep/torch, forward + backward
    target_floor: float | None = None  # forward time / bandwidth-floor time

    def geometry(self) -> K.ConvGeometry:
        return K.conv_geometry(self.kind, (self.H, self.H), self.k, 1, self.padding, 1)

    def weight_shape(self) -> tuple:
        return (self.C, 1, self.k, self.k) if self.kind == "depthwise" else (self.O, self.C, self.k, self.k)

    def mult_adds(self) -> int:
        """Forward multiply-adds; backward_input and backward_weight cost the same each."""
        P, Q = self.geometry().out_hw
        per_output = self.k * self.k * (1 if self.kind == "depthwise" else self.C)
        return self.N * self.O * P * Q * per_output

    def bytes_moved(self) -> int:
        """Bytes of x + y + w: what the forward pass must read and write at least once."""
        P, Q = self.geometry().out_hw
        size = np.dtype(self.dtype).itemsize
        return size * (self.N * self.C * self.H * self.H + self.N * self.O * P * Q + int(np.prod(self.weight_shape())))


# The cases the targets are set on (docs/performance.md), float32 unless said. Targets are ratios
# minisep/torch (lower is better) from the isolated harness: each kernel one by one <= PASS_TARGET
# of its kind; float64 depthwise fwd+bwd <= 0.25; depthwise forward <= 1.5x the bandwidth floor.
TARGET_CASES = (
    KernelCase("depthwise 64,32,28,3", "depthwise", 64, 32, 32, 28, 3, target_floor=1.5),
    KernelCase("depthwise 128,128,14,3", "depthwise", 128, 128, 128, 14, 3, target_floor=1.5),
    KernelCase("depthwise 64,32,28,5", "depthwise", 64, 32, 32, 28, 5, target_floor=1.5),
    KernelCase("depthwise 64,32,28,3 f64", "depthwise", 64, 32, 32, 28, 3, "float64", target_fb=0.25),
    KernelCase("pointwise 128,128->128,14", "pointwise", 128, 128, 128, 14, 1, padding=0),
    KernelCase("standard 3x3 64,32->32,28", "conv", 64, 32, 32, 28, 3),
)
PASS_TARGET = {"depthwise": 0.8, "pointwise": 1.0, "conv": 1.0}  # each of fwd, bwd_input, bwd_weight
QUICK_LABELS = ("depthwise 64,32,28,3", "pointwise 128,128->128,14", "standard 3x3 64,32->32,28")


def model_cases(batch: int = 128, input_shape=(1, 28, 28)) -> list[KernelCase]:
    """The conv layers of the 'separable' and 'standard' MNIST CNNs at ``batch``, found by running
    each model once with forward hooks (so the list follows minisep.app.models if it changes)."""
    from .. import nn
    from ..app import models
    from ..autograd import no_grad

    kinds = {nn.Conv2d: "conv", nn.DepthwiseConv2d: "depthwise", nn.PointwiseConv2d: "pointwise"}
    cases, seen = [], set()
    for variant in ("separable", "standard"):
        model = models.build_model(variant, input_shape=input_shape)
        found = []
        for name, mod in model.named_modules():
            if type(mod) in kinds:
                plain = (getattr(mod, "stride", 1) in (1, (1, 1)) and getattr(mod, "dilation", 1) in (1, (1, 1))
                         and getattr(mod, "depth_multiplier", 1) == 1)
                if not plain:
                    continue  # the benchmark's cases are stride 1, dilation 1, m = 1
                mod.register_forward_hook(lambda m, inputs, y, name=name: found.append((name, m, inputs[0].shape)))
        with no_grad():
            model.eval()(np.zeros((1, *input_shape), np.float32))
        for name, mod, (_, C, H, _) in found:
            kind = kinds[type(mod)]
            k = 1 if kind == "pointwise" else mod.kernel_size[0]
            pad = 0 if kind == "pointwise" else mod.padding
            key = (kind, C, mod.out_channels, H, k, str(pad))
            if key not in seen:
                seen.add(key)
                cases.append(KernelCase(f"{variant} {name} ({kind} {C}->{mod.out_channels},{H})", kind, batch, C,
                                        mod.out_channels, H, k, padding=pad))
    return cases


def tiny_case(kind: str = "depthwise") -> KernelCase:
    """A shape small enough for a smoke test (milliseconds per call)."""
    return replace(TARGET_CASES[0], label=f"tiny {kind} 2,4,8,3", kind=kind, N=2, C=4, O=4, H=8,
                   k=1 if kind == "pointwise" else 3, padding=0 if kind == "pointwise" else "same")


class CaseData:
    """Random x, w, gy of a case (seeded), and its geometry."""

    def __init__(self, case: KernelCase, seed: int = 0):
        rng = np.random.default_rng(seed)
        dt = np.dtype(case.dtype)
        self.case, self.g = case, case.geometry()
        P, Q = self.g.out_hw
        self.x = rng.standard_normal((case.N, case.C, case.H, case.H)).astype(dt)
        self.w = rng.standard_normal(case.weight_shape()).astype(dt)
        self.gy = rng.standard_normal((case.N, case.O, P, Q)).astype(dt)


def _kernels(kind: str, reference: bool):
    """(forward, backward_input, backward_weight), each called as f(a, b, g)."""
    suffix = "_reference" if reference else ""
    if kind == "pointwise":
        f, bi, bw = (getattr(K, f"pointwise_{p}{suffix}") for p in ("forward", "backward_input", "backward_weight"))
        return (lambda x, w, g: f(x, w)), (lambda gy, w, g: bi(gy, w)), (lambda x, gy, g: bw(x, gy))
    prefix = "depthwise" if kind == "depthwise" else "conv2d"
    return tuple(getattr(K, f"{prefix}_{p}{suffix}") for p in ("forward", "backward_input", "backward_weight"))


def numpy_passes(d: CaseData, reference: bool = False) -> dict:
    """{'fwd': f, 'fwd+bwd': f}: each call returns (y,) or (y, gx, gw)."""
    fwd, bin_, bw = _kernels(d.case.kind, reference)
    x, w, gy, g = d.x, d.w, d.gy, d.g
    return {"fwd": lambda: (fwd(x, w, g),),
            "fwd+bwd": lambda: (fwd(x, w, g), bin_(gy, w, g), bw(x, gy, g))}


SPLIT = ("forward", "backward_input", "backward_weight")


def split_passes(d: CaseData) -> dict:
    """minisep's three kernels one by one: {'forward': f, 'backward_input': f, 'backward_weight': f}."""
    fwd, bin_, bw = _kernels(d.case.kind, False)
    x, w, gy, g = d.x, d.w, d.gy, d.g
    return dict(zip(SPLIT, (lambda: fwd(x, w, g), lambda: bin_(gy, w, g), lambda: bw(x, gy, g))))


def torch_split_passes(torch, d: CaseData) -> dict:
    """torch's three kernels one by one (aten.convolution_backward with one gradient asked for);
    {} when the padding is not symmetric (aten takes one padding per dimension)."""
    pt, pb, pl, pr = d.g.padding
    if (pt, pl) != (pb, pr):
        return {}
    aten, groups = torch.ops.aten, d.case.C if d.case.kind == "depthwise" else 1
    xt, wt, gyt = (torch.from_numpy(a.copy()) for a in (d.x, d.w, d.gy))
    geo = ([1, 1], [pt, pl], [1, 1], False, [0, 0], groups)

    def forward():
        with torch.no_grad():
            return aten.convolution(xt, wt, None, *geo)

    return {"forward": forward,
            "backward_input": lambda: aten.convolution_backward(gyt, xt, wt, None, *geo, [True, False, False])[0],
            "backward_weight": lambda: aten.convolution_backward(gyt, xt, wt, None, *geo, [False, True, False])[1]}


def torch_passes(torch, d: CaseData) -> dict:
    """The same two passes in torch, float and threads as set by the caller; fwd runs under no_grad."""
    F = torch.nn.functional
    pt, pb, pl, pr = d.g.padding
    groups = d.case.C if d.case.kind == "depthwise" else 1
    xt, wt = torch.from_numpy(d.x.copy()), torch.from_numpy(d.w.copy())
    xg, wg = xt.clone().requires_grad_(), wt.clone().requires_grad_()
    gyt = torch.from_numpy(d.gy.copy())

    def conv(x, w):
        if (pt, pl) == (pb, pr):
            return F.conv2d(x, w, padding=(pt, pl), groups=groups)
        return F.conv2d(F.pad(x, (pl, pr, pt, pb)), w, groups=groups)

    def fwd():
        with torch.no_grad():
            return (conv(xt, wt),)

    def fwd_bwd():
        xg.grad = wg.grad = None
        y = conv(xg, wg)
        y.backward(gyt)
        return y.detach(), xg.grad, wg.grad

    return {"fwd": fwd, "fwd+bwd": fwd_bwd}


def max_rel_error(ours, theirs) -> float:
    """max |a - b| / max |b| over the outputs of one pass (y, gx, gw), each scaled by its own size."""
    worst = 0.0
    for a, b in zip(ours, theirs):
        b = np.asarray(b)
        worst = max(worst, float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30)))
    return worst
