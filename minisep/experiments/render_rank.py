"""The table and figure of the functional rank test (rank_DATASET.json; see rank.py), pure functions of the JSON."""

from __future__ import annotations

from . import stats


def _runs(obj: dict, model: str) -> dict:
    """{seed: run} of ``model``'s runs."""
    out = {}
    for run in obj["runs"].values():
        if run["model"] == model:
            if run["seed"] in out:
                raise ValueError(f"render: two runs of {model} for seed {run['seed']}")
            out[run["seed"]] = run
    return out


def _acc(by_seed: dict) -> dict:
    return {s: r["test_acc"] for s, r in by_seed.items()}


def _projected(standard: dict, r: int) -> dict:
    """{seed: the projected model's record} for rank r."""
    return {s: run["projected"][str(r)] for s, run in standard.items()}


def comparisons(obj: dict) -> list[dict]:
    """Per rank r: the three accuracies by seed, the kept energy and the paired differences."""
    std = _runs(obj, obj["reference"])
    rows = []
    for r in obj["ranks"]:
        proj, scratch = _projected(std, r), _runs(obj, obj["twins"][str(r)])
        rows.append({"r": r, "proj": _acc(proj), "scratch": _acc(scratch), "std": _acc(std),
                     "kept": stats.mean(p["kept_energy"] for p in proj.values()),
                     "proj_std": stats.paired_by_seed(_acc(proj), _acc(std)),
                     "scratch_std": stats.paired_by_seed(_acc(scratch), _acc(std)),
                     "proj_scratch": stats.paired_by_seed(_acc(proj), _acc(scratch)),
                     "cost": (proj[min(proj)]["params"], proj[min(proj)]["mult_adds"]),
                     "scratch_cost": (scratch[min(scratch)]["params"], scratch[min(scratch)]["mult_adds"])})
    return rows


def _pm(by_seed: dict) -> str:
    return stats.fmt_pm([by_seed[s] for s in sorted(by_seed)])


def rank_tables(obj: dict) -> str:
    c = obj["config"]
    std = _runs(obj, obj["reference"])
    lines = [f"{c['dataset']}: {c['train_images']:,} training / {c['test_images']:,} test images, width {c['width']:g}, "
             f"{c['epochs']} epochs, seeds {','.join(map(str, c['seeds']))}. Test accuracy in %, mean ± sd over seeds; "
             "differences paired by seed, in points, with their t-based 95% CI. *Projected*: the trained standard "
             "model with every block conv (not the stem) replaced by its nearest rank-r separable layer (the top r "
             "singular vectors of each slice W[:,c,:,:]), BatchNorm statistics re-estimated on the training images, "
             "no retraining; *kept energy*: the share of each slice's Σσ² the projection keeps, mean over the block "
             "convs and seeds. *Scratch*: the separable net with depth multiplier r trained from scratch on the same "
             "seeds (the same architecture, parameters and mult-adds as the projected one).", "",
             "| r | kept energy | projected standard (no retraining) | separable m=r from scratch | standard, unprojected "
             "| projected - standard [95% CI] | scratch - standard [95% CI] | projected - scratch [95% CI] |",
             "|---" * 8 + "|"]
    rows = comparisons(obj)
    for row in rows:
        lines.append(f"| {row['r']} | {100 * row['kept']:.1f}% | {_pm(row['proj'])} | {_pm(row['scratch'])} | "
                     f"{_pm(row['std'])} | {stats.fmt_diff(row['proj_std'])} | {stats.fmt_diff(row['scratch_std'])} | "
                     f"{stats.fmt_diff(row['proj_scratch'])} |")
    recal = {s: run["recalibrated"]["test_acc"] for s, run in std.items()}
    lines += ["", f"The standard model with only its BatchNorm statistics re-estimated (no projection): {_pm(recal)} "
              f"({stats.fmt_diff(stats.paired_by_seed(recal, _acc(std)))} points to the model as trained)."]
    s0 = std[min(std)]
    lines += ["", "| model | params | mult-adds |", "|---" * 3 + "|", f"| standard | {s0['params']:,} | {s0['mult_adds']:,} |"]
    for row in rows:
        if row["cost"] != row["scratch_cost"]:
            raise ValueError(f"render: the projected rank-{row['r']} model and its twin differ in cost: "
                             f"{row['cost']} vs {row['scratch_cost']}")
        lines.append(f"| separable m={row['r']} (projected or from scratch) | {row['cost'][0]:,} | {row['cost'][1]:,} |")
    return "\n".join(lines) + "\n"


def rank_figure(obj: dict, plt):
    """Accuracy against r: projected (no retraining) and from scratch, mean ± sd; the standard as a band."""
    rows = comparisons(obj)
    fig, ax = plt.subplots(figsize=(6, 4))
    rs = [row["r"] for row in rows]
    for key, label, color in (("proj", "standard, projected onto rank r (no retraining)", "C3"),
                              ("scratch", "separable m=r, trained from scratch", "C1")):
        vals = [[100 * v for v in row[key].values()] for row in rows]
        ax.errorbar(rs, [stats.mean(v) for v in vals], yerr=[stats.sd(v) for v in vals], fmt="o-", color=color,
                    capsize=3, label=label)
    std = [100 * v for v in rows[0]["std"].values()]
    m, s = stats.mean(std), stats.sd(std)
    ax.axhspan(m - s, m + s, color="C0", alpha=0.2)
    ax.axhline(m, color="C0", label="standard, unprojected")
    ax.set_xticks(rs)
    ax.set_xlabel("rank r per input channel (depth multiplier)")
    ax.set_ylabel("test accuracy % (mean ± sd over seeds)")
    ax.legend(fontsize=8)
    return fig
