"""bench/stats.py: the form every benchmark figure is reported in (README.md, Performance)."""

from __future__ import annotations

import pytest

from bench import stats


def test_spread_reports_the_median_quartiles_and_extremes() -> None:
    figures = stats.spread([5.0, 1.0, 3.0, 2.0, 4.0])
    assert figures["n"] == 5
    assert (figures["median"], figures["q1"], figures["q3"]) == (3.0, 2.0, 4.0)
    assert (figures["min"], figures["max"]) == (1.0, 5.0)
    assert figures["iqr_pct"] == pytest.approx(66.7)


def test_a_single_sample_is_its_own_spread() -> None:
    figures = stats.spread([0.25])
    assert figures["median"] == figures["q1"] == figures["q3"] == figures["p95"] == 0.25


def test_paired_ratio_divides_each_sample_by_its_own_baseline() -> None:
    # the machine twice as slow for the last two rounds: both sides double, the ratios do not
    ours = [0.2, 0.2, 0.4, 0.4]
    baseline = [0.1, 0.1, 0.2, 0.2]
    ratio = stats.paired_ratio(ours, baseline)
    assert ratio["median"] == ratio["min"] == ratio["max"] == 2.0
    assert stats.spread(ours)["max"] == 2 * stats.spread(ours)["min"]


def test_paired_ratio_refuses_unpaired_samples() -> None:
    with pytest.raises(ValueError):
        stats.paired_ratio([0.2, 0.3], [0.1])
