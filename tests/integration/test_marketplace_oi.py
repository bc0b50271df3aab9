"""Order Integration (POST /oi/v1/...): the real handler against moto."""

from __future__ import annotations

import json
from typing import Any

from tests.events import api_event
from tests.integration.oi_support import hold_body, marketplace_key, oi_event, seat_statuses, ticket_group


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"])  # type: ignore[no-any-return]


def test_hold_invoice_shows_in_sales_and_repeats_change_nothing(
    admin: Any, new_tenant: Any, invoke: Any
) -> None:
    broker = new_tenant("OI Broker")
    key = marketplace_key(admin, broker.id, 25)
    tgid = ticket_group(broker.id, ["1", "2", "3", "10"])

    held = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("9100001", tgid, 2)))
    assert held["statusCode"] == 200, held["body"]
    out = body_of(held)["output"][0]
    assert out["seats"] == ["1", "2"] and out["status"] == "held" and out["marketplaceid"] == 25
    assert out["price_per_seat"] == "99.50"
    again = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("9100001", tgid, 2)))
    assert body_of(again) == body_of(held)
    assert seat_statuses(broker.id, tgid) == {"1": "held", "2": "held", "3": "available", "10": "available"}

    # the same order id with another request is a conflict, not a second hold
    other = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("9100001", tgid, 1)))
    assert other["statusCode"] == 409 and body_of(other)["result"]["messageid"] == "E_CONFLICT"

    sales = invoke("api_sales", api_event("GET", "/v2/sales", token=broker.token, query={"q": "9100001"}))
    (sale,) = body_of(sales)["output"]
    assert sale["marketplaceid"] == 25
    assert {k: v for step in sale["processing"] for k, v in step.items() if k != "message"} == {
        "hold": "success",
        "confirm": "pending",
        "invoice": "pending",
    }

    invoiced = invoke("marketplace_oi", oi_event("/oi/v1/orders/9100001/invoice", key))
    assert invoiced["statusCode"] == 200, invoiced["body"]
    assert body_of(invoiced)["output"][0]["status"] == "invoiced"
    again = invoke("marketplace_oi", oi_event("/oi/v1/orders/9100001/invoice", key))
    assert body_of(again) == body_of(invoiced)
    assert seat_statuses(broker.id, tgid)["1"] == "sold"
    sales = invoke("api_sales", api_event("GET", "/v2/sales", token=broker.token, query={"q": "9100001"}))
    (sale,) = body_of(sales)["output"]
    steps = {k: v for step in sale["processing"] for k, v in step.items() if k != "message"}
    assert steps == {"hold": "success", "confirm": "success", "invoice": "success"}

    released = invoke("marketplace_oi", oi_event("/oi/v1/orders/9100001/release", key))
    assert released["statusCode"] == 409


def test_release_gives_seats_back_and_conflicts_when_gone(admin: Any, new_tenant: Any, invoke: Any) -> None:
    broker = new_tenant("OI Broker 2")
    key = marketplace_key(admin, broker.id, 25)
    tgid = ticket_group(broker.id, ["5", "6"])
    assert (
        invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("A", tgid, 2)))["statusCode"] == 200
    )
    taken = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("B", tgid, 1)))
    assert taken["statusCode"] == 409 and body_of(taken)["result"]["messageid"] == "E_CONFLICT"

    released = invoke("marketplace_oi", oi_event("/oi/v1/orders/A/release", key))
    assert released["statusCode"] == 200 and body_of(released)["output"][0]["status"] == "released"
    assert body_of(invoke("marketplace_oi", oi_event("/oi/v1/orders/A/release", key))) == body_of(released)
    assert seat_statuses(broker.id, tgid) == {"5": "available", "6": "available"}
    assert invoke("marketplace_oi", oi_event("/oi/v1/orders/A/invoice", key))["statusCode"] == 409
    assert (
        invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("B", tgid, 1)))["statusCode"] == 200
    )
    missing = invoke("marketplace_oi", oi_event("/oi/v1/orders/nope/invoice", key))
    assert missing["statusCode"] == 404


def test_auth_and_tenant_isolation(admin: Any, new_tenant: Any, invoke: Any) -> None:
    owner, other = new_tenant("Owner"), new_tenant("Other")
    tgid = ticket_group(owner.id, ["1"])
    other_key = marketplace_key(admin, other.id, 25)
    foreign = invoke("marketplace_oi", oi_event("/oi/v1/holds", other_key, hold_body("X", tgid, 1)))
    assert foreign["statusCode"] == 404 and body_of(foreign)["result"]["messageid"] == "E_NOT_FOUND"
    assert (
        invoke("marketplace_oi", oi_event("/oi/v1/holds", None, hold_body("X", tgid, 1)))["statusCode"] == 401
    )
    # an API token is not a marketplace key
    assert (
        invoke("marketplace_oi", oi_event("/oi/v1/holds", owner.token, hold_body("X", tgid, 1)))["statusCode"]
        == 401
    )
    bad = invoke("marketplace_oi", oi_event("/oi/v1/holds", other_key, hold_body("X", tgid, 0)))
    assert bad["statusCode"] == 400 and body_of(bad)["result"]["message"].startswith("quantity:")


def test_only_oi_marketplaces_may_call_oi(admin: Any, new_tenant: Any, invoke: Any) -> None:
    broker = new_tenant("OI Broker 3")
    tgid = ticket_group(broker.id, ["1"])
    for marketplace_id in (1, 4, 41):  # StubHub, Vivid Seats, SeatGeek integrate by ION
        key = marketplace_key(admin, broker.id, marketplace_id)
        refused = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("F1", tgid, 1)))
        assert refused["statusCode"] == 403, refused["body"]
        result = body_of(refused)["result"]
        assert result["messageid"] == "E_FORBIDDEN" and "/ion/v1" in result["message"]
        assert invoke("marketplace_oi", oi_event("/oi/v1/orders/F1/invoice", key))["statusCode"] == 403
    assert seat_statuses(broker.id, tgid) == {"1": "available"}
    tevo = marketplace_key(admin, broker.id, 1001)  # Ticket Evolution is OI
    assert (
        invoke("marketplace_oi", oi_event("/oi/v1/holds", tevo, hold_body("F1", tgid, 1)))["statusCode"]
        == 200
    )
