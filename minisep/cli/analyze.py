"""CLI verb `analyze`: a per-layer separability report of a trained checkpoint (minisep/app/analyze.py)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

from .common import DATASETS, EXIT_INTERRUPTED, Formatter, UserFacingError, check_output_path, interrupt_guard


def _int(value, option: str, low: int, high: int | None = None) -> int | None:
    """``value`` (a string from the command line, or None) as an int in [low, high]; else one clear line."""
    if value is None:
        return None
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = None
    if n is None or n < low or (high is not None and n > high):
        bound = f">= {low}" + ("" if high is None else f" and <= {high}")
        raise UserFacingError(f"{option} must be an integer {bound}, got {value!r}")
    return n


def _threshold(value) -> float:
    try:
        t = float(value)
    except (TypeError, ValueError):
        t = math.nan
    if not (math.isfinite(t) and t >= 0):
        raise UserFacingError(f"--threshold must be a finite number of points >= 0, got {value!r}")
    return t


def _analyze(args) -> int:
    from ..app import analyze

    if args.dataset is not None and args.dataset not in DATASETS:
        raise UserFacingError(f"--dataset must be one of {', '.join(DATASETS)}, got {args.dataset!r}")
    m, lags = _int(args.rank, "--rank", 1, 64), _int(args.lags, "--lags", 1, 16)
    limit, threshold = _int(args.limit, "--limit", 1), _threshold(args.threshold)
    if args.out is not None:
        check_output_path(f"{args.out}.md", "--out")
    model, meta = analyze.load_model(args.checkpoint)
    dataset = args.dataset or meta["dataset"]
    if dataset != meta["dataset"]:
        print(f"minisep analyze: warning: the checkpoint was trained on {meta['dataset']}, analysing it on {dataset}",
              file=sys.stderr)
    data_dir = args.data_dir or (meta.get("data_dir") if isinstance(meta.get("data_dir"), str) else None)
    train, test = analyze.load_splits(meta, dataset, data_dir, not args.no_download, limit)
    log = (lambda *a: None) if args.quiet else (lambda text: print(text, file=sys.stderr))
    log(f"minisep analyze: {meta['model']} on {dataset}: projecting each layer in turn (m = {m})")
    with interrupt_guard():
        try:
            report = analyze.analyze(model, train, test, m=m, lags=lags, threshold=threshold, log=log)
        except KeyboardInterrupt:
            print("\nminisep analyze: interrupted; nothing written", file=sys.stderr)
            return EXIT_INTERRUPTED
    report.update(checkpoint=Path(args.checkpoint).name, model=meta["model"], dataset=dataset)
    title = f"{Path(args.checkpoint).name} ({meta['model']}, {dataset})"
    print(analyze.markdown(report, title), end="")
    if args.out is not None:
        for path in analyze.write_report(args.out, report, title):
            log(f"wrote {path}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("analyze", help="per layer: would it survive being made separable?", formatter_class=Formatter,
                       description="For every conv layer of a checkpoint: the spatial autocorrelation and the "
                                   "cross-channel correlation of its input, the energy of its kernels in the top "
                                   "singular values, and the test-accuracy drop when that one layer is replaced by "
                                   "its nearest separable layer (BatchNorm re-estimated); a Markdown table on stdout.")
    p.add_argument("checkpoint", help="a .npz written by `minisep train --out`")
    p.add_argument("--dataset", default=None, metavar="NAME",
                   help=f"{', '.join(DATASETS)} (default: the one the checkpoint was trained on)")
    p.add_argument("--data-dir", default=None, help="folder holding the IDX files (default: the one the run used)")
    p.add_argument("--no-download", action="store_true", help="never try to download")
    p.add_argument("--limit", default=None, metavar="N",
                   help="use only the first N training images to re-estimate BatchNorm (default: all)")
    p.add_argument("--rank", default="1", metavar="M", help="depth multiplier m of the separable projection")
    p.add_argument("--lags", default="3", metavar="K", help="autocorrelation lags 1..K")
    p.add_argument("--threshold", default="1.0", metavar="PTS",
                   help="a layer 'would survive' when the test accuracy drops by at most PTS points")
    p.add_argument("--out", default=None, metavar="PREFIX",
                   help="also write PREFIX.md, PREFIX.json and PREFIX.png (with matplotlib), atomically")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_analyze)
