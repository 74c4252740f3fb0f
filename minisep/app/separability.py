"""How separable is a trained conv layer? Its nearest separable layer, and the statistics around it.

A depthwise-separable layer with depth multiplier m and nothing between its halves (Keras) equals the
standard conv

    W[o,c,i,j] = Σ_k P[o,c·m+k]·D[c·m+k,i,j],   k = 0..m-1,

so every input channel's slice W_c = W[:,c,:,:], read as an O×(kh·kw) matrix, has rank ≤ m.

**Projection** (Eckart–Young, Frobenius norm). With the SVD W_c = Σ_k s_{c,k}·u_{c,k}·v_{c,k}ᵀ
(s sorted, largest first), the best rank-m approximation keeps the top m terms:

    D[c·m+k] = v_{c,k} reshaped to kh×kw,     P[o, c·m+k] = s_{c,k}·u_{c,k}[o],     k < m,

and ‖W − Ŵ‖²_F = Σ_c Σ_{k≥m} s_{c,k}², the energy of the discarded singular values. The slices share
no parameter, so this is the nearest separable layer to W in weight space (not necessarily the one
that changes the network's function least: the experiments measure that). Where m > min(O, kh·kw),
the extra filters are zero. The bias goes to the pointwise half, as Keras.

**Energy shares**: ``slice_energy(w)[c, k] = s_{c,k}² / Σ_k s_{c,k}²``; their cumulative sums, averaged
over c, are the "top-1, top-2, ..." columns of the spectra in docs/when-to-use-separable-conv.md.

**Activation statistics** of a layer's input a (N,C,H,W): the spatial autocorrelation at lag L,
the cross-channel correlation and the effective rank of the channel covariance (``activation_stats``).

**BatchNorm recalibration** after a swap: ``recalibrate_bn`` (the cumulative average of torch's
``momentum=None``, weighted by batch size; what ``torch.optim.swa_utils.update_bn`` does).
"""

from __future__ import annotations

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor


def _weight(w, where: str) -> np.ndarray:
    w = np.asarray(getattr(w, "data", w))
    if w.ndim != 4 or not np.issubdtype(w.dtype, np.floating):
        raise ValueError(f"{where}: w must be a float (O, C, kh, kw) array, got {w.dtype} of shape {w.shape}")
    return w


def _rank(m, where: str, name: str = "m (the depth multiplier)") -> int:
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 1:
        raise ValueError(f"{where}: {name} must be an int >= 1, got {m!r}")
    return int(m)


def _slices(w: np.ndarray) -> np.ndarray:
    O, C, kh, kw = w.shape
    return w.transpose(1, 0, 2, 3).reshape(C, O, kh * kw).astype(np.float64)  # (O,C,kh,kw) -> (C, O, kh·kw)


def slice_energy(w) -> np.ndarray:
    """(C, min(O, kh·kw)) fractions s_{c,k}² / Σ_k s_{c,k}² of each input channel's slice W[:,c,:,:] as an
    O×(kh·kw) matrix, largest first (an all-zero slice gives zeros)."""
    s2 = np.linalg.svd(_slices(_weight(w, "slice_energy")), compute_uv=False) ** 2  # (C, min(O, kh·kw))
    total = s2.sum(axis=1, keepdims=True)
    return np.divide(s2, total, out=np.zeros_like(s2), where=total > 0)


def top_energy(w, M: int) -> list[float]:
    """[share of the top 1, top 2, ..., top M singular values], each the mean over c of Σ_{k<r} slice_energy[c, k]
    (1.0 past min(O, kh·kw): all of the energy)."""
    M = _rank(M, "top_energy", "M")
    cum = np.cumsum(slice_energy(w), axis=1).mean(axis=0)
    return [float(cum[min(r, len(cum)) - 1]) for r in range(1, M + 1)]


