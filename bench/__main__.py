"""`make bench`: every benchmark (README.md, Performance), side by side in one run.

Each writes bench/results/<name>.json; this collects bench/results/summary.json with the keys
the benchmarks issue names. A figure this codebase cannot measure yet is null, with the reason
in `missing`, never a made-up number.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from typing import Any

from bench import RESULTS, save


def _max(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _purchases_summary(result: dict[str, Any]) -> dict[str, Any]:
    """Worst single filter (wildcards included). Combinations of filters are reported in
    purchases_scale.json and `api_read_amplification_combined_max`, not in the per-filter figure:
    one filter is the Query and the others are applied to what it returns."""
    largest = result["sizes"][max(result["sizes"], key=int)]["filters"]
    every = [f for size in result["sizes"].values() for f in size["filters"].values()]
    single = {label: f for label, f in largest.items() if not label.startswith("combined")}
    combined = {label: f for label, f in largest.items() if label.startswith("combined")}
    return {
        "api_scans": sum(f["scans"] for f in every),
        "api_roundtrips_max": _max([f["round_trips"] for f in every]),
        "api_read_amplification_max": _max([f["examined_per_returned"] for f in single.values()]),
        "api_read_amplification_combined_max": _max([f["examined_per_returned"] for f in combined.values()]),
    }


# name -> (module, how to turn its result into summary keys)
BENCHMARKS: dict[str, tuple[str, Any]] = {
    "cold_start": (
        "bench.cold_start",
        lambda r: {
            "cold_start_ratio_max": r["cold_start_ratio_max"],
            "cold_start_first_request_ratio_max": r["first_request_ratio_max"],
            "cold_start_first_request_ratio_max_collecting": r["first_request_ratio_max_collecting"],
            "cold_start_first_request_floor_ratio": r["floor_first_request_ratio"],
        },
    ),
    "parse": ("bench.parse", lambda r: {"parse_ratio": r["ratio_vs_stdlib_decode"]}),
    "cost": (
        "bench.cost",
        lambda r: {k: r[k] for k in r if k.startswith("cost_per_1k_")},
    ),
    "purchases_scale": ("bench.purchases_scale", _purchases_summary),
    "pipeline": (
        "bench.pipeline",
        lambda r: {k: r.get(k) for k in ("email_to_po_s_p50", "email_to_po_s_p95")},
    ),
    "intake_hostile": (
        "bench.intake_hostile",
        lambda r: {k: r.get(k) for k in ("intake_hostile_s_max", "normal_after_hostile_s_max")},
    ),
    "oi_contention": (
        "bench.oi_contention",
        lambda r: {k: r.get(k) for k in ("oi_trials", "oi_double_sales", "hold_ms_p50")},
    ),
    "ion": (
        "bench.ion",
        lambda r: {k: r.get(k) for k in ("ion_confirm_s_p50", "ion_trials", "ion_double_sales")},
    ),
    "fulfillment": (
        "bench.fulfillment",
        lambda r: {k: r.get(k) for k in ("fulfill_s_p50", "deliveries_per_s")},
    ),
}

SUMMARY_KEYS = (
    "cold_start_ratio_max",
    "api_scans",
    "api_roundtrips_max",
    "api_read_amplification_max",
    "parse_ratio",
    "email_to_po_s_p50",
    "email_to_po_s_p95",
    "cost_per_1k_purchases_level1_usd",
    "cost_per_1k_purchases_level2_usd",
    "cost_per_1k_purchases_level3_usd",
    "cost_per_1k_sales_usd",
    "intake_hostile_s_max",
    "normal_after_hostile_s_max",
    "oi_trials",
    "oi_double_sales",
    "hold_ms_p50",
    "ion_confirm_s_p50",
    "ion_trials",
    "ion_double_sales",
    "fulfill_s_p50",
    "deliveries_per_s",
)


def machine_reference_s(rounds: int = 21) -> float:
    """The median time of a fixed piece of pure-Python work: how fast this machine runs right now.
    Ratios cancel a machine's speed; absolute figures (email to PO, hold time) move with it, so
    two runs' absolute figures are to be read next to their references."""
    import statistics

    def work() -> float:
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        json.loads(json.dumps([{"n": i, "s": str(i)} for i in range(5_000)]))
        return time.perf_counter() - started

    return round(statistics.median(work() for _ in range(rounds)), 4)


def main(names: list[str]) -> int:
    summary: dict[str, Any] = dict.fromkeys(SUMMARY_KEYS)
    previous = RESULTS / "summary.json"
    if names and previous.exists():  # a partial run keeps the other benchmarks' last figures
        summary.update(json.loads(previous.read_text()))
    missing: dict[str, str] = dict(summary.pop("missing", None) or {})
    seconds: dict[str, float] = dict(summary.pop("seconds", None) or {})
    summary["machine_reference_s"] = machine_reference_s()
    for name, (module_name, summarize) in BENCHMARKS.items():
        if names and name not in names:
            continue
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            missing[name] = f"{module_name} does not exist yet: the feature it measures is not built"
            continue
        started = time.perf_counter()
        print(f"== {name}", file=sys.stderr, flush=True)
        result = module.run()
        seconds[name] = round(time.perf_counter() - started, 1)
        summary.update(summarize(result))
    summary["machine_reference_s_after"] = machine_reference_s()
    summary["missing"] = missing
    summary["seconds"] = seconds
    save("summary", summary)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
