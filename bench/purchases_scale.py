"""DynamoDB cost of `GET /v2/purchases` per filter at 10k and 100k purchases.

Seeds a moto server (in a process of its own) with the generator behind `tixpilot demo seed`,
then runs each filter once through the real api_purchases handler while a botocore hook records
every DynamoDB call after auth: calls, round trips (calls that overlap in time are one round
trip: they run side by side), items examined (ScannedCount; items read by Get/BatchGet) vs
purchases returned, and consumed capacity. Figures are counts and ratios, never durations
(seeding time is reported).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from typing import Any

from bench import save
from bench.dynamodb_calls import DynamoCalls
from bench.local_aws import emulator_environment

PAGE_SIZE = 100


def filter_cases(data: list[Any]) -> list[tuple[str, dict[str, str]]]:
    """One query per filter (values taken from the account), plus two combined ones."""
    from tixpilot.legacy import format_date

    sample = next(p for p in data[len(data) // 3 :] if p.purchase_date and p.creditcard_last4)
    starts = sample.event.starts_at
    first_seen = sample.datefirstseen.astimezone(dt.UTC).date()
    with_po = next(p for p in data if p.purchaseorders)
    card = next(p.creditcard_last4 for p in data if p.creditcard_last4)
    other_card = next(p.creditcard_last4 for p in data if p.creditcard_last4 not in (None, card))
    word = sample.event.name.split()[0]
    return [
        ("none", {}),
        ("rid", {"rid": str(sample.rid)}),
        ("datefirstseen", {"datefirstseen": format_date(first_seen)}),
        ("datefirstseen>=", {"datefirstseen": f">={format_date(first_seen)}"}),
        ("datefirstseen<=", {"datefirstseen": f"<={format_date(first_seen)}"}),
        ("eventdate", {"eventdate": format_date(starts.date())}),
        (
            "eventdatestart+eventdateend",
            {
                "eventdatestart": format_date(starts.date()),
                "eventdateend": format_date(starts.date() + dt.timedelta(days=30)),
            },
        ),
        ("purchasedate", {"purchasedate": format_date(sample.purchase_date)}),
        (
            "purchasedatestart+purchaseenddate",
            {
                "purchasedatestart": format_date(sample.purchase_date - dt.timedelta(days=30)),
                "purchaseenddate": format_date(sample.purchase_date),
            },
        ),
        ("eventname", {"eventname": word}),
        ("venuename", {"venuename": sample.event.venue[3:9]}),
        ("eventname (one letter)", {"eventname": "e"}),
        ("confirmationnumber", {"confirmationnumber": sample.confirmation_number}),
        ("confirmationregion", {"confirmationregion": "TX"}),
        ("confirmationregion=null", {"confirmationregion": "null"}),
        ("poid", {"poid": next(iter(with_po.purchaseorders.values()))}),
        ("poid (2 values)", {"poid": f"{next(iter(with_po.purchaseorders.values()))},{500007}"}),
        ("ccdigits", {"ccdigits": card}),
        ("ccdigits (2 values)", {"ccdigits": f"{card},{other_card}"}),
        ("elig_refund", {"elig_refund": "unknown"}),
        ("username", {"username": sample.account_username}),
        ("status", {"status": "Canceled"}),
        (
            "combined: username+status+elig_refund",
            {"username": sample.account_username, "status": "Active", "elig_refund": "true"},
        ),
        ("combined: eventname+ccdigits", {"eventname": word, "ccdigits": card}),
    ]


def _measure(handler: Any, token: str, query: dict[str, str], recorder: DynamoCalls) -> dict[str, Any]:
    from infra.definitions.functions import FUNCTIONS
    from infra.local.lambdas import LocalContext
    from tests.events import api_event

    recorder.calls.clear()
    recorder.active = True
    event = api_event("GET", "/v2/purchases", token=token, query={**query, "page_size": str(PAGE_SIZE)})
    response = handler(event, LocalContext(FUNCTIONS["api_purchases"]))
    recorder.active = False
    body = json.loads(response["body"])
    assert response["statusCode"] == 200, body
    returned = len(body["output"][0]["purchases"])
    calls, examined = recorder.data_calls(), recorder.examined()
    return {
        "query": query,
        "calls": len(calls),
        "operations": sorted({f"{c['op']}:{c['index'] or 'table'}" for c in calls}),
        "scans": sum(c["op"] == "Scan" for c in calls),
        "round_trips": recorder.round_trips(),
        "returned": returned,
        "examined": examined,
        "examined_per_returned": round(examined / returned, 3) if returned else None,
        "capacity_units": round(sum(c["capacity"] for c in calls), 2),
    }


def run(sizes: tuple[int, ...] = (10_000, 100_000), write: bool = True) -> dict[str, Any]:
    """Seed each size as its own tenant in one moto server, measure every filter, write JSON."""
    from infra.local.moto_serial import EmulatorProcess, free_port

    port = free_port()
    server = EmulatorProcess("127.0.0.1", port)
    try:
        with emulator_environment(f"http://127.0.0.1:{port}"):
            return _measure_sizes(sizes, write)
    finally:
        server.stop()


def _measure_sizes(sizes: tuple[int, ...], write: bool) -> dict[str, Any]:
    from functions.api_purchases.handler import lambda_handler
    from infra.local.demo_purchases import generate, seed_purchases
    from infra.local.resources import ensure_resources
    from infra.local.seed import admin_repos
    from tixpilot import aws
    from tixpilot.services.tenants import create_tenant
    from tixpilot.settings import get_settings

    ensure_resources(get_settings(), aws.client("dynamodb"), aws.client("s3"))
    recorder = DynamoCalls(capacity=True, active=False)
    recorder.attach(aws.dynamodb())
    results: dict[str, Any] = {"page_size": PAGE_SIZE, "sizes": {}}
    for size in sizes:
        tenant, issued = create_tenant(admin_repos(), f"Bench {size}")
        started = time.perf_counter()
        seeded = seed_purchases(tenant.tenant_id, size)
        seconds = time.perf_counter() - started
        print(f"seeded {size} purchases in {seconds:.0f} s", file=sys.stderr)
        data = list(generate(tenant.tenant_id, size, seeded["first_rid"]))
        figures = {
            label: _measure(lambda_handler, issued.secret, query, recorder)
            for label, query in filter_cases(data)
        }
        results["sizes"][str(size)] = {"seed_seconds": round(seconds, 1), "filters": figures}
        for label, f in figures.items():
            print(
                f"{size:>7} {label:<40} trips={f['round_trips']} calls={f['calls']} "
                f"examined/returned={f['examined']}/{f['returned']}",
                file=sys.stderr,
            )
    if write:
        save("purchases_scale", results)
    return results


if __name__ == "__main__":
    chosen = tuple(int(a) for a in sys.argv[1:]) or (10_000, 100_000)
    run(chosen)
