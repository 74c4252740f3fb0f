"""The correlation experiment on synthetic images, beside the ideal linear detector's prediction.

Images: minisep.data.synthetic.make_correlated_images on a white background (length 0: neither at the
ceiling nor where training fails at the full budget). Two sweeps, one knob each:

    channels  rho in cfg["rhos"] (cross-channel correlation), patterns at scale 1;
              standard, separable, and separable with a full first layer (the first-layer ablation),
              all on the same seeds;
    signal    pattern_scale in cfg["scales"] (the class patterns' own spatial extent) at rho = cfg["scale_rho"];
              standard and separable.

For every setting the script computes the share of each per-channel slice's energy in its top
singular value for the ideal detector W[k,d] = Σ_c M⁻¹[d,c]·a[k,c]·g_c (the best a rank-1, i.e.
separable m = 1, first layer can keep): 1.00 means one depthwise filter per channel loses nothing.
"""

from __future__ import annotations

import numpy as np

from .. import nn, optim
from ..app.train import fit
from ..data import synthetic
from ..teach.summary import cost

CHANNELS = 3
SIZE = 16
KINDS = (("standard", "same"), ("separable", "same"), ("separable", "standard"))


def ideal_energy_share(rho: float, channels: int = CHANNELS, pattern_scale: float = 1.0) -> float:
    """Mean over input channels d of σ₁² / Σσ² of the (classes × pixels) slice W[:, d] of the ideal detector
    (white background, so the whitening K⁻¹ is the identity)."""
    minv = np.linalg.inv(synthetic.mixing_matrix(channels, rho))
    codes = synthetic.class_codes(channels)                                   # (K, C)
    g = synthetic.class_patterns(channels, pattern_scale).reshape(channels, -1)  # (C, pixels)
    shares = []
    for d in range(channels):
        w = (codes * minv[d][None, :]) @ g                                    # (K, pixels)
        s = np.linalg.svd(w, compute_uv=False)
        shares.append(s[0] ** 2 / (s ** 2).sum())
    return float(np.mean(shares))


def build_net(kind: str, channels: int, width: int, rng, first_layer: str = "same") -> nn.Sequential:
    """conv-BN-ReLU-pool, conv-BN-ReLU-pool, conv-BN-ReLU, global average pool, Linear (4 classes).
    first_layer='standard': the first conv is a full conv whatever ``kind`` is (the ablation)."""
    def conv(k, c, o):
        if k == "standard":
            return nn.Conv2d(c, o, 3, padding=1, bias=False, rng=rng)
        return nn.SeparableConv2d(c, o, 3, padding=1, bias=False, rng=rng)
    first, w = ("standard" if first_layer == "standard" else kind), width
    return nn.Sequential(
        conv(first, channels, w), nn.BatchNorm2d(w), nn.ReLU(), nn.MaxPool2d(2),
        conv(kind, w, 2 * w), nn.BatchNorm2d(2 * w), nn.ReLU(), nn.MaxPool2d(2),
        conv(kind, 2 * w, 2 * w), nn.BatchNorm2d(2 * w), nn.ReLU(),
        nn.GlobalAvgPool2d(), nn.Linear(2 * w, 2 ** (channels - 1), rng=rng))


def data(rho: float, seed: int, n_train: int, n_test: int, length: float = 0.0, pattern_scale: float = 1.0):
    """(train, test) for one setting; the generator's seed names the setting, so every model of a seed
    sees the same images."""
    key = [seed, round(1000 * length), round(1000 * rho)] + ([] if pattern_scale == 1.0 else [round(1000 * pattern_scale)])
    rng = np.random.default_rng(key)
    make = dict(length=length, rho=rho, rng=rng, channels=CHANNELS, size=SIZE, pattern_scale=pattern_scale)
    return synthetic.make_correlated_images(n_train, **make), synthetic.make_correlated_images(n_test, **make)


def one_run(kind: str, rho: float, seed: int, cfg: dict, first_layer: str = "same", pattern_scale: float = 1.0) -> dict:
    train, test = data(rho, seed, cfg["n_train"], cfg["n_test"], pattern_scale=pattern_scale)
    model = build_net(kind, CHANNELS, cfg["width"], np.random.default_rng(seed), first_layer)
    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    history = fit(model, opt, train, test, epochs=cfg["epochs"], batch_size=cfg.get("batch_size", 64), seed=seed + 1,
                  scheduler=optim.CosineLR(opt, T_max=cfg["epochs"]), progress=False, log=lambda *a: None)
    corr = synthetic.channel_correlation(train[0])
    params, madds = cost(model, (CHANNELS, SIZE, SIZE))
    seconds = [h.seconds for h in history]
    return {"model": kind, "rho": rho, "pattern_scale": pattern_scale, "seed": seed, "first_layer": first_layer,
            "test_acc": history[-1].test_acc, "test_loss": history[-1].test_loss,
            "curves": {k: [getattr(h, k) for h in history] for k in ("train_loss", "train_acc", "test_loss", "test_acc")},
            "params": params, "mult_adds": madds,
            "channel_corr": float(corr[~np.eye(CHANNELS, dtype=bool)].mean()),
            "train_seconds": float(sum(seconds)), "seconds_per_epoch": float(np.mean(seconds)),
            "compile_seconds": float(history.compile_seconds)}


def run_key(kind: str, first: str, rho: float, scale: float, seed: int) -> str:
    return f"{kind}|first={first}|rho={rho:g}|scale={scale:g}|seed={seed}"


def plan(cfg: dict) -> list[tuple[str, dict]]:
    """Every run of the experiment as (key, arguments of one_run), in the order they are trained."""
    runs = []
    for rho in cfg["rhos"]:
        for kind, first in KINDS:
            for seed in cfg["seeds"]:
                runs.append((run_key(kind, first, rho, 1.0, seed),
                             dict(kind=kind, rho=rho, seed=seed, first_layer=first, pattern_scale=1.0)))
    for scale in cfg.get("scales", []):
        if scale == 1.0 and cfg["scale_rho"] in cfg["rhos"]:
            continue  # already in the channel sweep
        for kind, first in KINDS[:2]:
            for seed in cfg["seeds"]:
                runs.append((run_key(kind, first, cfg["scale_rho"], scale, seed),
                             dict(kind=kind, rho=cfg["scale_rho"], seed=seed, first_layer=first, pattern_scale=scale)))
    return runs


def layout(cfg: dict) -> dict:
    """What the tables show: the settings of both sweeps with the ideal detector's predicted share."""
    return {"kind": "correlation",
            "channel_sweep": [{"rho": rho, "pattern_scale": 1.0, "ideal_share": ideal_energy_share(rho)}
                              for rho in cfg["rhos"]],
            "signal_sweep": [{"rho": cfg["scale_rho"], "pattern_scale": s,
                              "ideal_share": ideal_energy_share(cfg["scale_rho"], pattern_scale=s)}
                             for s in cfg.get("scales", [])]}


def run_correlation(result, cfg: dict, log=print) -> None:
    """Train every run of plan(cfg) not in ``result`` yet."""
    result.extra.update(layout(cfg))
    done_rho = None
    for key, args in plan(cfg):
        result.get(key, lambda: one_run(cfg=cfg, **args))
        setting = (args["rho"], args["pattern_scale"])
        if setting != done_rho:
            done_rho = setting
            log(f"  correlation rho={args['rho']:g} scale={args['pattern_scale']:g}")
