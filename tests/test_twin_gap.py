"""benchmarks/twin_gap.py: the test fixed before the twin-gap runs, checked against definitions."""

import numpy as np
import pytest

from benchmarks.twin_gap import detectable_gap, permutation_p, report, scores_at, welch_interval


def test_permutation_p_counts_every_split():
    """Against scipy's exact two-sided permutation test of the difference in means, for groups
    of equal and unequal size, and the smallest p five against five can give: the observed
    split and its mirror, 2 of 252."""
    from scipy import stats

    rng = np.random.default_rng(0)
    for n_b in (5, 4, 3):
        a, b = rng.normal(40, 8, 5), rng.normal(35, 8, n_b)
        ref = stats.permutation_test((a, b), lambda x, y: np.mean(x) - np.mean(y), permutation_type="independent",
                                     alternative="two-sided", n_resamples=np.inf).pvalue
        assert permutation_p(a, b) == pytest.approx(ref, abs=1e-12)
    assert permutation_p([50, 51, 52, 53, 54], [30, 31, 32, 33, 34]) == pytest.approx(2 / 252)
    assert permutation_p([1, 2, 3], [1, 2, 3]) == 1.0


def test_welch_interval_is_the_textbook_one():
    from scipy import stats

    a, b = [47.3, 55.6, 47.5, 50.1, 44.0], [36.6, 29.7, 40.2, 33.3]
    d, lo, hi = welch_interval(a, b)
    res = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert d == pytest.approx(np.mean(a) - np.mean(b)) and (lo, hi) == pytest.approx((res.low, res.high))


def test_detectable_gap_shrinks_with_seeds_and_needs_enough_of_them():
    assert detectable_gap(2, 2, 5.0) == float("inf")  # 2 / C(4, 2) = 0.33: p < 0.05 is impossible
    five, eight = detectable_gap(5, 5, 5.0), detectable_gap(8, 8, 5.0, trials=200)
    assert 5.0 < eight < five < 15.0  # about (t + z)·sd·sqrt(2/n): 9.4 and 7.3 for sd 5


def rows(fids, sha="a" * 64):
    return [{"engine": e, "seed": s, "epoch": 20, "fid": f, "classifier_sha256": sha, "classifier_test_accuracy": 0.988}
            for e, by_seed in fids.items() for s, f in by_seed.items()]


def test_report_refuses_mixed_classifiers_and_duplicates():
    good = rows({"minigan": {0: 47.3, 1: 55.6, 2: 47.5}, "pytorch": {0: 36.6, 1: 29.7}})
    text = report(good, 20)
    assert "permutation p = 0.2000" in text and "(10 splits)" in text  # twice 1 of the 10 splits of 3 and 2
    mixed = good + rows({"pytorch": {2: 30.0}}, sha="b" * 64)
    with pytest.raises(SystemExit, match="2 classifiers"):
        scores_at(mixed, 20)
    with pytest.raises(SystemExit, match="scored twice"):
        scores_at(good + rows({"minigan": {0: 40.0}}), 20)


def test_report_refuses_rows_of_another_setting_and_says_when_seeds_are_short():
    """Both engines' rows must share recipe, recipe changes, generator and precision; fewer
    seeds than the plan fixed are reported as a look, not as the test's answer."""
    good = rows({"minigan": {s: 50.0 + s for s in range(5)}, "pytorch": {s: 49.0 - s for s in range(5)}})
    assert "not the test's answer" not in report(good, 20)
    assert "not the test's answer" in report(good[:3] + good[5:], 20)
    for key, value in (("recipe", "sharp"), ("recipe_changes", {"d_spectral_norm": False}), ("generator", "averaged"),
                       ("precision", "bf16")):
        other = [dict(r, **{key: value}) if r["engine"] == "pytorch" and r["seed"] == 4 else r for r in good]
        with pytest.raises(SystemExit, match="mix 2 settings"):
            scores_at(other, 20)
