"""The channel-correlation sweep on synthetic images, beside the ideal linear detector's prediction.

Images: minisep.data.synthetic.make_correlated_images (white background, length 0: neither at the
ceiling nor where training fails). For each ρ the script also computes the share of each per-channel
slice's energy in its top singular value for the ideal detector W[k,d] = Σ_c M⁻¹[d,c]·a[k,c]·g_c
(the best a rank-1, i.e. separable m = 1, first layer can keep).
"""

from __future__ import annotations

import numpy as np

from .. import nn, optim
from ..app.train import fit
from ..data import synthetic
from ..teach.summary import cost


def ideal_energy_share(rho: float, channels: int = 3) -> float:
    """Mean over input channels d of σ₁² / Σσ² of the (classes × pixels) slice W[:, d] of the ideal detector."""
    minv = np.linalg.inv(synthetic.mixing_matrix(channels, rho))
    codes = synthetic.class_codes(channels)                                   # (K, C)
    g = np.stack([synthetic.gabor_patch(np.pi * c / channels).ravel() for c in range(channels)])  # (C, pixels)
    shares = []
    for d in range(channels):
        w = (codes * minv[d][None, :]) @ g                                    # (K, pixels)
        s = np.linalg.svd(w, compute_uv=False)
        shares.append(s[0] ** 2 / (s ** 2).sum())
    return float(np.mean(shares))


def build_net(kind: str, channels: int, width: int, rng, first_layer: str = "same") -> nn.Sequential:
    """conv-BN-ReLU-pool, conv-BN-ReLU-pool, conv-BN-ReLU, global average pool, Linear (4 classes)."""
    def conv(k, c, o):
        if k == "standard":
            return nn.Conv2d(c, o, 3, padding=1, bias=False, rng=rng)
        return nn.SeparableConv2d(c, o, 3, padding=1, bias=False, rng=rng)
    first, w = ("standard" if first_layer == "standard" else kind), width
    return nn.Sequential(
        conv(first, channels, w), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        conv(kind, w, 2 * w), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
        conv(kind, 2 * w, 2 * w), nn.BatchNorm2d(2 * w), nn.ReLU(),
        nn.GlobalAvgPool2d(), nn.Linear(2 * w, 4, rng=rng))


def data(rho: float, seed: int, n_train: int, n_test: int, length: float = 0.0):
    rng = np.random.default_rng([seed, round(1000 * length), round(1000 * rho)])
    train = synthetic.make_correlated_images(n_train, length=length, rho=rho, rng=rng)
    test = synthetic.make_correlated_images(n_test, length=length, rho=rho, rng=rng)
    return train, test


def one_run(kind: str, rho: float, seed: int, cfg: dict, first_layer: str = "same") -> dict:
    train, test = data(rho, seed, cfg["n_train"], cfg["n_test"])
    model = build_net(kind, 3, cfg["width"], np.random.default_rng(seed), first_layer)
    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    history = fit(model, opt, train, test, epochs=cfg["epochs"], batch_size=64, seed=seed + 1,
                  scheduler=optim.CosineLR(opt, T_max=cfg["epochs"]), progress=False, log=lambda *a: None)
    corr = synthetic.channel_correlation(train[0])
    params, madds = cost(model, (3, 16, 16))
    return {"model": kind, "rho": rho, "seed": seed, "first_layer": first_layer, "test_acc": history[-1].test_acc,
            "params": params, "mult_adds": madds, "channel_corr": float(corr[~np.eye(3, dtype=bool)].mean()),
            "seconds_per_epoch": float(np.mean([h.seconds for h in history]))}


def run_correlation(result, cfg: dict, log=print) -> None:
    """Standard vs separable (every conv) and, on the same seeds, separable with a full first layer."""
    for rho in cfg["rhos"]:
        for kind, first in (("standard", "same"), ("separable", "same"), ("separable", "standard")):
            for seed in cfg["seeds"]:
                result.get(f"{kind}|{first}|{rho:g}|{seed}", lambda: one_run(kind, rho, seed, cfg, first))
        log(f"  correlation rho={rho:g} done")
