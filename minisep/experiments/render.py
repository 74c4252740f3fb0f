"""Markdown tables and figures from the result JSON files, and the doc's tables between markers:

    <!-- results:quick/equal_cost_digits -->
    ...generated from docs/results/quick/equal_cost_digits.json, never edited by hand...
    <!-- /results:quick/equal_cost_digits -->

Everything here is a pure function of the JSON, so a test can render it again and compare.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..data._atomic import atomic_write_bytes
from . import render_rank, stats
from .stamp import stamp_line
from .store import load

SECTIONS = {"a": "(a) equal architecture", "b": "(b) equal cost", "d": "(d) depth multiplier",
            "e": "(e) between depthwise and pointwise"}
TITLES = {"equal_cost": "Equal architecture, equal cost, depth multiplier and variants",
          "width_sweep": "Width sweep: accuracy vs mult-adds and vs training time",
          "correlation": "The correlation experiment: channel correlation and signal scale"}
REGENERATE = "python -m minisep.experiments.when_to_use --budget {budget} --out docs/results/"


def _by_seed(runs: dict, match) -> dict:
    """{seed: run} of the runs for which match(run) holds."""
    out = {}
    for run in runs.values():
        if match(run):
            if run["seed"] in out:
                raise ValueError(f"render: two runs for seed {run['seed']} of one table row")
            out[run["seed"]] = run
    return out


def _acc(by_seed: dict) -> str:
    return stats.fmt_pm([by_seed[s]["test_acc"] for s in sorted(by_seed)])


def _diff(by_seed: dict, ref: dict) -> str:
    return stats.fmt_diff(stats.paired_by_seed({s: r["test_acc"] for s, r in by_seed.items()},
                                               {s: r["test_acc"] for s, r in ref.items()}))


def _mean(by_seed: dict, key: str) -> float:
    return stats.mean(by_seed[s][key] for s in sorted(by_seed))


def _seeds(by_seed: dict) -> str:
    return ",".join(map(str, sorted(by_seed)))


def _row_runs(obj: dict, row: dict) -> dict:
    return _by_seed(obj["runs"], lambda r: r["model"] == row["model"] and r["width"] == row["width"])


def _data_line(obj: dict) -> str:
    c = obj["config"]
    return (f"{c['dataset']}: {c['train_images']:,} training / {c['test_images']:,} test images, {c['epochs']} epochs, "
            f"seeds {','.join(map(str, c['seeds']))}. Test accuracy in %, mean ± sd over seeds; the paired "
            "difference (same seed = same initial weights and batch order) in points with its t-based 95% CI. "
            "s/epoch excludes compilation; compile s is the numba compile or cache load before a model's first run "
            "(kernels are shared, so it is large only for the first model of a process).")


def equal_cost_tables(obj: dict) -> str:
    ref_row = obj["reference"]
    ref = _row_runs(obj, ref_row)
    head = (f"| | model | width | params | mult-adds | test acc % | diff to standard x{ref_row['width']:g} [95% CI] "
            "| s/epoch | compile s |")
    lines = [_data_line(obj), "", head, "|---" * 9 + "|"]
    for row in obj["rows"]:
        by = _row_runs(obj, row)
        r0 = by[min(by)]
        is_ref = row["model"] == ref_row["model"] and row["width"] == ref_row["width"]
        lines.append(f"| {SECTIONS[row['section']]} | {row['label']} | {row['width']:g} | {r0['params']:,} | "
                     f"{r0['mult_adds']:,} | {_acc(by)} | {'reference' if is_ref else _diff(by, ref)} | "
                     f"{_mean(by, 'seconds_per_epoch'):.3f} | {max(r['compile_seconds'] for r in by.values()):.1f} |")
    return "\n".join(lines) + "\n"


def width_sweep_tables(obj: dict) -> str:
    lines = [_data_line(obj), "", "| width | model | params | mult-adds | test acc % | separable - standard at this "
             "width [95% CI] | s/epoch | train s |", "|---" * 8 + "|"]
    refs = {}
    for row in obj["rows"]:
        by = _row_runs(obj, row)
        r0 = by[min(by)]
        if row["model"] == "standard":
            refs[row["width"]] = by
        diff = "reference" if row["model"] == "standard" else _diff(by, refs[row["width"]])
        lines.append(f"| {row['width']:g} | {row['label']} | {r0['params']:,} | {r0['mult_adds']:,} | {_acc(by)} | "
                     f"{diff} | {_mean(by, 'seconds_per_epoch'):.3f} | {_mean(by, 'train_seconds'):.2f} |")
    return "\n".join(lines) + "\n"


def _corr_runs(obj, kind, first, rho, scale) -> dict:
    return _by_seed(obj["runs"], lambda r: (r["model"], r["first_layer"], r["rho"], r.get("pattern_scale", 1.0))
                    == (kind, first, rho, scale))


def correlation_tables(obj: dict) -> str:
    from ..data.synthetic import pattern_size

    c = obj["config"]
    lines = [f"Synthetic 3-channel 16x16 images, 4 classes, white background: {c['n_train']:,} training / "
             f"{c['n_test']:,} test images, width {c['width']}, {c['epochs']} epochs, Adam lr {c['lr']:g}, "
             f"batch {c['batch_size']}, seeds {','.join(map(str, c['seeds']))}. Test accuracy in % (chance: 25), "
             "mean ± sd; differences paired by seed, in points, with their t-based 95% CI. The ideal detector's "
             "share: the energy of each per-channel slice of the best linear detector in its top singular value "
             "(1.00: one depthwise filter per channel loses nothing), computed by the script.", "",
             "Channel sweep (patterns at scale 1):", "",
             "| rho | measured channel corr | ideal detector's share | standard | separable | separable - standard "
             "[95% CI] | separable, full first layer | its diff to standard [95% CI] |", "|---" * 8 + "|"]
    for s in obj["channel_sweep"]:
        std, sep, abl = (_corr_runs(obj, k, f, s["rho"], 1.0) for k, f in
                         (("standard", "same"), ("separable", "same"), ("separable", "standard")))
        corr = _mean(std, "channel_corr")
        lines.append(f"| {s['rho']:g} | {corr:.3f} | {s['ideal_share']:.3f} | {_acc(std)} | {_acc(sep)} | "
                     f"{_diff(sep, std)} | {_acc(abl)} | {_diff(abl, std)} |")
    if obj["signal_sweep"]:
        lines += ["", f"Signal sweep (the class patterns' own spatial scale; background unchanged, rho = "
                  f"{c['scale_rho']:g}):", "",
                  "| pattern scale | patch | ideal detector's share | standard | separable | separable - standard "
                  "[95% CI] |", "|---" * 6 + "|"]
        for s in obj["signal_sweep"]:
            std, sep = (_corr_runs(obj, k, "same", s["rho"], s["pattern_scale"]) for k in ("standard", "separable"))
            size = pattern_size(s["pattern_scale"])
            lines.append(f"| {s['pattern_scale']:g} | {size}x{size} | {s['ideal_share']:.3f} | {_acc(std)} | "
                         f"{_acc(sep)} | {_diff(sep, std)} |")
    lines += ["", "| net | params | mult-adds | s/epoch |", "|---" * 4 + "|"]
    for k, f, label in (("standard", "same", "standard"), ("separable", "same", "separable"),
                        ("separable", "standard", "separable, full first layer")):
        by = _by_seed(obj["runs"], lambda r: (r["model"], r["first_layer"], r["rho"], r.get("pattern_scale", 1.0))
                      == (k, f, obj["channel_sweep"][0]["rho"], 1.0))
        r0 = by[min(by)]
        lines.append(f"| {label} | {r0['params']:,} | {r0['mult_adds']:,} | {_mean(by, 'seconds_per_epoch'):.3f} |")
    return "\n".join(lines) + "\n"


TABLES = {"equal_cost": equal_cost_tables, "width_sweep": width_sweep_tables, "correlation": correlation_tables}
TABLES["rank"] = render_rank.rank_tables
TITLES["rank"] = "The functional rank test: the standard CNN projected onto rank r, beside separable m=r from scratch"


def block(obj: dict) -> str:
    """The tables of one result and its stamp line: what goes between the doc's markers."""
    return TABLES[obj["kind"]](obj) + "\n" + stamp_line(obj["stamp"]) + "\n"