def separable_factors(w, m: int) -> tuple[np.ndarray, np.ndarray]:
    """(D (C·m,1,kh,kw), P (O,C·m,1,1)) of the best rank-m approximation of w (O,C,kh,kw), as the module
    docstring derives: D[c·m+k] = v_{c,k}, P[o,c·m+k] = s_{c,k}·u_{c,k}[o]; in w's dtype."""
    w, m = _weight(w, "separable_factors"), _rank(m, "separable_factors")
    O, C, kh, kw = w.shape
    u, s, vt = np.linalg.svd(_slices(w), full_matrices=False)  # (C,O,r) (C,r) (C,r,kh·kw), r = min(O, kh·kw)
    keep = min(m, s.shape[1])
    D = np.zeros((C, m, kh * kw))
    P = np.zeros((O, C, m))
    D[:, :keep] = vt[:, :keep]                                         # D[c,k,:] = v_{c,k}
    P[:, :, :keep] = (u[:, :, :keep] * s[:, None, :keep]).transpose(1, 0, 2)  # P[o,c,k] = s_{c,k}·u_{c,k}[o]
    return (D.reshape(C * m, 1, kh, kw).astype(w.dtype), P.reshape(O, C * m, 1, 1).astype(w.dtype))


def discarded_energy(w, m: int) -> float:
    """Σ_c Σ_{k≥m} s_{c,k}²: the squared Frobenius error ‖W − Ŵ‖²_F of the rank-m projection."""
    s = np.linalg.svd(_slices(_weight(w, "discarded_energy")), compute_uv=False)
    return float((s[:, _rank(m, "discarded_energy"):] ** 2).sum())


def conv_weight(layer) -> np.ndarray:
    """The standard-conv weight W (O,C,kh,kw) of a Conv2d (groups=1) or a SeparableConv2d with mid=None."""
    if isinstance(layer, nn.SeparableConv2d):
        return layer.equivalent_conv_weight()  # raises for mid='relu'/'bn_relu' (not linear)
    if isinstance(layer, nn.Conv2d) and layer.groups == 1:
        return layer.weight.data
    raise TypeError(f"conv_weight: layer must be an nn.Conv2d with groups=1 or an nn.SeparableConv2d, "
                    f"got {type(layer).__name__}{' with groups=%d' % layer.groups if isinstance(layer, nn.Conv2d) else ''}")


def project_layer(layer, m: int) -> nn.SeparableConv2d:
    """The SeparableConv2d (depth multiplier m, same stride/padding/dilation/bias/dtype) nearest to ``layer``."""
    w = conv_weight(layer)
    D, P = separable_factors(w, m)
    O, C, kh, kw = w.shape
    sep = nn.SeparableConv2d(C, O, (kh, kw), layer.stride, layer.padding, layer.dilation, bias=layer.bias is not None,
                             depth_multiplier=m, rng=0, dtype=w.dtype)
    sep.depthwise.weight.data[...] = D
    sep.pointwise.weight.data[...] = P
    if layer.bias is not None:
        sep.pointwise.bias.data[...] = layer.bias.data
    return sep


def get_module(model, name: str):
    """The sub-module with dotted ``name`` ('block1.0'); ValueError naming it when there is none."""
    m = model
    for part in name.split("."):
        if part not in m._modules:
            raise ValueError(f"get_module: {type(model).__name__} has no sub-module {name!r}")
        m = m._modules[part]
    return m


def swap_module(model, name: str, new) -> None:
    """Put ``new`` where the sub-module with dotted ``name`` ('block1.0') is."""
    parent, _, last = name.rpartition(".")
    get_module(model, name)  # exists
    (get_module(model, parent) if parent else model).add_module(last, new)


def recalibrate_bn(model, x, batch_size: int = 500):
    """Re-estimate every BatchNorm2d's running mean and variance on ``x`` (N,C,H,W), then ``model.eval()``.

    Each BN is reset (mean 0, var 1, no batch seen), then the data runs through the model in train mode
    without a graph, with momentum f_t = N_t / (N_1 + ... + N_t) for batch t of N_t images, so

        running_mean = Σ_t N_t·μ_t / Σ_t N_t = the mean of the layer's input over all of x,

    and running_var the same average of the batches' unbiased variances. For equal batches f_t = 1/t:
    torch's momentum=None. Each BN's momentum is put back afterwards. Returns ``model``."""
    x = np.asarray(x)
    if x.ndim != 4 or len(x) == 0:
        raise ValueError(f"recalibrate_bn: x must be a non-empty (N, C, H, W) array, got shape {x.shape}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"recalibrate_bn: batch_size must be an int >= 1, got {batch_size!r}")
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d) and m.track_running_stats]
    saved = [bn.momentum for bn in bns]
    for bn in bns:
        bn.running_mean[...] = 0.0
        bn.running_var[...] = 1.0
        bn.num_batches_tracked[...] = 0
    model.train()
    seen = 0
    try:
        with no_grad():
            for start in range(0, len(x), batch_size):
                xb = x[start:start + batch_size]
                seen += len(xb)
                for bn in bns:
                    bn.momentum = len(xb) / seen
                model(Tensor(xb))
    finally:
        for bn, momentum in zip(bns, saved):
            bn.momentum = momentum
        model.eval()
    return model


