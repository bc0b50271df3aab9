"""Fulfillment against moto over HTTP: the real handlers (sales API, marketplace APIs, getpdf), the
fulfillment worker consuming moto's queue as the local stack runs it, the retry timer's ASL in
moto's Step Functions interpreter (a Wait, then SQS), the primary sandbox and the marketplace
simulator, with the first retry delay shortened to 1 s (TIXPILOT_FULFILL_RETRY_S)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from bench.fulfillment import bought
from infra.local.lambdas import LocalLambdas
from infra.local.marketplace_sim import MarketplaceSimulator, make_marketplace_server
from infra.local.moto_serial import free_port
from infra.local.pipeline import start_local_timer
from infra.local.queues import LocalQueueWorkers, sqs_event
from infra.local.sandbox import Sandbox, make_sandbox_server
from tests.events import api_event, load_event
from tests.integration.oi_support import RESALE_IDS, hold_body, marketplace_key, oi_event
from tests.integration.test_ion import wait_for
from tixpilot import aws
from tixpilot.adapters.marketplaces.base import WEBHOOK_CREDENTIAL
from tixpilot.adapters.marketplaces.registry import adapter_for
from tixpilot.repositories.ledger import LedgerRepository
from tixpilot.services.tenants import create_marketplace_key
from tixpilot.settings import FULFILLMENT_TIMER_ARN, get_settings
from tixpilot.wiring import components
from tixpilot.wiring.fulfillment import fulfillment_deps, ticket_deps

STUBHUB, SEATGEEK, GAMETIME = 1, 41, 25
HOST = "127.0.0.1"
_numbers = itertools.count(int(uuid.uuid4().int % 10**5) * 10)


def _clear_caches() -> None:
    get_settings.cache_clear()
    adapter_for.cache_clear()
    fulfillment_deps.cache_clear()
    ticket_deps.cache_clear()


@dataclass
class Stage:
    sandbox: Sandbox
    primary_url: str
    sim_url: str
    variables: dict[str, str]  # the environment its tests need (the timer's ARN included)

    def sim(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        response = requests.request(
            method, f"{self.sim_url}{path}", json=body, params=params or None, timeout=10
        )
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="module")
def stage(moto_server: str) -> Iterator[Stage]:
    """The primary sandbox, the marketplace simulator, the retry timer and the queue workers."""
    sandbox = Sandbox()
    primary_port, sim_port = free_port(), free_port()
    simulator = MarketplaceSimulator(tevo_webhook_url=f"http://{HOST}:1/none", time_scale=0.001)
    servers = [
        make_sandbox_server(sandbox, HOST, primary_port),
        make_marketplace_server(simulator, HOST, sim_port),
    ]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    variables = {
        "TIXPILOT_FULFILL_RETRY_S": "1",
        "TIXPILOT_ION_RETRY_S": "1",
        "TIXPILOT_PRIMARY_URL": f"http://{HOST}:{primary_port}",
        "TIXPILOT_STUBHUB_URL": f"http://{HOST}:{sim_port}/stubhub",
        "TIXPILOT_VIVID_URL": f"http://{HOST}:{sim_port}/vivid",
        "TIXPILOT_FULFILLMENT_TIMER_ARN": "",
    }
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    _clear_caches()
    lambdas = LocalLambdas()
    variables[FULFILLMENT_TIMER_ARN] = start_local_timer(
        get_settings(), aws.client("stepfunctions"), aws.client("sqs"), lambdas
    )
    _clear_caches()
    workers = LocalQueueWorkers(get_settings(), lambdas, aws.client("sqs")).start()
    yield Stage(sandbox, f"http://{HOST}:{primary_port}", f"http://{HOST}:{sim_port}", variables)
    workers.stop()
    simulator.stop()
    for server in servers:
        server.shutdown()
        server.server_close()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _clear_caches()


@pytest.fixture(autouse=True)
def stage_environment(stage: Stage) -> Iterator[None]:
    """Each test sees the stage's variables, whatever another module's fixture set meanwhile (on
    an xdist worker modules interleave, so a module fixture elsewhere, the purchase pipeline's
    with its own primary sandbox, can change TIXPILOT_PRIMARY_URL between two of our tests), and
    gives the previous values back after it."""
    saved = {name: os.environ.get(name) for name in stage.variables}
    os.environ.update(stage.variables)
    _clear_caches()
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _clear_caches()


class Broker:
    def __init__(self, admin: Any, new_tenant: Any, invoke: Any, stage: Stage) -> None:
        made = new_tenant("Fulfillment Broker")
        self.admin, self.invoke, self.stage = admin, invoke, stage
        self.id, self.token = made.id, made.token
        self.username = f"buyer-{uuid.uuid4().hex[:8]}@fulfill.test"
        self.seller = f"sh-{uuid.uuid4().hex}"
        stage.sim("POST", "/sandbox/sellers", {"marketplace": "stubhub", "seller": self.seller})
        # as `marketplace-credentials set` keeps them once the webhook is registered
        credentials = {"access_token": self.seller, WEBHOOK_CREDENTIAL: f"Bearer {uuid.uuid4().hex}"}
        adapter = adapter_for(STUBHUB)
        assert adapter is not None
        components.marketplace_credentials().put(
            self.id, STUBHUB, credentials, adapter.account_key(credentials)
        )

    def bought(self, seats: list[str], **order: Any) -> tuple[int, str]:
        """An order on the primary, crawled, PO'd into the builtin POS: (rid, ticket group id)."""
        confirmation = f"{next(_numbers) % 90 + 10}-{next(_numbers) % 90000 + 10000}"
        return bought(
            self.stage.sandbox, self.stage.primary_url, self.id, self.username, confirmation, seats, **order
        )

    def api(self, method: str, path: str, function: str = "api_sales", body: Any = None, **query: str) -> Any:
        event = api_event(
            method, path, token=self.token, query=query or None, body=json.dumps(body) if body else None
        )
        response = self.invoke(function, event)
        assert response["statusCode"] == 200, response["body"]
        return json.loads(response["body"])["output"]

    def add_sale(
        self,
        order_id: str,
        tgid: str,
        seats: list[str],
        marketplace_id: int = STUBHUB,
        starts: str = "7/11/2031 7:00 PM",
        **changes: Any,
    ):
        body = load_event("api/sales_add_body.json")
        issued = create_marketplace_key(self.admin, self.id, marketplace_id, RESALE_IDS)
        body.update(
            saleid=order_id,
            marketplaceid=str(marketplace_id),
            credid=issued.credential.credential_id,
            posused="builtin",
            ticketgroupid=tgid,
            seats=[{"seatnumber": s, "seatid": f"{tgid}-{s}"} for s in seats],
            event={
                "name": "Sugarland",
                "venue": "Smart Financial Centre",
                "datetimelocal": starts,
            },
            inhanddate="7/10/2031",
            **changes,
        )
        return self.api("POST", "/v2/sales/add", body=body)

    def stubhub_sale(
        self, order_id: str, tgid: str, seats: list[str], starts: str = "7/11/2031 7:00 PM"
    ) -> None:
        """The sale on StubHub, confirmed there (StubHub takes tickets only for a confirmed sale)."""
        self.stage.sim(
            "POST",
            "/sandbox/sell",
            {
                "marketplace": "stubhub",
                "seller": self.seller,
                "order_id": order_id,
                "ticketgroupid": tgid,
                "quantity": len(seats),
                "price_per_seat": "90.00",
                "deliveryformat": "barcode",
            },
        )
        adapter = adapter_for(STUBHUB)
        assert adapter is not None
        adapter.confirm({"access_token": self.seller}, order_id, seats)
        self.add_sale(order_id, tgid, seats, deliveryformat="barcode", starts=starts)

    def sale(self, order_id: str) -> dict[str, Any]:
        (found,) = self.api("GET", "/v2/sales", q=order_id)
        return found  # type: ignore[no-any-return]

    def step(self, order_id: str, name: str) -> tuple[str, str]:
        for step in self.sale(order_id)["processing"]:
            if name in step:
                return step[name], step["message"]
        return "", ""

    def deliveries(self, order_id: str) -> list[dict[str, Any]]:
        calls = self.stage.sim("GET", "/sandbox/calls", marketplace="stubhub", order_id=order_id)
        return [c for c in calls if c["operation"] == "deliver"]