def markdown(obj: dict, budget: str) -> str:
    """NAME.md: a title, the regeneration command and the block."""
    return (f"# {TITLES[obj['kind']]} ({obj['name']}, {budget} budget)\n\n"
            f"Generated from {obj['name']}.json by `{REGENERATE.format(budget=budget)}`; do not edit.\n\n" + block(obj))


def write_outputs(folder: Path, name: str) -> Path:
    folder = Path(folder)
    obj = load(folder / f"{name}.json")
    path = folder / f"{name}.md"
    atomic_write_bytes(path, markdown(obj, folder.name).encode())
    try:
        write_png(obj, folder / f"{name}.png")
    except ImportError:  # matplotlib is optional
        pass
    return path


MARKER = re.compile(r"(<!-- results:(?P<name>[\w/-]+) -->\n)(.*?)(<!-- /results:(?P=name) -->)", re.S)


def markers(text: str) -> list[str]:
    return [m.group("name") for m in MARKER.finditer(text)]


def render_doc(text: str, results: Path, missing: list | None = None) -> str:
    """``text`` with every marked block replaced by the block rendered from results/NAME.json.

    A block whose JSON does not exist yet is left as it is and its name appended to ``missing``
    (a budget run part by part with --only); without ``missing`` that is a FileNotFoundError."""
    def one(m):
        path = Path(results) / f"{m.group('name')}.json"
        if missing is not None and not path.exists():
            missing.append(m.group("name"))
            return m.group(0)
        return m.group(1) + block(load(path)) + m.group(4)
    return MARKER.sub(one, text)


