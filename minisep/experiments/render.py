"""Markdown tables from the result JSON files, and the doc's tables between <!-- results:NAME --> markers."""

from __future__ import annotations

import re
from pathlib import Path

from ..data._atomic import atomic_write_bytes
from . import stats
from .stamp import stamp_line
from .store import load


def _groups(runs: dict) -> dict:
    """{(label, width, first_layer, rho): {seed: run}} in the order the runs were made."""
    groups: dict = {}
    for run in runs.values():
        key = (run.get("label", run["model"]), run.get("width"), run.get("first_layer"), run.get("rho"))
        groups.setdefault(key, {})[run["seed"]] = run
    return groups


def table(obj: dict) -> str:
    """Mean ± sd per group and the paired difference (95% CI over seeds) to the first group of its rho."""
    groups = _groups(obj["runs"])
    refs: dict = {}
    lines = ["| model | width | first layer | rho | seeds | params | mult-adds | test acc % (mean ± sd) "
             "| paired diff to reference [95% CI] | s/epoch |", "|---" * 10 + "|"]
    for (label, width, first, rho), by_seed in groups.items():
        seeds = sorted(by_seed)
        accs = [by_seed[s]["test_acc"] for s in seeds]
        ref = refs.setdefault(rho, (label, by_seed))
        common = [s for s in seeds if s in ref[1]]
        diff = ("reference" if ref[0] == label and ref[1] is by_seed else
                stats.fmt_diff(stats.paired([by_seed[s]["test_acc"] for s in common],
                                            [ref[1][s]["test_acc"] for s in common])) + f" vs {ref[0]}")
        r0 = by_seed[seeds[0]]
        lines.append(f"| {label} | {'' if width is None else format(width, 'g')} | {first or ''} | "
                     f"{'' if rho is None else format(rho, 'g')} | {','.join(map(str, seeds))} | {r0['params']:,} | "
                     f"{r0['mult_adds']:,} | {stats.fmt_pm(accs)} | {diff} | "
                     f"{stats.mean(by_seed[s]['seconds_per_epoch'] for s in seeds):.2f} |")
    return "\n".join(lines) + "\n\n" + stamp_line(obj["stamp"]) + "\n"


def write_outputs(folder: Path, name: str) -> Path:
    path = Path(folder) / f"{name}.md"
    atomic_write_bytes(path, table(load(Path(folder) / f"{name}.json")).encode())
    return path


MARKER = re.compile(r"(<!-- results:(?P<name>[\w/]+) -->\n)(.*?)(<!-- /results:(?P=name) -->)", re.S)


def render_doc(text: str, results: Path) -> str:
    """``text`` with every marked block replaced by the table rendered from results/NAME.json."""
    return MARKER.sub(lambda m: m.group(1) + table(load(Path(results) / f"{m.group('name')}.json")) + m.group(4), text)


def update_doc(doc: Path, results: Path) -> None:
    atomic_write_bytes(doc, render_doc(Path(doc).read_text(), results).encode())