def _corr_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson correlation of row c of a with row c of b (each (C, M)); nan where a row is constant."""
    a = a - a.mean(axis=1, keepdims=True)
    b = b - b.mean(axis=1, keepdims=True)
    den = np.sqrt((a * a).sum(axis=1) * (b * b).sum(axis=1))
    num = (a * b).sum(axis=1)
    return np.divide(num, den, out=np.full(len(num), np.nan), where=den > 1e-12 * max(den.max(initial=0.0), 1e-300))


def _nanmean(v) -> float:
    v = np.asarray(v, dtype=np.float64)
    return float(v[~np.isnan(v)].mean()) if (~np.isnan(v)).any() else float("nan")


def effective_rank(cov) -> float:
    """exp(−Σ p_i log p_i) with p_i = λ_i / Σλ, λ the eigenvalues of the symmetric PSD ``cov``
    (Roy & Vetterli 2007, "The effective rank: a measure of effective dimensionality"): 1 when one
    direction holds all the variance, C when all C are equal."""
    lam = np.clip(np.linalg.eigvalsh(np.asarray(cov, dtype=np.float64)), 0.0, None)
    if lam.sum() <= 0:
        return float("nan")
    p = lam[lam > 0] / lam.sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def activation_stats(a, lags: int = 3) -> dict:
    """Statistics of a layer's input a (N,C,H,W), channels that are constant (dead ReLUs) left out:

        autocorr_h[L-1] = mean_c corr(a[n,c,h,w], a[n,c,h,w+L]) over all (n, h, w),  L = 1..lags
        autocorr_v[L-1] = mean_c corr(a[n,c,h,w], a[n,c,h+L,w])                    (nan for L ≥ W, resp. H)
        cross_corr      = mean |R[c,d]| over c ≠ d, R the C×C correlation matrix of the channels
        effective_rank  = effective_rank(the C×C covariance), between 1 and C
    """
    a = np.asarray(a)
    if a.ndim != 4:
        raise ValueError(f"activation_stats: a must be (N, C, H, W), got shape {a.shape}")
    lags = _rank(lags, "activation_stats", "lags")
    N, C, H, W = a.shape
    x = a.transpose(1, 0, 2, 3).astype(np.float64)  # (N,C,H,W) -> (C,N,H,W)
    out = {"autocorr_h": [], "autocorr_v": []}
    for L in range(1, lags + 1):
        out["autocorr_h"].append(_nanmean(_corr_rows(x[..., :-L].reshape(C, -1), x[..., L:].reshape(C, -1)))
                                 if L < W else float("nan"))
        out["autocorr_v"].append(_nanmean(_corr_rows(x[:, :, :-L].reshape(C, -1), x[:, :, L:].reshape(C, -1)))
                                 if L < H else float("nan"))
    flat = x.reshape(C, -1)
    cov = np.cov(flat) if flat.shape[1] > 1 else np.zeros((C, C))
    cov = np.atleast_2d(cov)
    sd = np.sqrt(np.diag(cov))
    live = sd > 1e-12 * max(sd.max(initial=0.0), 1e-300)
    corr = cov[np.ix_(live, live)] / np.outer(sd[live], sd[live])
    off = ~np.eye(int(live.sum()), dtype=bool)
    out["cross_corr"] = float(np.abs(corr[off]).mean()) if off.any() else float("nan")
    out["effective_rank"] = effective_rank(cov)
    out["channels"], out["constant_channels"] = C, int(C - live.sum())
    return out
