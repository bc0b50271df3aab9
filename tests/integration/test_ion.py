"""Instant Notification against moto over HTTP: the real handlers (the marketplace_ion API, the
sales API, the ion_worker consuming moto's queues as the local stack runs it), with the timings
shortened by their environment variables."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from infra.local.lambdas import LocalLambdas
from infra.local.queues import LocalQueueWorkers, sqs_event
from tests.events import api_event
from tests.integration.oi_support import hold_body, marketplace_key, oi_event, seat_statuses, ticket_group
from tixpilot import aws
from tixpilot.settings import get_settings
from tixpilot.wiring.ion import ion_deps
from tixpilot.wiring.oi import order_repos

T = TypeVar("T")
SEATGEEK, GAMETIME = 41, 25  # ION without a native adapter; OI
TIMINGS = {
    "TIXPILOT_ION_REJECT_AFTER_S": "2",
    "TIXPILOT_ION_RETRY_S": "1",
    "TIXPILOT_HOLD_TTL_S": "3",
}


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout_s:.0f}s")
        time.sleep(0.05)


def _clear_caches() -> None:
    get_settings.cache_clear()
    ion_deps.cache_clear()
    order_repos.cache_clear()


@pytest.fixture
def worker(moto_server: str) -> Iterator[LocalQueueWorkers]:
    """The sales worker consuming moto's queues, with the timings shortened."""
    saved = {name: os.environ.get(name) for name in TIMINGS}
    os.environ.update(TIMINGS)
    _clear_caches()
    workers = LocalQueueWorkers(get_settings(), LocalLambdas(), aws.client("sqs")).start()
    yield workers
    workers.stop()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _clear_caches()


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])  # type: ignore[no-any-return]


def sale_body(order_id: str, tgid: int, quantity: int, price: str = "80.00") -> dict[str, Any]:
    return {**hold_body(order_id, tgid, quantity, price), "deliveryformat": "eticket"}


class Marketplace:
    def __init__(self, invoke: Any, key: str) -> None:
        self.invoke, self.key = invoke, key

    def post(self, path: str, body: Any = None) -> dict[str, Any]:
        return self.invoke("marketplace_ion", oi_event(path, self.key, body))  # type: ignore[no-any-return]

    def state(self, order_id: str) -> dict[str, Any]:
        event = oi_event(f"/ion/v1/sales/{order_id}", self.key)
        event.update(httpMethod="GET")
        event["requestContext"]["httpMethod"] = "GET"
        response = self.invoke("marketplace_ion", event)
        return body_of(response)["output"][0] if response["statusCode"] == 200 else {}

    def wait_status(self, order_id: str, *statuses: str) -> dict[str, Any]:
        return wait_for(
            lambda: (s := self.state(order_id)) and s["status"] in statuses and s, f"{order_id} {statuses}"
        )


def sales_of(invoke: Any, token: str, order_id: str) -> list[dict[str, Any]]:
    response = invoke("api_sales", api_event("GET", "/v2/sales", token=token, query={"q": order_id}))
    return body_of(response)["output"]  # type: ignore[no-any-return]


def steps(sale: dict[str, Any]) -> dict[str, str]:
    return {k: v for step in sale["processing"] for k, v in step.items() if k != "message"}


def test_a_generic_sale_is_received_invoiced_and_confirmed(
    admin: Any, new_tenant: Any, invoke: Any, worker: Any
) -> None:
    broker = new_tenant("ION Broker")
    market = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))
    tgid = ticket_group(broker.id, ["1", "2", "3"])

    accepted = market.post("/ion/v1/sales", sale_body("7001", tgid, 2))
    assert accepted["statusCode"] == 202, accepted["body"]
    assert body_of(accepted)["output"][0]["status"] in ("received", "processing", "confirmed")

    state = market.wait_status("7001", "confirmed")
    assert state["seats"] == ["1", "2"] and state["invoiceid"] == "INV-41-7001"
    assert seat_statuses(broker.id, tgid) == {"1": "sold", "2": "sold", "3": "available"}
    (sale,) = sales_of(invoke, broker.token, "7001")
    assert sale["marketplaceid"] == SEATGEEK
    assert steps(sale) == {"hold": "success", "confirm": "success", "invoice": "success"}

    # an OI marketplace's key may not use /ion/v1, nor an ION one's /oi/v1
    oi_key = marketplace_key(admin, broker.id, GAMETIME)
    refused = invoke("marketplace_ion", oi_event("/ion/v1/sales", oi_key, sale_body("7002", tgid, 1)))
    assert refused["statusCode"] == 403 and body_of(refused)["result"]["messageid"] == "E_FORBIDDEN"
    refused = invoke("marketplace_oi", oi_event("/oi/v1/holds", market.key, hold_body("7002", tgid, 1)))
    assert refused["statusCode"] == 403
    bad = market.post("/ion/v1/sales", {**sale_body("7003", tgid, 1), "deliveryformat": "carrier pigeon"})
    assert bad["statusCode"] == 400 and body_of(bad)["result"]["message"].startswith("deliveryformat:")


