"""Synthetic images whose spatial and cross-channel correlations are dialled separately (pure numpy).

Used by examples/05_correlation_experiment.py to test the claim behind separable convolution
(Xception): "spatial correlations and cross-channel correlations can be mapped separately".

How one image x (C, H, W) of class k is made (C = 3 channels by default, K = 2^(C-1) classes):

    s[c] = amplitude · a[k,c] · g_c(at a random position)  +  f[c]          the C "sources"
    x[d] = Σ_c M[d,c] · s[c]                                                 channels mixed

* f[c]: a Gaussian random field, white noise smoothed by a Gaussian of standard deviation
  ``length`` pixels and scaled to unit variance. ``length`` is the SPATIAL knob: the correlation of
  two pixels r apart is exp(-r² / (4·length²)) (0 for length = 0: white noise). Fields of
  different channels are independent.
* g_c: an even Gabor patch (zero mean, unit norm) whose orientation depends on the channel
  (c·180°/C), so every channel has its OWN spatial pattern. All channels put theirs at the same
  random position.
* a[k] ∈ {±1}^C: the class code, a sign per channel with an even number of minus signs
  (C = 3: +++, −−+, −+−, +−−). Every channel is + in half the classes, so no single channel
  tells the class: only the combination of signs across channels at one place does.
* ``pattern_scale``: the SIGNAL's spatial knob, separate from the background's ``length``: the
  Gabor patches' envelope and wavelength are multiplied by it (and the patch grows to the odd size
  nearest 7·scale), so the class patterns themselves are smoother and more spread out (> 1) or
  finer (< 1). 1 (the default) is the original 7x7 patch, bit for bit.
* M = R^½: the symmetric square root of the equicorrelation matrix R = (1−ρ)·I + ρ·11ᵀ. ``rho``
  is the CROSS-CHANNEL knob: the channels of x have correlation ρ (the codes are balanced, so
  the patterns add no cross-channel correlation on average).

Why this separates standard from separable convolution: the best linear detector of class k is
the template whitened by the noise covariance, Σ⁻¹μ_k with Σ = R ⊗ K (K: the fields' spatial
covariance). Its slice on input channel d is

    W[k,d] = Σ_c M⁻¹[d,c] · a[k,c] · K⁻¹g_c

For ρ = 0 (M = I) that is a[k,d]·K⁻¹g_d: one spatial filter per input channel, scaled per
class, exactly a depthwise filter K⁻¹g_d followed by a pointwise weight a[k,d]. A change of
``length`` only changes K⁻¹, the same for every channel, so it stays separable. For ρ > 0 every
channel holds a mixture of all C patterns and W[:,d] (classes × pixels) has rank C: a single
depthwise filter per channel cannot express it (docs/when-to-use-separable-conv.md, section 3).

All randomness comes from the ``rng`` argument (a numpy Generator): same rng state, same data.
"""

from __future__ import annotations

import numpy as np

from ..random import as_rng

PATCH = 7          # Gabor patch size in pixels
WAVELENGTH = 4.0   # Gabor wavelength in pixels
SIGMA = 1.4        # Gabor envelope standard deviation in pixels


