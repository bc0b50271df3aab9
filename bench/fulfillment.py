"""Fulfillment benchmark (docs/fulfillment.md): how long a sale takes to be delivered once it is
released, and how many deliveries per second the worker makes.

Runs in a child process (its own moto server in a process of its own; the local API gateway with
every function; the queue workers polling moto's queues and the retry timer's state machine in
moto's interpreter, as the local stack runs them; the primary sandbox; the marketplace
simulator), so nothing leaks into or from the other benchmarks of `make bench`.

Each sale is made the way a broker's is: an order on the primary sandbox with barcodes and
ticket files, crawled (its files kept in S3) and PO'd into the builtin POS; the sale made on the
marketplace (the simulator's `/sandbox/sell`), confirmed there, and recorded with
`POST /v2/sales/add` (confirmed, from that ticket group). Then `GET /v2/fulfill` releases it.

- Latency (`fulfill_s`): UNCONTENDED sales per marketplace, one at a time: from the
  `GET /v2/fulfill` request to the sale's `fulfill` step reading success (polled every 20 ms;
  the step is written once the marketplace took the tickets; one clock, this machine's). StubHub
  takes the barcodes per seat, Vivid Seats the ticket files (PDF upload). `fulfill_s_p50` is the
  worse marketplace's median. Every sale must show exactly one successful deliver call in the
  simulator's log.
- Throughput (`deliveries_per_s`): BURST StubHub sales released at once (8 clients): sales
  delivered / seconds from the first request until every one reads delivered.
Writes bench/results/fulfillment.json.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.child import main, measure_in_child

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
UNCONTENDED = 15
BURST = 100
STUBHUB, VIVID = 1, 4
NAMES = {STUBHUB: "stubhub", VIVID: "vivid"}
FORMATS = {STUBHUB: "barcode", VIVID: "eticket"}
CREDENTIAL_FIELDS = {STUBHUB: "access_token", VIVID: "api_token"}
TIMINGS = {"TIXPILOT_FULFILL_RETRY_S": "1", "TIXPILOT_ION_RETRY_S": "1"}
DEADLINE_S = 600.0


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
        time.sleep(0.02)


def bought(
    sandbox: Any,
    primary_url: str,
    tenant_id: str,
    username: str,
    confirmation: str,
    seats: list[str],
    **order: Any,
) -> tuple[int, str]:
    """An e-ticket order for `seats` on the primary sandbox (`order` overriding or adding fields:
    barcodes, ticket files, ...), crawled (its files kept in S3) and PO'd into the builtin
    POS, in this process: (rid, ticket group id). The stack's settings must be configured
    (configure_environment) before this is called."""
    from infra.local.sandbox import SandboxOrder
    from tixpilot.adapters.pos.base import PoRequest
    from tixpilot.adapters.pos.builtin import BuiltinPos
    from tixpilot.adapters.primaries.sandbox import SandboxConnector
    from tixpilot.models.accounts import PosSettings
    from tixpilot.repositories.ledger import LedgerRepository
    from tixpilot.services.tickets import record_crawl
    from tixpilot.wiring import components
    from tixpilot.wiring.purchases import purchase_repos

    sandbox.add(
        SandboxOrder.model_validate(
            {
                "account_username": username,
                "confirmation_number": confirmation,
                "region": "NY",
                "event": {
                    "name": "Sugarland",
                    "venue": "Smart Financial Centre",
                    "datetime": "2031-07-11T19:00:00",
                },
                "section": "101",
                "row": "C",
                "seats": seats,
                "cost_perseat": "40.00",
                "stock": "eticket",
                "rotating_barcodes": False,
                **order,
            }
        )
    )
    connector = SandboxConnector(primary_url)
    seen = connector.order(username, confirmation)
    assert seen is not None
    purchase, _ = record_crawl(
        purchase_repos(), components.purchases(), components.ticket_files(), connector, tenant_id, seen
    )
    BuiltinPos().create_po(PoRequest(purchase, "eticket", PosSettings()))
    (group,) = LedgerRepository().ticket_groups(tenant_id, rid=purchase.rid)
    return purchase.rid, str(group["tgid"])


def bought_with_tickets(
    sandbox: Any, primary_url: str, tenant_id: str, username: str, confirmation: str, seats: list[str]
) -> str:
    """`bought` with a barcode and a ticket file (PDF) per seat: its ticket group id."""
    _, tgid = bought(
        sandbox,
        primary_url,
        tenant_id,
        username,
        confirmation,
        seats,
        barcodes=[f"{confirmation}-{s}" for s in seats],
        ticket_files=True,
    )
    return tgid


def fulfill_succeeded(tenant_id: str, marketplace_id: int, order_id: str) -> bool:
    """The sale's `fulfill` step reads success (the tickets were delivered)."""
    from tixpilot.wiring import components

    sale = components.sales().get(tenant_id, marketplace_id, order_id)
    step = sale.processing.get("fulfill") if sale else None
    return step is not None and step.status == "success"


