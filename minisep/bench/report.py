"""Printing ``minisep bench``'s results: Markdown tables (pasted into docs/performance.md) and the targets."""
from __future__ import annotations

STEP_TARGETS = {"separable": 0.6, "standard": 0.9}  # training step ratio minisep/torch
API_TARGET = 0.5  # depthwise fwd+bwd through the public autograd API


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = 1e3 * seconds
    return f"{ms:.3f}" if ms < 1 else f"{ms:.2f}" if ms < 100 else f"{ms:.0f}"


def judge(value: float | None, target: float | None) -> str:
    """'0.62 (≤ 0.8 met)', '1.7 (≤ 1.5 missed)', or the bare value when there is no target."""
    if value is None:
        return "-"
    if target is None:
        return f"{value:.2f}"
    return f"{value:.2f} (≤ {target:g} {'met' if value <= target else 'MISSED'})"


def kernel_tables(rows: list[dict], floor_gbs: float) -> list[str]:
    out = ["Kernels: median ms per call (fwd = forward; fwd+bwd = forward + backward_input + backward_weight;",
           "reference = the numpy *_reference twins; spread = the largest IQR/median of the row's timings)", "",
           "| case | dtype | minisep fwd | minisep fwd+bwd | reference fwd | reference fwd+bwd | torch fwd "
           "| torch fwd+bwd | spread |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, m = r["stats"], r["metrics"]
        cells = [fmt_ms(s[k].median) if k in s else "-" for k in (
            "minisep fwd", "minisep fwd+bwd", "reference fwd", "reference fwd+bwd", "torch fwd", "torch fwd+bwd")]
        out.append(f"| {r['case'].label} | {r['case'].dtype} | " + " | ".join(cells) + f" | {m['spread']:.0%} |")
    out += ["", f"Ratios minisep/torch (lower is better) with the targets; throughput of minisep's kernels "
            f"(GB/s: bytes of x + y + w over the forward time; GFLOP/s: 2·mult-adds / time, fwd+bwd counts 3 "
            f"passes); x floor = forward time / time to move x + y + w at {floor_gbs:.1f} GB/s", "",
            "| case | fwd ratio | fwd+bwd ratio | fwd GB/s | fwd GFLOP/s | fwd+bwd GFLOP/s | x floor | check |",
            "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        c, m = r["case"], r["metrics"]
        check = "-" if "ok" not in r else ("ok" if r["ok"] else "MISMATCH") + f" {r['error']:.0e}"
        out.append(f"| {c.label} | {judge(m['ratio_fwd'], c.target_fwd)} | {judge(m['ratio_fb'], c.target_fb)} "
                   f"| {m['gbs']:.1f} | {m['gflops_fwd']:.1f} | {m['gflops_fb']:.1f} "
                   f"| {judge(m['x_floor'], c.target_floor)} | {check} |")
    notes = [f"- {r['case'].label}: {n}" for r in rows for n in r["notes"]]
    return out + ([""] + notes if notes else [])


def split_table(rows: list[dict], kernels: tuple) -> list[str]:
    """minisep's three kernels timed one by one next to torch's (aten.convolution_backward)."""
    short = {"forward": "fwd", "backward_input": "bwd_input", "backward_weight": "bwd_weight"}
    out = ["The three kernels one by one: median ms, minisep / torch (torch: aten.convolution and "
           "aten.convolution_backward asked for one gradient)", "",
           "| case | " + " | ".join(f"{short[k]} minisep / torch (ratio)" for k in kernels) + " | spread |",
           "|---|" + "---|" * (len(kernels) + 1)]
    for r in rows:
        s = r.get("split")
        if not s:
            continue
        cells = []
        for k in kernels:
            ours, theirs = s[f"minisep {k}"], s.get(f"torch {k}")
            cells.append(f"{fmt_ms(ours.median)} / {fmt_ms(theirs.median)} ({ours.median / theirs.median:.2f})"
                         if theirs else f"{fmt_ms(ours.median)} / -")
        out.append(f"| {r['case'].label} | " + " | ".join(cells) + f" | {max(v.spread for v in s.values()):.0%} |")
    return out


def step_table(rows: list[dict]) -> list[str]:
    out = [f"Training step (forward + cross-entropy, backward, Adam), batch {rows[0]['batch']}, input 1x28x28, "
           "float32: median ms; phases = forward / backward / optimizer", "",
           "| model | params | mult-adds/img | minisep ms | minisep phases | torch ms | torch phases | ratio "
           "| spread | logits rel. err |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s, ph = r["stats"], r["phases"]
        phases = {who: " / ".join(f"{v:.1f}" for v in p.values()) for who, p in ph.items()}
        err = f"{r['logits_error']:.0e}" + ("" if r["ok"] else " MISMATCH") if "logits_error" in r else "-"
        out.append(f"| {r['variant']} | {r['params']:,} | {r['mult_adds']:,} | {fmt_ms(s['minisep'].median)} "
                   f"| {phases['minisep']} | {fmt_ms(s['torch'].median) if 'torch' in s else '-'} "
                   f"| {phases.get('torch', '-')} | {judge(r['ratio'], STEP_TARGETS.get(r['variant']))} "
                   f"| {max(st.spread for st in s.values()):.0%} | {err} |")
    return out


def target_lines(kernel_rows: list[dict], step_rows: list[dict]) -> list[str]:
    items = []
    for r in kernel_rows:
        c, m = r["case"], r["metrics"]
        items += [(f"{c.label} fwd ratio", m["ratio_fwd"], c.target_fwd),
                  (f"{c.label} fwd+bwd ratio", m["ratio_fb"], c.target_fb),
                  (f"{c.label} forward x bandwidth floor", m["x_floor"], c.target_floor)]
    items += [(f"training step {r['variant']} ratio", r["ratio"], STEP_TARGETS.get(r["variant"])) for r in step_rows]
    out = ["Targets (interleaved in one process: flatters minisep; the isolated harness is the one judged)"]
    for what, value, target in items:
        if target is None:
            continue
        if value is None:
            out.append(f"- {what}: not measured (needs torch), target ≤ {target:g}")
        else:
            verdict = "met" if value <= target else f"MISSED by {value / target:.2f}x"
            out.append(f"- {what}: {value:.2f}, target ≤ {target:g}: {verdict}")
    return out


# ---- the isolated harness (minisep.bench.isolated): each library in its own process --------------

def _cell(entry: dict, target: float | None = None) -> str:
    if entry["torch_s"] is None:
        return f"{fmt_ms(entry['minisep_s'])} / -"
    return f"{fmt_ms(entry['minisep_s'])} / {fmt_ms(entry['torch_s'])} = {judge(entry['ratio'], target)}"


def isolated_tables(summary: dict, cases: list, rounds: int) -> list[str]:
    """The kernels one by one, depthwise fwd+bwd and floor, the public API and the training steps."""
    from .cases import PASS_TARGET
    short = {"forward": "fwd", "backward_input": "bwd_input", "backward_weight": "bwd_weight"}
    out = [f"Each library in its own process, {rounds} alternating rounds; median ms minisep / torch (ratio, "
           "target); spread = (max - min) / median over the rounds", "",
           "| case | " + " | ".join(f"{v} minisep / torch (ratio)" for v in short.values()) + " | spread |",
           "|---|---|---|---|---|"]
    for c in cases:
        row = summary["kernels"][c.label]
        cells = [_cell(row[p], PASS_TARGET[c.kind]) for p in short]
        spread = max((row[p]["spread"] or 0.0) for p in short)
        out.append(f"| {c.label} | " + " | ".join(cells) + f" | {spread:.0%} |")
    floor = summary["floor_gbs"]
    out += ["", f"Depthwise fwd+bwd and the forward against the bandwidth floor ({floor:.1f} GB/s, np.copyto in the "
            "minisep child); public API = F.depthwise_conv2d -> product with a fixed gy -> sum().backward()", "",
            "| case | fwd+bwd minisep / torch (ratio) | x floor | public API minisep / torch (ratio) |",
            "|---|---|---|---|"]
    for c in cases:
        if c.kind != "depthwise":
            continue
        row = summary["kernels"][c.label]
        x_floor = row["forward"]["minisep_s"] / (c.bytes_moved() / (floor * 1e9))
        api = summary["api"].get(c.label)
        out.append(f"| {c.label} | {_cell(row['fwd+bwd'], c.target_fb)} | {judge(x_floor, c.target_floor)} "
                   f"| {_cell(api, API_TARGET) if api else '-'} |")
    if summary["steps"]:
        out += ["", "Training step (forward + cross-entropy, backward, Adam), batch 128, 1x28x28 float32", "",
                "| model | minisep / torch ms (ratio) | spread |", "|---|---|---|"]
        for variant, entry in summary["steps"].items():
            out.append(f"| {variant} | {_cell(entry, STEP_TARGETS.get(variant))} | {entry['spread']:.0%} |")
    for label in summary["mismatch"]:
        out.append(f"MISMATCH: {label}: minisep's and torch's results differ (checksums)")
    return out


def isolated_verdicts(summary: dict, cases: list) -> list[str]:
    """One line per target: met, or missed by how much."""
    from .cases import PASS_TARGET
    items = []
    for c in cases:
        row = summary["kernels"][c.label]
        items += [(f"{c.label} {p}", row[p]["ratio"], PASS_TARGET[c.kind]) for p in
                  ("forward", "backward_input", "backward_weight")]
        if c.target_fb:
            items.append((f"{c.label} fwd+bwd", row["fwd+bwd"]["ratio"], c.target_fb))
        if c.target_floor:
            x = row["forward"]["minisep_s"] / (c.bytes_moved() / (summary["floor_gbs"] * 1e9))
            items.append((f"{c.label} forward x bandwidth floor", x, c.target_floor))
        if c.label in summary["api"]:
            items.append((f"{c.label} public API fwd+bwd", summary["api"][c.label]["ratio"], API_TARGET))
    items += [(f"training step {v}", e["ratio"], STEP_TARGETS.get(v)) for v, e in summary["steps"].items()]
    out = ["Targets (isolated processes)"]
    met = 0
    for what, value, target in items:
        if value is None or target is None:
            out.append(f"- {what}: not measured" if target else "")
            continue
        met += value <= target
        out.append(f"- {what}: {value:.2f}, target ≤ {target:g}: " +
                   ("met" if value <= target else f"MISSED by {value / target:.2f}x"))
    out.insert(1, f"{met} of {sum(1 for _, v, t in items if v is not None and t)} met")
    return [line for line in out if line]
