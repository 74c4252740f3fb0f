"""`minisep analyze CKPT`: would each conv layer of a trained model survive being made separable?

For every Conv2d with a kernel larger than 1x1 (groups=1) and every SeparableConv2d of the model:

    autocorr     spatial autocorrelation of the layer's input at lags 1..L: the mean over channels of
                 corr(a[n,c,h,w], a[n,c,h,w+lag]) and of corr(a[n,c,h,w], a[n,c,h+lag,w]); the table
                 shows the mean of the two, the JSON keeps both
    |corr|       mean |R[c,d]| (c ≠ d) of the input's C×C channel correlation matrix
    eff. rank    exp(entropy of the normalised eigenvalues) of the input's channel covariance
                 (Roy & Vetterli 2007), between 1 and C
    energy       mean over c of the share of Σσ² in the top 1, 2, ... singular values of the O×(kh·kw)
                 slice W[:,c,:,:] (a SeparableConv2d: of its equivalent W; the spectra of the evidence doc)
    drop         test accuracy with this ONE layer replaced by its nearest separable layer with depth
                 multiplier m (separability.project_layer), the rest of the model unchanged, subtracted
                 from that of the unchanged model; both with BatchNorm's statistics re-estimated on the
                 same training images, so the drop is the projection's alone (the accuracy as saved is
                 reported too)

Activation statistics use the first STATS_IMAGES training images; the recalibration uses all of them
(--limit N: the first N). A SeparableConv2d with something between its halves (mid='relu'/'bn_relu')
is not one linear conv, so it gets the activation statistics only.
"""

from __future__ import annotations

import copy
import io
import json

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..data._atomic import atomic_write_bytes
from ..tensor import Tensor
from ..data import normalize
from . import models, separability
from .checkpoint import check_meta, load_checkpoint
from .experiment import UserFacingError, load_split
from .train import evaluate

STATS_IMAGES = 500


def analyzed_layers(model) -> list[tuple[str, object]]:
    """(name, layer) of every Conv2d with groups=1 and a kernel > 1x1, and every SeparableConv2d."""
    return [(name, m) for name, m in model.named_modules()
            if isinstance(m, nn.SeparableConv2d)
            or (isinstance(m, nn.Conv2d) and m.groups == 1 and m.kernel_size != (1, 1))]


def layer_inputs(model, names, x) -> dict:
    """{name: the (N,C,H,W) input the layer ``name`` receives} for x, in eval mode without a graph."""
    seen: dict = {}
    removers = [separability.get_module(model, n).register_forward_hook(
        lambda mod, args, y, n=n: seen.setdefault(n, np.array(getattr(args[0], "data", args[0])))) for n in names]
    model.eval()
    try:
        with no_grad():
            model(Tensor(x))
    finally:
        for remove in removers:
            remove()
    return seen


def _linear_weight(layer):
    if isinstance(layer, nn.SeparableConv2d) and layer.mid_kind is not None:
        return None
    return separability.conv_weight(layer)


def verdict(drop: float | None, threshold: float) -> str:
    if drop is None:
        return "n/a (not one linear conv)"
    word = "would survive being separable" if drop <= threshold else "would not"
    return f"{word} (drop {drop:.1f} pts)"


def analyze(model, train, test, *, m: int = 1, lags: int = 3, threshold: float = 1.0, log=lambda *a: None) -> dict:
    """The report as a dict: the baseline, and per layer its statistics, energies, drop and verdict."""
    _, base = evaluate(model, *test)
    recal = separability.recalibrate_bn(copy.deepcopy(model), train[0])
    _, recal_acc = evaluate(recal, *test)
    layers = analyzed_layers(model)
    inputs = layer_inputs(model, [n for n, _ in layers], train[0][:STATS_IMAGES])
    rows = []
    for name, layer in layers:
        log(f"  {name}")
        w = _linear_weight(layer)
        row = {"layer": name, "type": type(layer).__name__, "in_channels": layer.in_channels,
               "out_channels": layer.out_channels, "kernel_size": list(layer.kernel_size),
               "depth_multiplier": getattr(layer, "depth_multiplier", None),
               **separability.activation_stats(inputs[name], lags)}
        row["energy_top"] = None if w is None else separability.top_energy(w, max(3, m))
        row["projected_acc"] = row["drop"] = None
        if w is not None:
            swapped = copy.deepcopy(model)
            separability.swap_module(swapped, name, separability.project_layer(layer, m))
            _, acc = evaluate(separability.recalibrate_bn(swapped, train[0]), *test)
            row["projected_acc"], row["drop"] = acc, 100 * (recal_acc - acc)
        row["verdict"] = verdict(row["drop"], threshold)
        rows.append(row)
    return {"test_acc": base, "recalibrated_acc": recal_acc, "rank": m, "lags": lags, "threshold": threshold,
            "train_images": len(train[1]), "stats_images": min(STATS_IMAGES, len(train[1])),
            "test_images": len(test[1]), "layers": rows}


def load_model(path):
    """(model, meta) of a checkpoint written by `minisep train --out`; UserFacingError naming it otherwise."""
    try:
        state, meta = load_checkpoint(path)
        check_meta(meta, path)
    except (FileNotFoundError, ValueError) as e:
        raise UserFacingError(f"checkpoint: {e}") from None
    model = models.build_model(meta["model"], input_shape=tuple(meta["input_shape"]), num_classes=meta["num_classes"],
                               rng=np.random.default_rng(0), width=meta.get("width", 1.0))
    try:
        model.load_state_dict(state, strict=True)
    except ValueError as e:
        raise UserFacingError(f"checkpoint {path} does not fit model {meta['model']!r}: {e}") from None
    return model, meta