def _measure(uncontended: int, burst: int) -> dict[str, Any]:
    from infra.local.__main__ import configure_environment
    from infra.local.moto_serial import EmulatorProcess, free_port

    aws_port, api_port, primary_port, marketplace_port = (free_port(HOST) for _ in range(4))
    os.environ.update(TIMINGS)
    configure_environment(aws_port, primary_port, marketplace_port, api_port)

    import requests

    from infra.local.gateway import Gateway, make_server
    from infra.local.lambdas import LocalLambdas
    from infra.local.marketplace_sim import MarketplaceSimulator, make_marketplace_server
    from infra.local.pipeline import start_local_timer
    from infra.local.queues import LocalQueueWorkers
    from infra.local.resources import ensure_resources
    from infra.local.sandbox import Sandbox, make_sandbox_server
    from infra.local.seed import admin_repos, seed_reference
    from tests.integration.oi_support import RESALE_IDS
    from tixpilot import aws
    from tixpilot.adapters.marketplaces.base import WEBHOOK_CREDENTIAL
    from tixpilot.adapters.marketplaces.registry import adapter_for
    from tixpilot.services.tenants import create_marketplace_key, create_tenant
    from tixpilot.settings import get_settings
    from tixpilot.wiring import components

    moto = EmulatorProcess(HOST, aws_port)
    settings = get_settings()
    ensure_resources(settings, aws.client("dynamodb"), aws.client("s3"))
    seed_reference()
    tenant, issued = create_tenant(admin_repos(), "Fulfillment Bench Broker")
    tenant_id, token = tenant.tenant_id, issued.secret
    credids = {
        m: create_marketplace_key(admin_repos(), tenant_id, m, RESALE_IDS).credential.credential_id
        for m in NAMES
    }
    sandbox = Sandbox()
    simulator = MarketplaceSimulator(tevo_webhook_url=f"http://{HOST}:1/none", time_scale=0.001)
    lambdas = LocalLambdas()
    servers = [
        make_server(Gateway(lambdas), HOST, api_port),
        make_sandbox_server(sandbox, HOST, primary_port),
        make_marketplace_server(simulator, HOST, marketplace_port),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    api_url, sim_url = f"http://{HOST}:{api_port}", f"http://{HOST}:{marketplace_port}"
    sellers = {m: f"{NAMES[m]}-{uuid.uuid4().hex}" for m in NAMES}
    credentials = {m: {CREDENTIAL_FIELDS[m]: sellers[m]} for m in NAMES}
    # as `marketplace-credentials set` keeps StubHub's once its webhook is registered (no webhook
    # is registered at the simulator here: the sales are recorded with /v2/sales/add)
    credentials[STUBHUB][WEBHOOK_CREDENTIAL] = f"Bearer {uuid.uuid4().hex}"
    for marketplace_id, name in NAMES.items():
        requests.post(
            f"{sim_url}/sandbox/sellers",
            json={"marketplace": name, "seller": sellers[marketplace_id]},
            timeout=10,
        )
        adapter = adapter_for(marketplace_id)
        assert adapter is not None
        found = credentials[marketplace_id]
        components.marketplace_credentials().put(tenant_id, marketplace_id, found, adapter.account_key(found))
    start_local_timer(settings, aws.client("stepfunctions"), aws.client("sqs"), lambdas)
    get_settings.cache_clear()
    workers = LocalQueueWorkers(get_settings(), lambdas, aws.client("sqs")).start()
    local = threading.local()
    numbers = itertools.count(int(uuid.uuid4().int % 10**5) * 10)
    username = f"buyer-{uuid.uuid4().hex[:8]}@bench.test"

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        return local.session

    def api(method: str, path: str, **kwargs: Any) -> Any:
        response = session().request(
            method, api_url + path, headers={"x-api-token": token}, timeout=60, **kwargs
        )
        assert response.status_code == 200, response.text
        return response.json()

    def bought(seats: list[str]) -> str:
        confirmation = f"{next(numbers) % 90 + 10}-{next(numbers) % 90000 + 10000}"
        return bought_with_tickets(
            sandbox, f"http://{HOST}:{primary_port}", tenant_id, username, confirmation, seats
        )

    def sold(marketplace_id: int) -> str:
        """A sale of 2 seats made on the marketplace, confirmed there, recorded in TixPilot."""
        seats = ["1", "2"]
        tgid, order_id = bought(seats), str(3_000_000 + next(numbers))
        sale: dict[str, Any] = {
            "marketplace": NAMES[marketplace_id],
            "seller": sellers[marketplace_id],
            "order_id": order_id,
            "ticketgroupid": tgid,
            "quantity": 2,
            "price_per_seat": "90.00",
            "deliveryformat": FORMATS[marketplace_id],
        }
        assert session().post(f"{sim_url}/sandbox/sell", json=sale, timeout=10).status_code == 201
        adapter = adapter_for(marketplace_id)
        assert adapter is not None
        adapter.confirm(credentials[marketplace_id], order_id, seats)
        body = json.loads((ROOT / "events" / "api" / "sales_add_body.json").read_text())
        body.update(
            saleid=order_id,
            marketplaceid=str(marketplace_id),
            credid=credids[marketplace_id],
            posused="builtin",
            deliveryformat=FORMATS[marketplace_id],
            ticketgroupid=tgid,
            seats=[{"seatnumber": s, "seatid": f"{tgid}-{s}"} for s in seats],
            event={
                "name": "Sugarland",
                "venue": "Smart Financial Centre",
                "datetimelocal": "7/11/2031 7:00 PM",
            },
            inhanddate="7/10/2031",
        )
        api("POST", "/v2/sales/add", json=body)
        return order_id

    def release(marketplace_id: int, order_id: str) -> float:
        """GET /v2/fulfill; answers when it was asked (epoch seconds)."""
        asked = time.time()
        api("GET", "/v2/fulfill", params={"orderid": order_id, "marketplaceid": str(marketplace_id)})
        return asked

    def deliveries(marketplace_id: int, order_id: str) -> int:
        """The marketplace's successful deliver calls for the order (the simulator's log)."""
        calls = (
            session()
            .get(
                f"{sim_url}/sandbox/calls",
                params={"marketplace": NAMES[marketplace_id], "order_id": order_id},
                timeout=30,
            )
            .json()
        )
        return sum(1 for c in calls if c["operation"] == "deliver" and c["status"] in (200, 201, 204))

    def filled(marketplace_id: int, order_id: str) -> bool:
        return fulfill_succeeded(tenant_id, marketplace_id, order_id)

    try:
        fulfill_s: dict[str, list[float]] = {name: [] for name in NAMES.values()}
        attempts: list[int] = []
        for _ in range(uncontended):
            for marketplace_id, name in NAMES.items():
                order_id = sold(marketplace_id)
                asked = release(marketplace_id, order_id)
                _wait(lambda m=marketplace_id, o=order_id: filled(m, o), f"{name} {order_id} delivered", 120)
                fulfill_s[name].append(time.time() - asked)
                assert deliveries(marketplace_id, order_id) == 1, f"{name} {order_id}: not delivered once"
                sale = components.sales().get(tenant_id, marketplace_id, order_id)
                attempts.append(sale.fulfillment.attempts if sale and sale.fulfillment else 0)

        prepared = [sold(STUBHUB) for _ in range(burst)]
        started = time.time()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda o: release(STUBHUB, o), prepared))
        # The emulator answers one request at a time: check few sales per pass (in release order,
        # up to the first one not delivered yet) and pause between passes, to leave it to the workers.
        pending = list(prepared)
        deadline = time.monotonic() + DEADLINE_S
        while pending:
            while pending and filled(STUBHUB, pending[0]):
                pending.pop(0)
            pending = [o for o in pending if not (o == pending[-1] and filled(STUBHUB, o))]
            if pending:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{len(pending)} of {burst} sales not delivered")
                time.sleep(0.05)
        burst_s = time.time() - started
        assert all(deliveries(STUBHUB, o) == 1 for o in prepared), "a burst sale was not delivered once"
        p50 = {name: round(statistics.median(values), 3) for name, values in fulfill_s.items()}
        return {
            "fulfill_s_p50": max(p50.values()),
            "fulfill_s_p50_by_marketplace": p50,
            "fulfill_s_p95_by_marketplace": {
                name: round(_percentile(values, 0.95), 3) for name, values in fulfill_s.items()
            },
            "deliveries_per_s": round(burst / burst_s, 2),
            "burst_sales": burst,
            "burst_s": round(burst_s, 2),
            "attempts_per_delivery_max": max(attempts),
            "note": "local stack pieces (moto in its own process): API gateway, queue workers (2 pollers "
            "per queue), retry timer, primary sandbox, marketplace simulator; each sale 2 seats with "
            "barcodes and ticket files from the primary, PO'd into the builtin POS, confirmed on the "
            f"marketplace and recorded with /v2/sales/add. fulfill_s: GET /v2/fulfill -> fulfill step "
            f"success, {uncontended} sales per marketplace one at a time (StubHub barcodes, "
            f"Vivid Seats PDF upload); deliveries_per_s: {burst} StubHub sales released at once by 8 "
            "clients, first request -> the last reads delivered",
        }
    finally:
        workers.stop()
        simulator.stop()
        for server in servers:
            server.shutdown()
            server.server_close()
        moto.stop()


def run(uncontended: int = UNCONTENDED, burst: int = BURST) -> dict[str, Any]:
    """Measure in a child process; write and return the figures."""
    return measure_in_child("bench.fulfillment", "fulfillment", uncontended, burst)


if __name__ == "__main__":
    main(_measure, run)
