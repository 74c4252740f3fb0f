"""minisep.experiments.stats: mean, sd, the t-based 95% CI (no scipy), paired differences, seeds."""

import math

import pytest

from minisep.experiments import stats


def test_mean_and_sample_sd():
    assert stats.mean([1, 2, 3, 4]) == 2.5
    assert stats.sd([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(math.sqrt(32 / 7))  # n - 1 in the denominator
    assert stats.sd([3.0]) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        stats.mean([])


@pytest.mark.parametrize("df,t", [(1, 12.706), (2, 4.303), (4, 2.776), (9, 2.262), (29, 2.045), (30, 2.042)])
def test_t_quantile_matches_the_known_table(df, t):
    assert stats.t975(df) == t


def test_t_quantile_beyond_the_table_is_the_normal_and_bad_df_is_refused():
    assert stats.t975(31) == 1.96 and stats.t975(1000) == 1.96
    for bad in (0, -1, 2.0, True, "4"):
        with pytest.raises(ValueError, match="df"):
            stats.t975(bad)


def test_ci95_uses_t_with_n_minus_1_degrees_of_freedom():
    xs = [1.0, 2.0, 3.0, 4.0, 5.0]                      # mean 3, sd √2.5, n 5: t_{0.975,4} = 2.776
    half = 2.776 * math.sqrt(2.5) / math.sqrt(5)
    low, high = stats.ci95(xs)
    assert low == pytest.approx(3 - half) and high == pytest.approx(3 + half)
    assert half == pytest.approx(1.963, abs=1e-3)


def test_one_value_has_no_ci_and_says_so():
    low, high = stats.ci95([0.9])
    assert math.isnan(low) and math.isnan(high)
    p = stats.paired([0.91], [0.90])
    assert p["mean"] == pytest.approx(0.01) and p["sd"] == 0.0
    assert stats.fmt_diff(p) == "+1.00 (1 seed, no CI)"


def test_paired_differences_and_their_ci():
    xs, refs = [0.90, 0.92, 0.91], [0.89, 0.90, 0.91]
    p = stats.paired(xs, refs)
    assert p["diffs"] == pytest.approx([0.01, 0.02, 0.0])
    assert p["mean"] == pytest.approx(0.01) and p["sd"] == pytest.approx(0.01)
    half = 4.303 * 0.01 / math.sqrt(3)
    assert p["ci95"] == pytest.approx([0.01 - half, 0.01 + half])
    assert stats.fmt_diff(p) == f"+1.00 [{100 * (0.01 - half):+.2f}, {100 * (0.01 + half):+.2f}]"
    assert stats.fmt_pm(xs) == "91.00 ± 1.00"


def test_pairing_mismatches_raise():
    with pytest.raises(ValueError, match="same length"):
        stats.paired([0.9, 0.8], [0.9])
    with pytest.raises(ValueError, match="seeds differ"):
        stats.paired_by_seed({0: 0.9, 1: 0.8}, {0: 0.9, 2: 0.7})
    p = stats.paired_by_seed({1: 0.8, 0: 0.9}, {0: 0.85, 1: 0.8})   # order of the maps does not matter
    assert p["seeds"] == [0, 1] and p["diffs"] == pytest.approx([0.05, 0.0])


def test_summarize():
    assert stats.summarize([1, 3]) == {"n": 2, "mean": 2.0, "sd": pytest.approx(math.sqrt(2))}


@pytest.mark.parametrize("text,seeds", [("0-4", [0, 1, 2, 3, 4]), ("0,2,5", [0, 2, 5]), ("1-3,7", [1, 2, 3, 7]),
                                        ("3", [3])])
def test_parse_seeds(text, seeds):
    assert stats.parse_seeds(text) == seeds


@pytest.mark.parametrize("text", ["", "a", "4-2", "0,0", "-1", "1-", "0-2,2"])
def test_parse_seeds_refuses_bad_lists(text):
    with pytest.raises(ValueError, match="--seeds"):
        stats.parse_seeds(text)