@pytest.fixture
def broker(admin: Any, new_tenant: Any, invoke: Any, stage: Stage) -> Broker:
    return Broker(admin, new_tenant, invoke, stage)


def test_getpdf_answers_the_barcodes_and_files_the_crawl_found(broker: Broker) -> None:
    rid, _ = broker.bought(["5", "6"], barcodes=["BC-5", "BC-6"], ticket_files=True)
    (answer,) = broker.api("GET", "/v2/getpdf", function="api_purchases", rid=str(rid))
    seats = answer["seats"]
    assert [(s["seatnumber"], s["barcode"], s["haspdf"]) for s in seats] == [
        ("5", "BC-5", "true"),
        ("6", "BC-6", "true"),
    ]
    pdf = requests.get(seats[0]["pdfurl"], timeout=10)  # presigned against the emulator
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"BC-5" in pdf.content


def test_a_sale_is_delivered_to_stubhub_with_exactly_its_seats_barcodes(broker: Broker) -> None:
    _, tgid = broker.bought(["1", "2", "3"], barcodes=["AAA-1", "AAA-2", "AAA-3"])
    order = str(next(_numbers) + 3_000_000)
    broker.stubhub_sale(order, tgid, ["2", "3"])
    assert broker.api("GET", "/v2/fulfill", orderid=order, marketplaceid=str(STUBHUB)) == []
    wait_for(lambda: broker.step(order, "fulfill")[0] == "success", "the sale delivered")
    (call,) = broker.deliveries(order)
    assert call["status"] == 200
    assert [(b["seat"], b["barcode_values"]) for b in call["body"]["barcodes"]] == [
        ("2", ["AAA-2"]),
        ("3", ["AAA-3"]),
    ]
    sale = broker.sale(order)
    assert sale["fulfillment"]["attempts"] == 1 and sale["fulfillment"]["delivery"] == "barcodes"
    assert broker.api("GET", "/v2/sales", q=f"{order} filled")  # filled
    # asked again: delivered already, nothing more is sent
    broker.api("GET", "/v2/fulfill", orderid=order, marketplaceid=str(STUBHUB))
    assert broker.step(order, "fulfill")[0] == "success" and len(broker.deliveries(order)) == 1