def update_doc(doc: Path, results: Path, log=print) -> None:
    missing: list = []
    atomic_write_bytes(doc, render_doc(Path(doc).read_text(encoding="utf-8"), results, missing).encode())
    for name in missing:
        log(f"  {doc}: left the block {name} as it is (no {name}.json in {results} yet)")


# ---- figures (matplotlib optional) ---------------------------------------------------------------------

def _summary(by_seed: dict, key: str = "test_acc", scale: float = 100.0) -> tuple[float, float]:
    values = [scale * by_seed[s][key] for s in sorted(by_seed)]
    return stats.mean(values), stats.sd(values)


def _ci_half(p: dict) -> float:
    low, high = p["ci95"]
    return 0.0 if low != low else 100 * (high - low) / 2


def write_png(obj: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kind = obj["kind"]
    if kind == "equal_cost":
        ref = _row_runs(obj, obj["reference"])
        rows = [r for r in obj["rows"] if not (r["model"] == obj["reference"]["model"]
                                                and r["width"] == obj["reference"]["width"])]
        fig, ax = plt.subplots(figsize=(7, 0.4 * len(rows) + 1.5))
        for i, row in enumerate(rows):
            p = stats.paired_by_seed({s: r["test_acc"] for s, r in _row_runs(obj, row).items()},
                                     {s: r["test_acc"] for s, r in ref.items()})
            ax.errorbar(100 * p["mean"], i, xerr=_ci_half(p), fmt="o", color="C0", capsize=3)
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(range(len(rows)), [f"{SECTIONS[r['section']][:3]} {r['label']} x{r['width']:g}" for r in rows])
        ax.invert_yaxis()
        ax.set_xlabel(f"test accuracy - standard x{obj['reference']['width']:g}, points (paired, 95% CI)")
    elif kind == "rank":
        fig = render_rank.rank_figure(obj, plt)
    elif kind == "width_sweep":
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for model, color in (("standard", "C0"), ("separable", "C1")):
            rows = [r for r in obj["rows"] if r["model"] == model]
            pts = [(_row_runs(obj, r), r) for r in rows]
            madds = [by[min(by)]["mult_adds"] for by, _ in pts]
            secs = [_mean(by, "train_seconds") for by, _ in pts]
            acc = [_summary(by) for by, _ in pts]
            for ax, x in zip(axes, (madds, secs)):
                ax.errorbar(x, [a for a, _ in acc], yerr=[s for _, s in acc], fmt="o-", color=color, capsize=3,
                            label=model)
        axes[0].set_xscale("log")
        axes[0].set_xlabel("mult-adds per image")
        axes[1].set_xlabel("measured training seconds (all epochs, no compile)")
        for ax in axes:
            ax.set_ylabel("test accuracy % (mean ± sd)")
            ax.legend()
    else:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        rhos = [s["rho"] for s in obj["channel_sweep"]]
        for (k, f, label, color) in (("separable", "same", "separable", "C1"),
                                     ("separable", "standard", "separable, full first layer", "C2")):
            ps = [stats.paired_by_seed({s: r["test_acc"] for s, r in _corr_runs(obj, k, f, rho, 1.0).items()},
                                       {s: r["test_acc"] for s, r in _corr_runs(obj, "standard", "same", rho, 1.0).items()})
                  for rho in rhos]
            axes[0].errorbar(rhos, [100 * p["mean"] for p in ps], yerr=[_ci_half(p) for p in ps], fmt="o-",
                             color=color, capsize=3, label=label + " - standard")
        axes[0].axhline(0, color="grey", lw=0.8)
        axes[0].set_xlabel("channel correlation rho")
        axes[0].set_ylabel("accuracy difference, points (paired, 95% CI)")
        axes[0].legend(fontsize=8)
        axes[1].plot(rhos, [s["ideal_share"] for s in obj["channel_sweep"]], "ko-")
        axes[1].set_xlabel("channel correlation rho")
        axes[1].set_ylabel("ideal detector: top singular value share")
    fig.suptitle(f"{obj['name']}: {obj['stamp']['commit']}, seeds {','.join(map(str, obj['config']['seeds']))}",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
