"""Median and spread of repeated measurements, the form every benchmark reports a figure in.

One run of `make bench` on a busy shared machine is a sample; a figure is only worth quoting
when a second run agrees with it. So each benchmark repeats its measurement, reports the median
(what the summary keys hold) and the spread around it, and pairs its own code with its baseline
inside each round (a ratio per round) so that load which comes and goes hits both alike.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any


def spread(values: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """n, median, quartiles (inclusive method, so a handful of samples still gives them), p95,
    min and max, and the interquartile range as a share of the median (`iqr_pct`)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        q1 = q3 = p95 = ordered[0]
    else:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
        p95 = statistics.quantiles(ordered, n=20, method="inclusive")[-1]
    median = statistics.median(ordered)
    return {
        "n": len(ordered),
        "median": round(median, digits),
        "q1": round(q1, digits),
        "q3": round(q3, digits),
        "p95": round(p95, digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "iqr_pct": round(100 * (q3 - q1) / median, 1) if median else None,
    }


def paired_ratio(ours: Sequence[float], baseline: Sequence[float], digits: int = 3) -> dict[str, Any]:
    """The spread of ours[i] / baseline[i], each pair measured in the same round."""
    return spread([a / b for a, b in zip(ours, baseline, strict=True)], digits)
