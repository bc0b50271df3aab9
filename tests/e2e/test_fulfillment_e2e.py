"""Fulfillment through the local stack over real HTTP, with the primary sandbox and the marketplace
simulator: a StubHub sale delivered with exactly the barcodes the primary gave its seats; a
delivery StubHub refuses at first, made on a later attempt with every attempt shown; a Vivid
Seats sale whose ticket files the primary has not released yet, delivered once a crawl finds them.

Inventory is made as a broker makes it (an order on the primary, crawled, AutoPO'd into the
builtin POS); sales come as in tests/e2e/test_ion_e2e.py (the simulator sells, the sales worker
gets the notification its marketplace's channel produces) and are confirmed with the marketplace
before GET /v2/fulfill asks for delivery. The first retry delay is 1 s (TIXPILOT_FULFILL_RETRY_S).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.brokers import (
    STUBHUB,
    VIVID,
    Broker,
    bought,
    calls,
    make_broker,
    native_sale,
    primary_order,
    sim,
)
from tests.e2e.stack import LocalStack, poll_until, start_stack

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FULFILL_ENV = {
    "TIXPILOT_FULFILL_RETRY_S": "1",
    "TIXPILOT_ION_RETRY_S": "1",
    "MARKETPLACE_TIME_SCALE": "0.001",
}
_orders = itertools.count(int(uuid.uuid4().int % 10**6) * 100 + 7)


@pytest.fixture(scope="module")
def fulfill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    folder = tmp_path_factory.mktemp("fulfill-stack")
    local = start_stack(None, folder / "stack.log", env=FULFILL_ENV)
    yield local
    local.stop_cleanly()


@pytest.fixture(scope="module")
def seller(fulfill_stack: LocalStack) -> Broker:
    return make_broker(fulfill_stack, "Fulfillment e2e Tickets", "fulfill.test")


def confirmed_sale(broker: Broker, marketplace_id: int, tgid: int, quantity: int) -> str:
    order = str(next(_orders))
    native_sale(broker, marketplace_id, order, tgid, quantity)
    poll_until(lambda: broker.steps(order).get("confirm") == "success", f"sale {order} confirmed", 60)
    return order


def fulfill(broker: Broker, marketplace_id: int, order: str) -> None:
    response = broker.api(
        "GET", "/v2/fulfill", params={"orderid": order, "marketplaceid": str(marketplace_id)}
    )
    assert response.status_code == 200 and response.json()["output"] == [], response.text


def fulfill_status(sale: dict[str, Any] | None) -> str | None:
    return next((s["fulfill"] for s in (sale or {}).get("processing", []) if "fulfill" in s), None)


def delivered(broker: Broker, order: str, timeout_s: float = 60) -> dict[str, Any]:
    """The sale once delivered, read in one request (its step and its history agree)."""
    return poll_until(
        lambda: (s := broker.sale(order)) and fulfill_status(s) == "success" and s,
        f"sale {order} delivered",
        timeout_s,
    )


def test_a_sale_is_delivered_with_exactly_the_barcodes_the_primary_gave_its_seats(seller: Broker) -> None:
    barcodes = {"1": "4110-0001-7781", "2": "4110-0002-9124", "3": "4110-0003-5512"}
    _, rid, tgid = bought(seller, list(barcodes), barcodes=list(barcodes.values()))
    # GET /v2/getpdf answers what the crawl kept
    seats = seller.api("GET", "/v2/getpdf", params={"rid": str(rid)}).json()["output"][0]["seats"]
    assert {s["seatnumber"]: s["barcode"] for s in seats} == barcodes
    order = confirmed_sale(seller, STUBHUB, tgid, 2)
    sold = [s for s, status in seller.seats(tgid).items() if status == "sold"]
    fulfill(seller, STUBHUB, order)
    sale = delivered(seller, order)
    (call,) = calls(seller.stack, "stubhub", order, "deliver")
    assert call["status"] == 200
    sent = {b["seat"]: b["barcode_values"] for b in call["body"]["barcodes"]}
    assert sent == {seat: [barcodes[seat]] for seat in sold} and len(sent) == 2
    assert sale["fulfillment"]["attempts"] == 1 and sale["fulfillment"]["delivery"] == "barcodes"
    filled = seller.api("GET", "/v2/sales", params={"q": f"{order} filled"}).json()["output"]
    assert [s["orderid"] for s in filled] == [order]
    assert seller.steps(order)["complete"] == "success"  # completed in the builtin POS too


def test_a_marketplace_refusing_the_first_deliveries_gets_them_on_a_later_attempt(seller: Broker) -> None:
    _, _, tgid = bought(seller, ["1", "2"], barcodes=["7001-A", "7001-B"])
    order = confirmed_sale(seller, STUBHUB, tgid, 2)
    # 8 failures: each attempt is 4 calls (the adapter's own retries), so two attempts fail
    fault = {"marketplace": "stubhub", "operation": "deliver", "status": 503, "times": 8}
    sim(seller.stack, "POST", "/sandbox/faults", fault)
    fulfill(seller, STUBHUB, order)
    first = poll_until(
        lambda: (m := seller.messages(order).get("fulfill", "")).startswith("attempt 1") and m, "attempt 1"
    )
    assert "StubHub did not answer" in first and "next attempt at" in first
    sale = delivered(seller, order)
    history = sale["fulfillment"]["history"]
    assert [(a["attempt"], a["outcome"]) for a in history] == [(1, "failed"), (2, "failed"), (3, "delivered")]
    assert all(a["at"] for a in history)
    statuses = [c["status"] for c in calls(seller.stack, "stubhub", order, "deliver")]
    assert statuses == [503] * 8 + [200]
    assert seller.messages(order)["fulfill"].startswith("attempt 3: delivered")


def test_files_not_there_yet_are_delivered_once_a_crawl_finds_them(seller: Broker) -> None:
    # The event is tomorrow: past the (scaled) first hour the attempts stay hourly (12 s here)
    # rather than daily (288 s), so a slow stack that misses the first hour's retries sees more.
    tomorrow = dt.datetime.now(ZoneInfo("America/New_York")) + dt.timedelta(hours=20)
    event = {
        "name": "Sugarland",
        "venue": "Smart Financial Centre",
        "datetime": f"{tomorrow:%Y-%m-%dT%H:%M:00}",
    }
    confirmation, rid, tgid = bought(seller, ["11", "12"], event=event)  # no tickets shown yet
    order = confirmed_sale(seller, VIVID, tgid, 2)
    fulfill(seller, VIVID, order)
    waiting = poll_until(
        lambda: (m := seller.messages(order).get("fulfill", "")).startswith("attempt 1") and m, "attempt 1"
    )
    assert "ticket file is not available yet for seats 11, 12" in waiting
    assert calls(seller.stack, "vivid", order, "deliver") == []
    # the primary releases the tickets: the next attempt's crawl finds them
    primary_order(
        seller, confirmation, ["11", "12"], event=event, barcodes=["V-11", "V-12"], ticket_files=True
    )
    sale = delivered(seller, order)
    (call,) = calls(seller.stack, "vivid", order, "deliver")
    files = call["body"]["file"]
    assert [f["filename"] for f in files] == [f"{order}-11.pdf", f"{order}-12.pdf"]
    history = sale["fulfillment"]["history"]
    assert history[0]["outcome"] == "waiting" and history[-1]["outcome"] == "delivered" and len(history) >= 2
    seats = seller.api("GET", "/v2/getpdf", params={"rid": str(rid)}).json()["output"][0]["seats"]
    assert all(s["haspdf"] == "true" and s["pdfurl"] for s in seats)
