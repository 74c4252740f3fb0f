"""Mean, standard deviation and t-based 95% confidence intervals over seeds (no scipy).

A paired difference d_s = acc(model, seed s) - acc(reference, seed s) removes what the seed shares
(data order, initial weights); its 95% CI is mean(d) ± t_{0.975, n-1} · sd(d) / √n.
"""

from __future__ import annotations

import math

# two-sided 95% quantiles t_{0.975, df} of Student's t, df = 1..30 (then the normal's 1.96 is within 2%)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom (table up to 30, 1.96 beyond)."""
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise ValueError(f"t975: df must be an int >= 1, got {df!r}")
    return _T975[df - 1] if df <= len(_T975) else 1.96


def _values(xs, where: str) -> list[float]:
    values = [float(x) for x in xs]
    if not values:
        raise ValueError(f"{where}: needs at least one value, got none")
    return values


def mean(xs) -> float:
    values = _values(xs, "mean")
    return math.fsum(values) / len(values)


def sd(xs) -> float:
    """Sample standard deviation (n - 1 in the denominator); 0.0 for a single value."""
    values = _values(xs, "sd")
    if len(values) < 2:
        return 0.0
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


def ci95(xs) -> tuple[float, float]:
    """(low, high) of the t-based 95% CI of the mean; (nan, nan) for fewer than 2 values."""
    values = _values(xs, "ci95")
    if len(values) < 2:
        return float("nan"), float("nan")
    half = t975(len(values) - 1) * sd(values) / math.sqrt(len(values))
    return mean(values) - half, mean(values) + half


def paired(xs, refs) -> dict:
    """Summary of the paired differences xs[s] - refs[s] (same seeds, same order)."""
    xs, refs = _values(xs, "paired"), _values(refs, "paired")
    if len(xs) != len(refs):
        raise ValueError(f"paired: xs and refs must have the same length, got {len(xs)} and {len(refs)}")
    d = [a - b for a, b in zip(xs, refs)]
    low, high = ci95(d)
    return {"diffs": d, "mean": mean(d), "sd": sd(d), "ci95": [low, high]}


def paired_by_seed(xs: dict, refs: dict) -> dict:
    """paired() of two {seed: value} maps; they must hold the same seeds (else the pairing is not by seed)."""
    if set(xs) != set(refs):
        raise ValueError(f"paired_by_seed: the seeds differ: {sorted(xs)} vs the reference's {sorted(refs)}; "
                         "a paired difference needs every seed in both")
    seeds = sorted(xs)
    return dict(paired([xs[s] for s in seeds], [refs[s] for s in seeds]), seeds=seeds)


def summarize(xs) -> dict:
    values = _values(xs, "summarize")
    return {"n": len(values), "mean": mean(values), "sd": sd(values)}


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4]; '0,2,5' -> [0, 2, 5]; '1-3,7' -> [1, 2, 3, 7]. Duplicates are refused."""
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                lo, hi = part.split("-", 1) if not part.startswith("-") else (None, None)
                lo, hi = int(lo), int(hi)
                if hi < lo:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
        except (TypeError, ValueError):
            raise ValueError(f"--seeds: expected a list or range of ints >= 0 like '0-4' or '0,1,2', got {text!r}") from None
    if not seeds or min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seeds: expected distinct ints >= 0 like '0-4' or '0,1,2', got {text!r}")
    return seeds


def fmt_pm(values, scale: float = 100.0, digits: int = 2) -> str:
    """'97.17 ± 0.41' (mean ± sd, scaled)."""
    return f"{scale * mean(values):.{digits}f} ± {scale * sd(values):.{digits}f}"


def fmt_diff(p: dict, scale: float = 100.0, digits: int = 2) -> str:
    """'+0.40 [-0.21, +1.01]' (mean paired difference and its 95% CI)."""
    low, high = p["ci95"]
    if math.isnan(low):
        return f"{scale * p['mean']:+.{digits}f} (1 seed, no CI)"
    return f"{scale * p['mean']:+.{digits}f} [{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"