def test_duplicates_and_reordering_change_nothing(
    admin: Any, new_tenant: Any, invoke: Any, worker: Any
) -> None:
    broker = new_tenant("ION Broker 2")
    market = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))
    tgid = ticket_group(broker.id, ["1", "2", "3", "4"])

    # the same sale announced five times at once: one sale, two seats sold
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: market.post("/ion/v1/sales", sale_body("7101", tgid, 2)), range(5)))
    assert [a["statusCode"] for a in answers] == [202] * 5
    market.wait_status("7101", "confirmed")
    # a cancellation that arrives before its sale: the sale is never made
    assert market.post("/ion/v1/sales/7102/cancel")["statusCode"] == 202
    market.wait_status("7102", "cancelled")
    assert market.post("/ion/v1/sales", sale_body("7102", tgid, 2))["statusCode"] == 202
    # the worker handles it (a marker sale after it shows the queue got past it)
    market.post("/ion/v1/sales", sale_body("7103", tgid, 1))
    market.wait_status("7103", "confirmed")
    wait_for(lambda: not _in_flight(), "the queues to drain")
    assert market.state("7102")["status"] == "cancelled"
    assert sales_of(invoke, broker.token, "7102") == []
    assert len(sales_of(invoke, broker.token, "7101")) == 1
    assert sorted(seat_statuses(broker.id, tgid).values()) == ["available", "sold", "sold", "sold"]


def _in_flight() -> int:
    sqs = aws.client("sqs")
    total = 0
    for purpose in ("ion-sales",):  # (ion-tasks holds hold expiries due much later)
        url = sqs.get_queue_url(QueueName=get_settings().queue_name(purpose))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        total += int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
    return total


def test_seats_gone_then_rejected_automatically_after_the_window(
    admin: Any, new_tenant: Any, invoke: Any, worker: Any
) -> None:
    broker = new_tenant("ION Broker 3")
    market = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))
    tgid = ticket_group(broker.id, ["1", "2"])
    market.post("/ion/v1/sales", sale_body("7201", tgid, 2))
    market.wait_status("7201", "confirmed")

    market.post("/ion/v1/sales", sale_body("7202", tgid, 1))
    unavailable = market.wait_status("7202", "unavailable", "rejected")
    (sale,) = sales_of(invoke, broker.token, "7202")
    if unavailable["status"] == "unavailable":
        assert unavailable["reject_at"] and "available" in unavailable["message"]
        assert steps(sale)["invoice"] == "error" and steps(sale)["reject"] == "pending"
    rejected = market.wait_status("7202", "rejected")
    assert "rejected automatically" in rejected["message"]
    (sale,) = sales_of(invoke, broker.token, "7202")
    assert steps(sale)["reject"] == "success"
    # the rejection came when it was due, not before
    stored = ion_deps().sales.get(broker.id, SEATGEEK, "7202")
    assert stored is not None and stored.decision is not None
    assert stored.decision.at >= stored.created + dt.timedelta(seconds=2)


def test_a_person_and_the_automatic_rejection_racing_decide_once(
    admin: Any, new_tenant: Any, invoke: Any, worker: Any
) -> None:
    broker = new_tenant("ION Broker 4")
    market = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))
    tgid = ticket_group(broker.id, ["1"])
    market.post("/ion/v1/sales", sale_body("7300", tgid, 1))
    market.wait_status("7300", "confirmed")
    orders = [f"73{n:02d}" for n in range(1, 7)]
    for order in orders:
        market.post("/ion/v1/sales", sale_body(order, tgid, 1))
    for order in orders:
        market.wait_status(order, "unavailable", "rejected")

    def confirm(order: str) -> tuple[str, int]:
        # each person's confirm lands somewhere around the automatic rejection's due time
        stored = ion_deps().sales.get(broker.id, SEATGEEK, order)
        assert stored is not None and stored.reject_due is not None
        wait = (stored.reject_due - dt.datetime.now(dt.UTC)).total_seconds() + (int(order) % 3 - 1) * 0.3
        time.sleep(max(0.0, wait))  # aim at the race; the assertions do not depend on who wins
        query = {"orderid": order, "marketplaceid": str(SEATGEEK), "reason": "found seats"}
        response = invoke(
            "api_sales", api_event("POST", "/v2/sales/confirm", token=broker.token, query=query)
        )
        return order, response["statusCode"]

    with ThreadPoolExecutor(len(orders)) as pool:
        answers = dict(pool.map(confirm, orders))
    for order, status in answers.items():
        final = market.wait_status(order, "confirmed", "rejected")
        assert (status, final["status"]) in ((200, "confirmed"), (409, "rejected")), (order, status, final)
        stored = ion_deps().sales.get(broker.id, SEATGEEK, order)
        assert stored is not None and stored.confirmed != stored.rejected


