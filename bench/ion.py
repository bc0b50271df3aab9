"""Instant Notification benchmark (docs/marketplaces.md): notification-to-confirm latency per
marketplace, and ION sales racing OI holds for the same seats.

Runs in a child process (its own moto server in a process of its own; the local API gateway with
every function, the webhook routes included; the sales worker polling moto's queues and the
marketplace poller on its schedule, as the local stack runs them; the marketplace simulator), so
nothing leaks into or from the other benchmarks of `make bench`. Sales come the way each
marketplace sends them: `POST /ion/v1/sales` (a generic ION marketplace, SeatGeek's key), StubHub's
webhook pushed by the simulator to `/webhooks/stubhub`, Vivid Seats' orders found by the poller in
`getOrders` (at most every 10 s, Vivid's limit), Ticket Evolution's signed webhook pushed to
`/webhooks/tevo` (latency only: the contention rounds race StubHub, Vivid and a generic sale).

- Latency: UNCONTENDED sales per marketplace, each on its own ticket group, one after another.
  `confirm_s`: from the notification reaching TixPilot (the generic POST; the webhook's or the
  poll's message queued, SQS's SentTimestamp) to the sale's `confirm` step recording success
  (for StubHub and Vivid Seats: after their confirm call to the simulator answered). `sale_to_confirm_s`:
  from the sale made on the marketplace, Vivid's polling wait included.
- Contention: each round makes a ticket group of 4 seats; an OI marketplace holds 2 and invoices
  them while a StubHub sale (its webhook delivered twice), a Vivid Seats sale and a generic ION
  sale each want 2, all at once. A double sale is a seat sold to two orders (by the sales'
  invoices, and by the ledger's seats); every losing StubHub/Vivid sale must be rejected through
  its marketplace's API (the simulator's log), and no order may have two sales.
Writes bench/results/ion.json.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.child import main, measure_in_child

HOST = "127.0.0.1"
ROUNDS = 200
UNCONTENDED = 12  # Vivid Seats is polled at most every 10 s: each of its sales waits for a poll
SEATS = ["1", "2", "3", "4"]
STUBHUB, VIVID, SEATGEEK, GAMETIME, TEVO = 1, 4, 41, 25, 1001
MARKETPLACE_NAMES = {STUBHUB: "stubhub", VIVID: "vivid", SEATGEEK: "seatgeek", TEVO: "tevo"}
TIMINGS = {"TIXPILOT_ION_REJECT_AFTER_S": "1", "TIXPILOT_ION_RETRY_S": "1", "TIXPILOT_POLL_S": "1"}
DEADLINE_S = 900.0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _wait(check: Any, what: str, timeout_s: float = DEADLINE_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.05)


def _measure(rounds: int, uncontended: int) -> dict[str, Any]:
    from infra.local.__main__ import configure_environment
    from infra.local.moto_serial import EmulatorProcess, free_port

    aws_port, api_port, marketplace_port = free_port(HOST), free_port(HOST), free_port(HOST)
    os.environ.update(TIMINGS)
    configure_environment(aws_port, free_port(HOST), marketplace_port, api_port)

    import requests

    from infra.definitions.functions import MARKETPLACE_POLLER
    from infra.local.gateway import Gateway, make_server
    from infra.local.lambdas import LocalLambdas
    from infra.local.marketplace_sim import MarketplaceSimulator, make_marketplace_server
    from infra.local.queues import LocalQueueWorkers
    from infra.local.resources import ensure_resources
    from infra.local.schedule import start_schedule
    from infra.local.seed import admin_repos, seed_reference
    from tests.integration.oi_support import RESALE_IDS, ticket_group
    from tixpilot import aws
    from tixpilot.repositories.ledger import LedgerRepository
    from tixpilot.services.marketplace_credentials import set_credentials
    from tixpilot.services.tenants import create_marketplace_key, create_tenant
    from tixpilot.settings import get_settings
    from tixpilot.wiring import components
    from tixpilot.wiring.marketplaces import seller_deps

    moto = EmulatorProcess(HOST, aws_port)
    settings = get_settings()
    ensure_resources(settings, aws.client("dynamodb"), aws.client("s3"))
    seed_reference()
    tenant, _ = create_tenant(admin_repos(), "ION Bench Broker")
    tenant_id = tenant.tenant_id
    keys = {
        m: create_marketplace_key(admin_repos(), tenant_id, m, RESALE_IDS).secret
        for m in (SEATGEEK, GAMETIME)
    }
    simulator = MarketplaceSimulator(
        tevo_webhook_url=f"http://{HOST}:{api_port}/webhooks/tevo", time_scale=0.001
    )
    lambdas = LocalLambdas()
    servers = [
        make_server(Gateway(lambdas), HOST, api_port),
        make_marketplace_server(simulator, HOST, marketplace_port),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    sim_url = f"http://{HOST}:{marketplace_port}"
    sellers = {m: f"{name[:2]}-{uuid.uuid4().hex}" for m, name in MARKETPLACE_NAMES.items() if m != SEATGEEK}
    tevo_secret = uuid.uuid4().hex
    credentials = {
        STUBHUB: {"access_token": sellers[STUBHUB]},
        VIVID: {"api_token": sellers[VIVID]},
        TEVO: {"token": sellers[TEVO], "secret": tevo_secret, "reviewer_id": "12"},
    }
    for marketplace_id, fields in credentials.items():
        name = MARKETPLACE_NAMES[marketplace_id]
        seller = {"marketplace": name, "seller": sellers[marketplace_id]}
        if marketplace_id == TEVO:  # TEvo signs its webhooks with the seller's secret
            seller["secret"] = tevo_secret
        requests.post(f"{sim_url}/sandbox/sellers", json=seller, timeout=10).raise_for_status()
        # as `tixpilot marketplace-credentials set` does: StubHub's webhook registered at the API
        set_credentials(
            seller_deps(), tenant_id, marketplace_id, fields, webhook_base_url=f"http://{HOST}:{api_port}"
        )
    workers = LocalQueueWorkers(settings, lambdas, aws.client("sqs")).start()
    stop = threading.Event()
    poller = start_schedule(lambdas, MARKETPLACE_POLLER.id, settings.poll_s, stop)
    sales, ion_orders = components.sales(), components.ion_orders()
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session  # type: ignore[no-any-return]

    def market(marketplace_id: int, path: str, body: dict[str, Any] | None = None) -> int:
        response = session().post(
            f"http://{HOST}:{api_port}{path}",
            json=body,
            headers={"x-marketplace-key": keys[marketplace_id]},
            timeout=30,
        )
        return int(response.status_code)

    def announce(
        marketplace_id: int, order_id: str, tgid: int, quantity: int, twice: bool = False
    ) -> dt.datetime:
        """The sale made on its marketplace; answers when."""
        made = dt.datetime.now(dt.UTC)
        if marketplace_id == SEATGEEK:
            body = {
                "order_id": order_id,
                "ticketgroupid": tgid,
                "quantity": quantity,
                "price_per_seat": "80.00",
                "deliveryformat": "eticket",
            }
            assert market(SEATGEEK, "/ion/v1/sales", body) == 202
            return made
        sale = {
            "marketplace": MARKETPLACE_NAMES[marketplace_id],
            "seller": sellers[marketplace_id],
            "order_id": order_id,
            "ticketgroupid": str(tgid),
            "quantity": quantity,
            "price_per_seat": "90.00",
            "deliveryformat": "eticket",
        }
        for _ in range(2 if twice else 1):  # the same body twice: the webhook delivered twice
            assert session().post(f"{sim_url}/sandbox/sell", json=sale, timeout=10).status_code == 201
        return made

    def settled(marketplace_id: int, order_id: str) -> Any:
        sale = sales.get(tenant_id, marketplace_id, order_id)
        if sale is None:
            return None
        confirm, reject = sale.processing.get("confirm"), sale.processing.get("reject")
        if confirm is not None and confirm.status == "success":
            return sale
        if reject is not None and reject.status in ("pending", "success"):
            return sale
        return None

    try:
        confirm_s: dict[str, list[float]] = {name: [] for name in MARKETPLACE_NAMES.values()}
        sale_to_confirm_s: dict[str, list[float]] = {name: [] for name in MARKETPLACE_NAMES.values()}
        counter = 0
        for _ in range(uncontended):
            for marketplace_id, name in MARKETPLACE_NAMES.items():
                counter += 1
                order_id = str(1_000_000 + counter)  # the marketplaces' order ids are numbers
                made = announce(marketplace_id, order_id, ticket_group(tenant_id, SEATS), 2)
                sale = _wait(
                    lambda m=marketplace_id, o=order_id: settled(m, o), f"{name} {order_id} confirmed", 120
                )
                record = ion_orders.get(tenant_id, marketplace_id, order_id)
                assert record is not None and record.received_at is not None
                confirmed = sale.processing["confirm"].at
                confirm_s[name].append((confirmed - record.received_at).total_seconds())
                sale_to_confirm_s[name].append((confirmed - made).total_seconds())

        groups: list[int] = []
        participants: list[tuple[int, str, int]] = []  # (marketplace, order, tgid)
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            for r in range(rounds):
                tgid = ticket_group(tenant_id, SEATS)
                groups.append(tgid)
                barrier = threading.Barrier(4)
                orders = {
                    m: str(2_000_000 + r * 10 + n) for n, m in enumerate((GAMETIME, STUBHUB, VIVID, SEATGEEK))
                }

                def race(
                    marketplace_id: int,
                    tgid: int = tgid,
                    orders: dict[int, str] = orders,
                    barrier: threading.Barrier = barrier,
                ) -> None:
                    order = orders[marketplace_id]
                    barrier.wait()
                    if marketplace_id == GAMETIME:
                        body = {
                            "order_id": order,
                            "ticketgroupid": tgid,
                            "quantity": 2,
                            "price_per_seat": "70.00",
                        }
                        if market(GAMETIME, "/oi/v1/holds", body) == 200:
                            market(GAMETIME, f"/oi/v1/orders/{order}/invoice")
                    else:
                        announce(marketplace_id, order, tgid, 2, twice=marketplace_id == STUBHUB)

                list(pool.map(race, orders))
                participants.extend((m, o, tgid) for m, o in orders.items())
        raced_s = time.perf_counter() - started

        ion_participants = [p for p in participants if p[0] != GAMETIME]
        for marketplace_id, order_id, _ in ion_participants:
            _wait(
                lambda m=marketplace_id, o=order_id: settled(m, o),
                f"sale {order_id} confirmed or marked for rejection",
            )
        sold_to: dict[tuple[int, str], set[str]] = {}
        losers: list[tuple[int, str]] = []
        for marketplace_id, order_id, tgid in participants:
            sale = sales.get(tenant_id, marketplace_id, order_id)
            if sale is None:
                continue  # an OI hold that lost
            invoice = sale.processing.get("invoice")
            if invoice is not None and invoice.status == "success":
                for seat in sale.seats:
                    sold_to.setdefault((tgid, seat.number), set()).add(order_id)
            elif marketplace_id != GAMETIME:
                losers.append((marketplace_id, order_id))
        # every loser is rejected, the native ones through their marketplace's API
        for marketplace_id, order_id in losers:
            _wait(
                lambda m=marketplace_id, o=order_id: (s := sales.get(tenant_id, m, o)) and s.rejected,
                f"{order_id} rejected",
            )
        calls = session().get(f"{sim_url}/sandbox/calls", timeout=60).json()
        answered = [c for c in calls if c["operation"] in ("confirm", "reject") and c["status"] in (200, 204)]
        decided: dict[tuple[str, str], int] = {}
        for call in answered:
            key = (call["marketplace"], call["order_id"])
            decided[key] = decided.get(key, 0) + 1
        rejected_at_marketplace = {
            (c["marketplace"], c["order_id"]) for c in answered if c["operation"] == "reject"
        }
        native = [(MARKETPLACE_NAMES[m], o) for m, o, _ in ion_participants if m in (STUBHUB, VIVID)]
        native_losers = [(MARKETPLACE_NAMES[m], o) for m, o in losers if m in (STUBHUB, VIVID)]
        ledger = LedgerRepository()
        ledger_sold = sum(
            1 for tgid in groups for s in ledger.seats(tenant_id, str(tgid)) if s["status"] == "sold"
        )
        double_sales = sum(1 for owners in sold_to.values() if len(owners) > 1) + max(
            0, ledger_sold - len(sold_to)
        )
        p50 = {name: round(statistics.median(values), 3) for name, values in confirm_s.items()}
        return {
            "ion_trials": rounds,
            "ion_double_sales": double_sales,
            "ion_confirm_s_p50": max(p50.values()),
            "confirm_s_p50": p50,
            "confirm_s_p95": {name: round(_percentile(v, 0.95), 3) for name, v in confirm_s.items()},
            "sale_to_confirm_s_p50": {
                name: round(statistics.median(v), 3) for name, v in sale_to_confirm_s.items()
            },
            "sale_to_confirm_s_p95": {
                name: round(_percentile(v, 0.95), 3) for name, v in sale_to_confirm_s.items()
            },
            "seats_sold": len(sold_to),
            "ledger_seats_sold": ledger_sold,
            "ion_sales": len(ion_participants),
            "losers": len(losers),
            "native_losers": len(native_losers),
            "native_losers_rejected_at_marketplace": sum(
                1 for loser in native_losers if loser in rejected_at_marketplace
            ),
            "native_sales_decided_more_than_once": sum(1 for key in native if decided.get(key, 0) != 1),
            "sales_per_order_max": max(
                len(sales.find_by_order(tenant_id, o)) for _, o, _ in ion_participants
            ),
            "rounds_per_s": round(rounds / raced_s, 2),
            "note": "local stack pieces (moto in its own process): API gateway with the webhook "
            "routes, sales worker (2 pollers per queue), marketplace poller every second, marketplace "
            f"simulator; confirm_s: notification reaching TixPilot -> confirm step, {uncontended} "
            "sales per marketplace one at a time; sale_to_confirm_s includes Vivid's polling (10 s "
            "limit); contention: per round an OI hold (2 of 4 seats, then invoiced), a StubHub sale "
            "(webhook delivered twice), a Vivid Seats and a generic ION sale of 2 seats each at once; "
            f"losers rejected after TIXPILOT_ION_REJECT_AFTER_S={TIMINGS['TIXPILOT_ION_REJECT_AFTER_S']}",
        }
    finally:
        stop.set()
        poller.join(timeout=10)
        workers.stop()
        simulator.stop()
        for server in servers:
            server.shutdown()
            server.server_close()
        moto.stop()


def run(rounds: int = ROUNDS, uncontended: int = UNCONTENDED) -> dict[str, Any]:
    """Measure in a child process; write and return the figures."""
    return measure_in_child("bench.ion", "ION", rounds, uncontended)


if __name__ == "__main__":
    main(_measure, run)