def load_splits(meta: dict, dataset: str, data_dir, download: bool, limit: int | None):
    """(train, test) of ``dataset``, normalised with the checkpoint's own training statistics."""
    out = []
    for split in ("train", "test"):
        x, y = load_split(dataset, split, data_dir, download)
        if list(x.shape[1:]) != meta["input_shape"]:
            raise UserFacingError(f"--dataset: the checkpoint expects inputs {meta['input_shape']}, {dataset} has "
                                  f"{list(x.shape[1:])}")
        if split == "train" and limit is not None:
            x, y = x[:limit], y[:limit]
        out.append((normalize(x, meta["mean"], meta["std"]), y))
    return tuple(out)


def _f(v, fmt: str = "{:.2f}") -> str:
    return "n/a" if v is None or v != v else fmt.format(v)


def markdown(report: dict, title: str) -> str:
    """The report as Markdown: a few lines on what was measured, then one table row per layer."""
    m, L, top = report["rank"], report["lags"], max(3, report["rank"])
    lines = [f"# Separability of {title}", "",
             f"Test accuracy as saved: {100 * report['test_acc']:.2f}% ({report['test_images']:,} test images); "
             f"with only the BatchNorm statistics re-estimated on {report['train_images']:,} training images: "
             f"{100 * report['recalibrated_acc']:.2f}%, the reference of every drop. Each layer in turn is replaced by its "
             f"nearest separable layer with depth multiplier m = {m}, BatchNorm re-estimated the same way, the rest "
             "unchanged; verdict: it would "
             f"survive when the test accuracy drops by at most {report['threshold']:.1f} points (--threshold). "
             f"Input statistics on {report['stats_images']:,} training images: autocorrelation at lags 1..{L} "
             "(mean of horizontal and vertical), mean |corr| between channels, effective rank of the channel "
             f"covariance (Roy & Vetterli 2007) out of C; energy: share of Σσ² in the top 1..{top} singular "
             "values of each slice W[:,c,:,:], mean over c.", "",
             f"| layer | type | C -> O, kernel | input autocorr lag 1..{L} | channel \\|corr\\| | eff. rank / C | "
             f"energy top 1..{top} | acc, m={m} | verdict |", "|---" * 9 + "|"]
    for r in report["layers"]:
        ac = "/".join(_f((h + v) / 2) for h, v in zip(r["autocorr_h"], r["autocorr_v"]))
        energy = "n/a" if r["energy_top"] is None else "/".join(f"{100 * e:.0f}%" for e in r["energy_top"])
        kind = r["type"] + (f" m={r['depth_multiplier']}" if r["depth_multiplier"] else "")
        lines.append(f"| {r['layer']} | {kind} | {r['in_channels']} -> {r['out_channels']}, "
                     f"{'x'.join(map(str, r['kernel_size']))} | {ac} | {_f(r['cross_corr'])} | "
                     f"{_f(r['effective_rank'], '{:.1f}')} / {r['channels']} | {energy} | "
                     f"{_f(None if r['projected_acc'] is None else 100 * r['projected_acc'])} | {r['verdict']} |")
    return "\n".join(lines) + "\n"


def figure_png(report: dict, title: str) -> bytes:
    """PNG bytes: per layer, bars for the accuracy drop (points), the top-1 energy share and the channel |corr| (%)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["layers"]
    x = np.arange(len(rows))
    series = (("accuracy drop, points", [r["drop"] for r in rows]),
              ("top-1 energy share, %", [None if r["energy_top"] is None else 100 * r["energy_top"][0] for r in rows]),
              ("channel |corr| of the input, x100", [100 * r["cross_corr"] for r in rows]))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.4 * len(rows) + 2), 4))
    for k, (label, values) in enumerate(series):
        ax.bar(x + (k - 1) * 0.27, [np.nan if v is None else v for v in values], 0.27, label=label, color=f"C{k}")
    ax.axhline(report["threshold"], color="C0", ls=":", lw=1, label=f"threshold {report['threshold']:.1f} pts")
    ax.set_xticks(x, [r["layer"] for r in rows])
    ax.set_title(f"{title}: each layer alone made separable (m = {report['rank']})", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def _no_nan(obj):
    """The report with every NaN (a lag past the image, a constant input) as null: strict JSON."""
    if isinstance(obj, dict):
        return {k: _no_nan(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_no_nan(v) for v in obj]
    return None if isinstance(obj, float) and obj != obj else obj


def write_report(prefix, report: dict, title: str) -> list[str]:
    """PREFIX.md, PREFIX.json and (with matplotlib) PREFIX.png, each written atomically; returns their names."""
    written = []
    for suffix, data in ((".md", markdown(report, title).encode()),
                         (".json", (json.dumps(_no_nan(report), indent=1) + "\n").encode())):
        atomic_write_bytes(f"{prefix}{suffix}", data)
        written.append(f"{prefix}{suffix}")
    try:
        atomic_write_bytes(f"{prefix}.png", figure_png(report, title))
        written.append(f"{prefix}.png")
    except ImportError:  # matplotlib is optional
        pass
    return written