def test_an_oi_hold_expires_and_frees_its_seats(
    admin: Any, new_tenant: Any, invoke: Any, worker: Any
) -> None:
    broker = new_tenant("OI Expiry")
    key = marketplace_key(admin, broker.id, GAMETIME)
    tgid = ticket_group(broker.id, ["1", "2"])
    held = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("7401", tgid, 2)))
    assert held["statusCode"] == 200
    # no one needs the seats: the sweep the hold scheduled releases it
    wait_for(
        lambda: seat_statuses(broker.id, tgid) == {"1": "available", "2": "available"}, "the hold to expire"
    )
    late = invoke("marketplace_oi", oi_event("/oi/v1/orders/7401/invoice", key))
    assert late["statusCode"] == 409 and "expired" in body_of(late)["result"]["message"]
    (sale,) = sales_of(invoke, broker.token, "7401")
    assert steps(sale)["hold"] == "error" and sale["hold_details"]["removed_by"] == "expired"
    # and another order takes the seats
    again = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("7402", tgid, 2)))
    assert again["statusCode"] == 200


def test_a_non_binding_hold_gives_way_to_a_sale_and_a_binding_one_does_not(
    admin: Any, new_tenant: Any, invoke: Any, worker: Any
) -> None:
    broker = new_tenant("ION Holds")
    seatgeek = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))
    vivid = Marketplace(invoke, marketplace_key(admin, broker.id, 4))
    tgid = ticket_group(broker.id, ["1", "2", "3", "4"])
    soft = seatgeek.post("/ion/v1/holds", hold_body("7501", tgid, 2))
    assert soft["statusCode"] == 200 and body_of(soft)["output"][0]["binding"] is False
    hard = vivid.post("/ion/v1/holds", hold_body("7502", tgid, 2))
    assert hard["statusCode"] == 200 and body_of(hard)["output"][0]["binding"] is True
    # an OI marketplace's sale takes the non-binding hold's seats
    key = marketplace_key(admin, broker.id, GAMETIME)
    taken = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("7503", tgid, 2)))
    assert taken["statusCode"] == 200, taken["body"]
    assert set(body_of(taken)["output"][0]["seats"]) == set(body_of(soft)["output"][0]["seats"])
    assert seatgeek.state("7501")["status"] != "held"
    (displaced,) = sales_of(invoke, broker.token, "7501")
    assert any("removed for order 7503" in step["message"] for step in displaced["processing"])
    # the binding hold keeps its seats
    refused = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("7504", tgid, 1)))
    assert refused["statusCode"] == 409
    released = vivid.post("/ion/v1/holds/7502/release")
    assert released["statusCode"] == 200 and body_of(released)["output"][0]["status"] == "released"
    assert (
        invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("7504", tgid, 1)))["statusCode"]
        == 200
    )


def test_the_worker_reports_only_the_failed_messages_of_a_batch(moto_server: str, invoke: Any) -> None:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName=get_settings().queue_name("ion-tasks"))["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    due = dt.datetime.now(dt.UTC).isoformat()
    good = {"tenant_id": "nobody", "kind": "auto_reject", "marketplace_id": 41, "order_id": "x", "due": due}
    ours = {
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(good))["MessageId"],
        sqs.send_message(QueueUrl=url, MessageBody="{not json")["MessageId"],
    }
    messages: list[dict[str, Any]] = []

    def both() -> bool:
        # The queue is shared: earlier tests' holds leave their expiry tasks on it. Take ours and
        # put the others back at once.
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        for message in received.get("Messages", []):
            if message["MessageId"] in ours:
                messages.append(message)
            else:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
        return len(messages) == 2

    wait_for(both, "the two messages")
    result = invoke("ion_worker", sqs_event(messages, arn, "us-east-1"))
    bad = [m["MessageId"] for m in messages if m["Body"] == "{not json"]
    assert [f["itemIdentifier"] for f in result["batchItemFailures"]] == bad


def test_the_local_queues_are_made_as_their_definitions_say(moto_server: str) -> None:
    from infra.definitions.tables import QUEUES

    sqs = aws.client("sqs")
    for purpose, definition in QUEUES.items():
        url = sqs.get_queue_url(QueueName=get_settings().queue_name(purpose))["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"].endswith(f":{get_settings().queue_name(purpose)}-dlq")
        assert int(redrive["maxReceiveCount"]) == definition.max_receive_count
        assert int(attributes["VisibilityTimeout"]) == definition.visibility_timeout_s
