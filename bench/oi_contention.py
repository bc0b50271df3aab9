"""Order Integration contention benchmark (docs/marketplaces.md): marketplaces racing for the same
seats through the local API over HTTP.

The measurement runs in a child process (its own moto server, gateway and clients, so nothing
leaks into or from the other benchmarks of `make bench`): moto in server mode with the local
stack's DynamoDB isolation, in a process of its own (infra/local/moto_serial.py), the local API
gateway with the real Lambda handlers, and HTTP clients. Each round makes a ticket group of 4
seats; THREADS orders ask for 3 of them at once (exactly one can win); then every order is
invoiced at once, twice. A double sale is a seat sold to two orders (by the invoice answers, and
by the ledger's seats).
Writes bench/results/oi_contention.json.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.child import main, measure_in_child

HOST = "127.0.0.1"
THREADS = 6  # orders racing per round; 8 made `make bench` brush its 10 minutes
ROUNDS = 200
SEATS = ["1", "2", "3", "4"]
QUANTITY = 3
UNCONTENDED = 100


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _measure(rounds: int, threads: int) -> dict[str, Any]:
    from infra.local.__main__ import configure_environment
    from infra.local.moto_serial import EmulatorProcess, free_port

    aws_port, api_port = free_port(HOST), free_port(HOST)
    configure_environment(aws_port, free_port(HOST))

    import requests

    from infra.local.gateway import Gateway, make_server
    from infra.local.lambdas import LocalLambdas
    from infra.local.resources import ensure_resources
    from infra.local.seed import admin_repos, seed_reference
    from tests.integration.oi_support import RESALE_IDS, ticket_group
    from tixpilot import aws
    from tixpilot.repositories.ledger import LedgerRepository
    from tixpilot.services.tenants import create_marketplace_key, create_tenant
    from tixpilot.settings import get_settings

    moto = EmulatorProcess(HOST, aws_port)
    ensure_resources(get_settings(), aws.client("dynamodb"), aws.client("s3"))
    seed_reference()
    tenant, _ = create_tenant(admin_repos(), "OI Bench Broker")
    key = create_marketplace_key(admin_repos(), tenant.tenant_id, 25, RESALE_IDS).secret
    server = make_server(Gateway(LocalLambdas()), HOST, api_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = threading.local()

    def post(path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any], float]:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        started = time.perf_counter()
        response = local.session.post(
            f"http://{HOST}:{api_port}{path}", json=body, headers={"x-marketplace-key": key}, timeout=30
        )
        return response.status_code, response.json(), (time.perf_counter() - started) * 1000

    def hold(order_id: str, tgid: int) -> tuple[int, dict[str, Any], float]:
        body = {"order_id": order_id, "ticketgroupid": tgid, "quantity": QUANTITY, "price_per_seat": "120.00"}
        return post("/oi/v1/holds", body)

    try:
        # uncontended: one marketplace, one order at a time (the latency a marketplace sees)
        single_ms: list[float] = []
        for n in range(UNCONTENDED):
            status, _, ms = hold(f"9{n:06d}", ticket_group(tenant.tenant_id, SEATS))
            assert status == 200
            single_ms.append(ms)

        winners: list[int] = []
        contended_ms: list[float] = []
        winner_ms: list[float] = []
        sold_to: dict[tuple[int, str], set[str]] = {}
        unexpected: Counter[int] = Counter()
        groups: list[int] = []
        started = time.perf_counter()
        hold_seconds = 0.0
        with ThreadPoolExecutor(threads) as pool:
            for r in range(rounds):
                tgid = ticket_group(tenant.tenant_id, SEATS)
                groups.append(tgid)
                barrier = threading.Barrier(threads)
                orders = [f"{r + 1}{n:03d}" for n in range(threads)]

                def contend(order_id: str, tgid: int = tgid, barrier: threading.Barrier = barrier) -> Any:
                    barrier.wait()
                    return hold(order_id, tgid)

                t0 = time.perf_counter()
                answers = list(pool.map(contend, orders))
                hold_seconds += time.perf_counter() - t0
                won = [a for a in answers if a[0] == 200]
                winners.append(len(won))
                contended_ms.extend(a[2] for a in answers)
                winner_ms.extend(a[2] for a in won)
                unexpected.update(a[0] for a in answers if a[0] not in (200, 409))
                invoices = list(pool.map(lambda o: post(f"/oi/v1/orders/{o}/invoice"), orders * 2))
                for status, body, _ in invoices:
                    if status == 200:
                        out = body["output"][0]
                        for seat in out["seats"]:
                            sold_to.setdefault((tgid, seat), set()).add(out["order_id"])
                    elif status != 404:
                        unexpected[status] += 1
        elapsed = time.perf_counter() - started
        ledger = LedgerRepository()
        ledger_double = 0
        for tgid in groups:
            sold = [s for s in ledger.seats(tenant.tenant_id, str(tgid)) if s["status"] == "sold"]
            ledger_double += len(sold) - QUANTITY if len(sold) > QUANTITY else 0
        double_sales = sum(1 for owners in sold_to.values() if len(owners) > 1) + ledger_double
        return {
            "oi_trials": rounds,
            "threads": threads,
            "oi_double_sales": double_sales,
            "hold_ms_p50": round(statistics.median(single_ms), 2),
            "hold_ms_p95": round(_percentile(single_ms, 0.95), 2),
            "hold_ms_p50_contended": round(statistics.median(contended_ms), 2),
            "hold_ms_p50_winner_contended": round(statistics.median(winner_ms), 2),
            "winners_per_round": {
                "min": min(winners),
                "max": max(winners),
                "mean": round(statistics.mean(winners), 3),
                "rounds_with_exactly_one": sum(1 for w in winners if w == 1),
            },
            "holds_per_s": round(rounds * threads / hold_seconds, 1),
            "seats_sold": len(sold_to),
            "unexpected_statuses": {str(k): v for k, v in unexpected.items()},
            "seconds": round(elapsed, 1),
            "note": f"local API over HTTP (in-process gateway; moto server with serialized DynamoDB "
            "in its own process); "
            f"hold_ms_p50: {UNCONTENDED} uncontended holds one after another; contended: {threads} "
            f"orders per round ask for {QUANTITY} of {len(SEATS)} seats at once; every order then "
            "invoiced twice at once; holds_per_s counts the contended hold requests answered per second",
        }
    finally:
        server.shutdown()
        server.server_close()
        moto.stop()


def run(rounds: int = ROUNDS, threads: int = THREADS) -> dict[str, Any]:
    """Measure in a child process; write and return the figures."""
    return measure_in_child("bench.oi_contention", "OI contention", rounds, threads)


if __name__ == "__main__":
    main(_measure, run)
