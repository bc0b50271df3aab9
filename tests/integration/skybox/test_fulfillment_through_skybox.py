"""Fulfillment for a tenant selling from SkyBox, through the real handlers and the queue workers
consuming moto's queues: an ION sale made on SkyBox inventory is delivered with the ticket files
SkyBox holds for its seats (read through the SkyBox adapter, not the crawl), and the delivery
completes the SkyBox invoice."""

from __future__ import annotations

import base64
from typing import Any

import requests

from tests.events import api_event
from tests.integration.oi_support import marketplace_key, oi_event
from tests.integration.skybox.conftest import Fake, SkyBoxAccount, purchase_body

# the queue workers consuming moto's queues, as the ION tests run them
from tests.integration.test_ion import (  # noqa: F401
    SEATGEEK,
    Marketplace,
    body_of,
    sale_body,
    sales_of,
    steps,
    wait_for,
    worker,
)
from tixpilot.wiring import components


def delivered(sale: dict[str, Any]) -> bool:
    """Delivered, and its completion in the POS (made right after) recorded."""
    return steps(sale).get("fulfill") == "success" and "complete" in steps(sale)


def test_an_ion_sale_from_skybox_is_delivered_with_skybox_files_and_completed_there(
    admin: Any,
    new_tenant: Any,
    invoke: Any,
    worker: Any,  # noqa: F811 - the fixture imported above
    skybox: Fake,
    skybox_url: str,
    account: SkyBoxAccount,
) -> None:
    broker = new_tenant("SkyBox Fulfillment Seller")
    invoke(
        "api_settings",
        api_event("POST", "/v2/settings/update", token=broker.token, query={"inventory_pos": "skybox"}),
    )
    components.pos_credentials().put(broker.id, "skybox", account.credentials)
    future = skybox.control(
        "events", {"name": "Sugarland", "venue": "Red Rocks Amphitheatre", "date": "2031-09-01T19:30:00"}
    )
    made = account.ok("POST", "/purchases", purchase_body(account, future["id"]))
    (stock,) = account.ok("GET", "/inventory", purchaseId=made["id"], includeTickets="true")["rows"]
    pdfs = {}
    for ticket in stock["tickets"]:
        pdfs[str(ticket["seatNumber"])] = f"%PDF-1.7 SkyBox seat {ticket['seatNumber']}".encode()
        skybox.control(
            "tickets",
            {
                "account_id": account.account_id,
                "ticket_id": ticket["id"],
                "pdf_base64": base64.b64encode(pdfs[str(ticket["seatNumber"])]).decode(),
            },
        )
    market = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))
    accepted = market.post("/ion/v1/sales", sale_body("8910001", stock["id"], 2))
    assert accepted["statusCode"] == 202, accepted["body"]
    market.wait_status("8910001", "confirmed")

    asked = invoke(
        "api_sales",
        api_event(
            "GET",
            "/v2/fulfill",
            token=broker.token,
            query={"orderid": "8910001", "marketplaceid": str(SEATGEEK)},
        ),
    )
    assert asked["statusCode"] == 200, asked["body"]
    sale = wait_for(
        lambda: next((s for s in sales_of(invoke, broker.token, "8910001") if delivered(s)), None),
        "the SkyBox sale delivered",
    )
    assert steps(sale)["complete"] == "success"  # the delivery completed the SkyBox invoice
    (invoice,) = account.ok("GET", "/invoices", externalRef="8910001")["rows"]
    assert account.ok("GET", f"/invoices/{invoice['id']}")["fulfillmentStatus"] == "COMPLETE"

    event = oi_event("/ion/v1/sales/8910001/tickets", market.key)
    event.update(httpMethod="GET")
    event["requestContext"]["httpMethod"] = "GET"
    answer = body_of(invoke("marketplace_ion", event))["output"][0]
    assert answer["status"] == "delivered" and answer["delivery"] == "pdf"
    for seat in answer["seats"]:
        assert requests.get(seat["file_url"], timeout=10).content == pdfs[seat["seat"]]
    assert sorted(s["seat"] for s in answer["seats"]) == ["5", "6"]