def test_tickets_not_released_yet_are_delivered_once_the_crawl_finds_them(broker: Broker) -> None:
    """The primary releases the tickets a few seconds later; each attempt crawls it again, the
    retry timer (a Wait in moto's interpreter) brings the sale back until they are there. The
    event is tomorrow, so past the (scaled) first hour the attempts stay hourly (12 s here), not
    daily (288 s): a slow machine that misses the first hour's retries still sees several more."""
    _, tgid = broker.bought(["7"], barcodes=["LATE-7"], tickets_after_s=4)
    order = str(next(_numbers) + 3_000_000)
    tomorrow = dt.datetime.now(ZoneInfo("America/New_York")) + dt.timedelta(hours=20)
    starts = f"{tomorrow.month}/{tomorrow.day}/{tomorrow.year} {tomorrow:%I:%M %p}".replace(" 0", " ")
    broker.stubhub_sale(order, tgid, ["7"], starts=starts)
    broker.api("GET", "/v2/fulfill", orderid=order, marketplaceid=str(STUBHUB))
    status, message = wait_for(
        lambda: (s := broker.step(order, "fulfill"))[1].startswith("attempt 1") and s, "the first attempt"
    )
    assert status == "pending" and "barcodes are not available yet for seat 7" in message
    assert "next attempt at" in message
    wait_for(lambda: broker.step(order, "fulfill")[0] == "success", "the sale delivered", timeout_s=60)
    (call,) = broker.deliveries(order)
    assert call["body"]["barcodes"][0]["barcode_values"] == ["LATE-7"]
    history = broker.sale(order)["fulfillment"]["history"]
    assert len(history) >= 2 and history[0]["outcome"] == "waiting" and history[-1]["outcome"] == "delivered"


