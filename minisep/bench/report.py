"""Printing ``minisep bench``'s results: Markdown tables (pasted into docs/performance.md) and the targets."""
from __future__ import annotations

STEP_TARGETS = {"separable": 1.2, "standard": 1.5}  # issue 6: training step ratio minisep/torch


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
    out += ["", f"Ratios minisep/torch (lower is better) with issue 6's targets; throughput of minisep's kernels "
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
    out = ["Targets (issue 6)"]
    for what, value, target in items:
        if target is None:
            continue
        if value is None:
            out.append(f"- {what}: not measured (needs torch), target ≤ {target:g}")
        else:
            verdict = "met" if value <= target else f"MISSED by {value / target:.2f}x"
            out.append(f"- {what}: {value:.2f}, target ≤ {target:g}: {verdict}")
    return out
