"""Instant Notification for a tenant selling from SkyBox, through the real handlers and the sales
worker consuming moto's queues: the sale is a SkyBox hold, then a SkyBox invoice."""

from __future__ import annotations

from typing import Any

from tests.events import api_event
from tests.integration.oi_support import marketplace_key
from tests.integration.skybox.conftest import SkyBoxAccount, purchase_body

# the sales worker consuming moto's queues, as the ION tests run it
from tests.integration.test_ion import SEATGEEK, Marketplace, sale_body, sales_of, steps, worker  # noqa: F401
from tixpilot.wiring import components


def test_an_ion_sale_is_a_skybox_hold_then_a_skybox_invoice(
    admin: Any,
    new_tenant: Any,
    invoke: Any,
    worker: Any,  # noqa: F811 - the fixture imported above
    skybox_url: str,
    account: SkyBoxAccount,
    event: dict[str, Any],
) -> None:
    broker = new_tenant("SkyBox ION Seller")
    invoke(
        "api_settings",
        api_event("POST", "/v2/settings/update", token=broker.token, query={"inventory_pos": "skybox"}),
    )
    components.pos_credentials().put(broker.id, "skybox", account.credentials)
    made = account.ok("POST", "/purchases", purchase_body(account, event["id"]))
    (stock,) = account.ok("GET", "/inventory", purchaseId=made["id"])["rows"]
    market = Marketplace(invoke, marketplace_key(admin, broker.id, SEATGEEK))

    accepted = market.post("/ion/v1/sales", sale_body("8900001", stock["id"], 2))
    assert accepted["statusCode"] == 202, accepted["body"]
    state = market.wait_status("8900001", "confirmed")
    (invoice,) = account.ok("GET", "/invoices", externalRef="8900001")["rows"]
    assert state["seats"] == ["5", "6"] and state["invoiceid"] == str(invoice["id"])
    assert invoice["customerId"] == account.ids["customers"]["SEATGEEK"] and invoice["total"] == 160.0
    sold = account.ok("GET", f"/inventory/{stock['id']}")
    assert [t["status"] for t in sold["tickets"]] == ["SOLD", "SOLD"]
    (sale,) = sales_of(invoke, broker.token, "8900001")
    assert steps(sale)["invoice"] == "success" and steps(sale)["confirm"] == "success"