def _check_count(value, name: str, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{where}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def _is_number(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _check_length(length, where: str) -> float:
    if not _is_number(length) or not 0 <= length <= 8:
        raise ValueError(f"{where}: length (smoothing, in pixels) must be a number in [0, 8], got {length!r}")
    return float(length)


def gaussian_random_field(n: int, channels: int, size: int, length: float, rng: np.random.Generator,
                          dtype=np.float32) -> np.ndarray:
    """(n, channels, size, size) independent fields: white noise smoothed by a Gaussian of std ``length`` px,
    scaled to unit variance. length = 0 gives white noise.

    Smoothing is a product in Fourier space with the Gaussian's transfer function exp(-2π²·length²·|f|²),
    on a grid padded by 3·length on each side (so the periodic FFT never wraps into the crop).
    """
    where = "gaussian_random_field"
    rng = as_rng(rng, where)
    n, channels, size = (_check_count(v, name, where, low) for v, name, low in
                         ((n, "n", 0), (channels, "channels", 1), (size, "size", 1)))
    length = _check_length(length, where)
    white_shape = (n, channels, size, size)
    if length == 0:
        return rng.standard_normal(white_shape).astype(dtype)
    pad = int(np.ceil(3 * length))
    big = size + 2 * pad
    white = rng.standard_normal((n, channels, big, big))                 # (n, C, S+2pad, S+2pad)
    f = np.fft.fftfreq(big)                                              # cycles per pixel
    transfer = np.exp(-2 * np.pi ** 2 * length ** 2 * (f[:, None] ** 2 + f[None, :] ** 2))  # (S', S')
    field = np.fft.ifft2(np.fft.fft2(white) * transfer).real
    field /= np.sqrt((transfer ** 2).mean())   # Parseval: the variance of the smoothed unit white noise
    return field[:, :, pad:pad + size, pad:pad + size].astype(dtype)     # crop -> (n, C, S, S)


def equicorrelation(channels: int, rho: float) -> np.ndarray:
    """R = (1−ρ)·I + ρ·11ᵀ: unit variances, correlation ρ between every pair of channels."""
    channels = _check_count(channels, "channels", "equicorrelation", 1)
    low = -1.0 / (channels - 1) if channels > 1 else -1.0
    if not _is_number(rho) or not low <= rho <= 1:
        raise ValueError(f"equicorrelation: rho must be in [{low:.3g}, 1] for {channels} channels "
                         f"(else R is not a correlation matrix), got {rho!r}")
    return (1 - rho) * np.eye(channels) + rho * np.ones((channels, channels))


def mixing_matrix(channels: int, rho: float) -> np.ndarray:
    """M = R^½, the symmetric square root of equicorrelation(channels, rho): M·Mᵀ = R, so mixing
    independent unit-variance channels with M gives channels of correlation ρ."""
    vals, vecs = np.linalg.eigh(equicorrelation(channels, rho))
    return (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.T


def gabor_patch(theta: float, size: int = PATCH, wavelength: float = WAVELENGTH, sigma: float = SIGMA) -> np.ndarray:
    """(size, size) even Gabor at orientation theta (radians), zero mean and unit L2 norm."""
    u = np.arange(size) - (size - 1) / 2
    v, u = np.meshgrid(u, u, indexing="ij")                  # v: rows, u: columns
    along = u * np.cos(theta) + v * np.sin(theta)
    g = np.exp(-(u ** 2 + v ** 2) / (2 * sigma ** 2)) * np.cos(2 * np.pi * along / wavelength)
    g -= g.mean()                                            # no DC: a smooth background cannot fake it
    return g / np.linalg.norm(g)


def _check_scale(scale, where: str, size: int | None = None) -> float:
    if not _is_number(scale) or not 0.3 <= scale <= 3:
        raise ValueError(f"{where}: pattern_scale must be a number in [0.3, 3], got {scale!r}")
    if size is not None and pattern_size(scale) > size:
        raise ValueError(f"{where}: pattern_scale={scale!r} gives {pattern_size(scale)}x{pattern_size(scale)} "
                         f"patches, larger than the {size}x{size} image")
    return float(scale)


def pattern_size(scale: float = 1.0) -> int:
    """Side of the patch at ``pattern_scale`` = scale: the odd integer nearest PATCH·scale (at least 3)."""
    return max(3, 2 * int(round((PATCH * scale - 1) / 2)) + 1)


def class_patterns(channels: int = 3, scale: float = 1.0) -> np.ndarray:
    """(C, P, P) the per-channel patterns: Gabor patch c at orientation c·180°/C, envelope and wavelength
    times ``scale`` (P = pattern_size(scale)). scale = 1 is exactly gabor_patch(π·c/C)."""
    scale = _check_scale(scale, "class_patterns")
    if scale == 1.0:
        return np.stack([gabor_patch(np.pi * c / channels) for c in range(channels)])
    return np.stack([gabor_patch(np.pi * c / channels, pattern_size(scale), WAVELENGTH * scale, SIGMA * scale)
                     for c in range(channels)])


def class_codes(channels: int = 3) -> np.ndarray:
    """(2^(C-1), C) sign codes with an even number of −1s. C = 3: [[+,+,+], [−,−,+], [−,+,−], [+,−,−]].

    Balanced: every channel is +1 in half the codes, and every pair of channels agrees in half,
    so neither one channel nor the codes' correlations give the class away; the joint sign does."""
    channels = _check_count(channels, "channels", "class_codes", 2)
    bits = (np.arange(2 ** channels)[:, None] >> np.arange(channels)[None, :]) & 1   # (2^C, C) all sign vectors
    even = bits.sum(axis=1) % 2 == 0
    return np.where(bits[even] == 1, -1.0, 1.0)


def make_correlated_images(n: int, *, length: float, rho: float, rng: np.random.Generator, channels: int = 3,
                           size: int = 16, amplitude: float = 3.0, pattern_scale: float = 1.0,
                           dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): x (n, channels, size, size) images, y (n,) int64 labels in 0..2^(channels-1)-1.

    length: spatial smoothing of the background fields in pixels (the spatial knob).
    rho: correlation between channels after mixing (the cross-channel knob).
    amplitude: pattern strength; each channel's patch has L2 norm ``amplitude`` against unit-variance fields.
    pattern_scale: spatial extent of the class patterns themselves (the signal's spatial knob; 1 = 7x7 patches).
    Labels are exactly balanced when n is a multiple of the number of classes (else within one).
    """
    where = "make_correlated_images"
    rng = as_rng(rng, where)
    n = _check_count(n, "n", where, 0)
    channels = _check_count(channels, "channels", where, 2)
    size = _check_count(size, "size", where, PATCH)
    if not _is_number(amplitude) or not 0 <= amplitude < np.inf:
        raise ValueError(f"{where}: amplitude must be a finite number >= 0, got {amplitude!r}")
    pattern_scale = _check_scale(pattern_scale, where, size)
    mix = mixing_matrix(channels, rho)
    codes = class_codes(channels)                                         # (K, C)
    K = len(codes)
    y = rng.permutation(np.arange(n) % K).astype(np.int64)                # balanced, shuffled
    sources = gaussian_random_field(n, channels, size, length, rng, dtype=np.float64)   # (n, C, S, S)
    patches = class_patterns(channels, pattern_scale)                    # (C, P, P)
    P = patches.shape[-1]
    top = rng.integers(0, size - P + 1, size=(n, 2))                      # (n, 2) row, col of each patch
    for t in range(n):                                                   # one patch stack per image
        r, q = top[t]
        sources[t, :, r:r + P, q:q + P] += amplitude * codes[y[t]][:, None, None] * patches
    x = np.einsum("dc,nchw->ndhw", mix, sources)                          # x[n,d] = Σ_c M[d,c]·s[n,c]
    return x.astype(dtype), y


def spatial_correlation(x: np.ndarray, lag: int = 1) -> float:
    """Correlation between pixels ``lag`` apart (horizontal and vertical pairs pooled), over all images and
    channels, each channel's values centred and scaled by its own mean and std first."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4 or min(x.shape[2:]) <= lag:
        raise ValueError(f"spatial_correlation: x must be (N, C, H, W) with H, W > lag = {lag}, got {x.shape}")
    z = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / x.std(axis=(0, 2, 3), keepdims=True)
    pairs = np.concatenate([(z[:, :, lag:, :] * z[:, :, :-lag, :]).ravel(),
                            (z[:, :, :, lag:] * z[:, :, :, :-lag]).ravel()])
    return float(pairs.mean())


def channel_correlation(x: np.ndarray) -> np.ndarray:
    """(C, C) correlation matrix of the channels, every pixel of every image a sample."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError(f"channel_correlation: x must be (N, C, H, W), got {x.shape}")
    flat = x.transpose(1, 0, 2, 3).reshape(x.shape[1], -1)               # (C, N·H·W)
    return np.corrcoef(flat)


def expected_spatial_correlation(length: float, lag: int = 1) -> float:
    """exp(-lag² / (4·length²)): the correlation of a field smoothed by a Gaussian of std ``length``."""
    return float(np.exp(-lag ** 2 / (4 * length ** 2))) if length > 0 else 0.0