def test_a_generic_marketplace_reads_the_delivered_tickets(broker: Broker) -> None:
    _, tgid = broker.bought(["1", "2"], barcodes=["G-1", "G-2"], ticket_files=True)
    key = marketplace_key(broker.admin, broker.id, SEATGEEK)
    order = str(next(_numbers) + 4_000_000)
    broker.add_sale(order, tgid, ["1", "2"], marketplace_id=SEATGEEK)

    def tickets() -> dict[str, Any]:
        event = oi_event(f"/ion/v1/sales/{order}/tickets", key)
        event.update(httpMethod="GET")
        event["requestContext"]["httpMethod"] = "GET"
        response = broker.invoke("marketplace_ion", event)
        assert response["statusCode"] == 200, response["body"]
        return json.loads(response["body"])["output"][0]  # type: ignore[no-any-return]

    before = tickets()
    assert before["status"] == "pending" and before["seats"] == []
    broker.api("GET", "/v2/fulfill", orderid=order, marketplaceid=str(SEATGEEK))
    delivered = wait_for(lambda: (t := tickets())["status"] == "delivered" and t, "the tickets delivered")
    assert delivered["delivery"] == "pdf" and [s["seat"] for s in delivered["seats"]] == ["1", "2"]
    pdf = requests.get(delivered["seats"][1]["file_url"], timeout=10)
    assert pdf.content.startswith(b"%PDF") and b"G-2" in pdf.content
    assert broker.step(order, "fulfill") == (
        "success",
        f"attempt 1: 2 ticket files ready for SeatGeek at GET /ion/v1/sales/{order}/tickets",
    )


def test_complete_sale_completes_an_invoiced_order_in_the_builtin_pos(broker: Broker) -> None:
    _, tgid = broker.bought(["1", "2"])
    key = marketplace_key(broker.admin, broker.id, GAMETIME)
    order = str(next(_numbers) + 5_000_000)
    held = broker.invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body(order, int(tgid), 2)))
    assert held["statusCode"] == 200, held["body"]
    invoiced = broker.invoke("marketplace_oi", oi_event(f"/oi/v1/orders/{order}/invoice", key))
    assert invoiced["statusCode"] == 200, invoiced["body"]
    added = f"{order}9"
    broker.add_sale(added, tgid, ["1"], marketplace_id=GAMETIME)  # a sale TixPilot never invoiced
    items = [
        {"user_id": broker.id, "order_id": order, "marketplace_id": GAMETIME},
        {"user_id": broker.id, "order_id": added, "marketplace_id": GAMETIME},
    ]
    broker.api("POST", "/sales/v1/complete-sale", body=items)
    wait_for(lambda: broker.step(order, "complete")[0] == "success", "the OI sale completed")
    assert (
        broker.step(order, "complete")[1] == f"completed in the builtin POS (invoice INV-{GAMETIME}-{order})"
    )
    assert LedgerRepository().order(broker.id, GAMETIME, order)["completed_at"]  # type: ignore[index]
    _, message = wait_for(lambda: (s := broker.step(added, "complete"))[0] == "error" and s, "refused")
    assert "TixPilot placed no order for it in the builtin POS" in message
    assert broker.api("GET", "/v2/sales", q=f"{order} filled")


def test_a_batch_reports_only_the_messages_that_must_come_back(broker: Broker, invoke: Any) -> None:
    """Partial batch failures: a sale another worker holds comes back; an unreadable message is
    dropped (it never becomes readable); the others are done."""
    _, tgid = broker.bought(["1", "2"], barcodes=["P-1", "P-2"])
    busy, free = str(next(_numbers) + 6_000_000), str(next(_numbers) + 6_000_000)
    for order in (busy, free):
        broker.add_sale(order, tgid, ["1"], marketplace_id=SEATGEEK, deliveryformat="barcode")
    assert components.fulfillment_locks().lock(broker.id, SEATGEEK, busy, "someone", 2**40, 60)
    messages = [
        {"MessageId": f"m-{order}", "ReceiptHandle": "handle", "Body": json.dumps(body), "Attributes": {}}
        for order, body in (
            (busy, {"tenant_id": broker.id, "marketplace_id": SEATGEEK, "order_id": busy}),
            (free, {"tenant_id": broker.id, "marketplace_id": SEATGEEK, "order_id": free}),
            ("junk", {"tenant": "?"}),
        )
    ]
    arn = f"arn:aws:sqs:us-east-1:123456789012:{get_settings().queue_name('fulfillment')}"
    result = invoke("fulfillment_worker", sqs_event(messages, arn, "us-east-1"))
    assert result == {"batchItemFailures": [{"itemIdentifier": f"m-{busy}"}]}
    assert broker.step(free, "fulfill")[0] == "success"
    assert broker.step(busy, "fulfill") == ("", "")  # untouched: it comes back later
