"""Order Integration for a tenant selling from SkyBox (inventory_pos=skybox), through the real
handlers: the OI hold, invoice and complete-sale are SkyBox holds and invoices in the fake."""

from __future__ import annotations

import json
from typing import Any

from tests.events import api_event
from tests.integration.oi_support import hold_body, marketplace_key, oi_event
from tests.integration.skybox.conftest import SkyBoxAccount, purchase_body
from tixpilot.wiring import components


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def steps_of(invoke: Any, token: str, order_id: str) -> dict[str, str]:
    sales = invoke("api_sales", api_event("GET", "/v2/sales", token=token, query={"q": order_id}))
    (sale,) = body_of(sales)["output"]
    return {k: v for step in sale["processing"] for k, v in step.items() if k != "message"}


def test_oi_hold_invoice_and_complete_sale_go_through_skybox(
    admin: Any, new_tenant: Any, invoke: Any, skybox_url: str, account: SkyBoxAccount, event: dict[str, Any]
) -> None:
    broker = new_tenant("SkyBox Seller")
    updated = invoke(
        "api_settings",
        api_event("POST", "/v2/settings/update", token=broker.token, query={"inventory_pos": "skybox"}),
    )
    assert updated["statusCode"] == 200, updated["body"]
    components.pos_credentials().put(broker.id, "skybox", account.credentials)
    made = account.ok("POST", "/purchases", purchase_body(account, event["id"]))
    (stock,) = account.ok("GET", "/inventory", purchaseId=made["id"])["rows"]
    key = marketplace_key(admin, broker.id, 25)  # Gametime: Order Integration

    held = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("8800001", stock["id"], 1)))
    assert held["statusCode"] == 200, held["body"]
    assert body_of(held)["output"][0]["seats"] == ["5"]
    (hold,) = account.ok("GET", "/holds", externalRef="8800001")["rows"]
    assert hold["customerId"] == account.ids["customers"]["GAMETIME"]
    taken = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("8800002", stock["id"], 2)))
    assert taken["statusCode"] == 409 and body_of(taken)["result"]["messageid"] == "E_CONFLICT"
    unknown = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("8800003", 424242, 1)))
    assert unknown["statusCode"] == 404

    invoiced = invoke("marketplace_oi", oi_event("/oi/v1/orders/8800001/invoice", key))
    assert invoiced["statusCode"] == 200, invoiced["body"]
    (invoice,) = account.ok("GET", "/invoices", externalRef="8800001")["rows"]
    assert body_of(invoiced)["output"][0]["invoiceid"] == str(invoice["id"])
    assert steps_of(invoke, broker.token, "8800001") == {
        "hold": "success",
        "confirm": "success",
        "invoice": "success",
    }

    completed = invoke(
        "api_sales",
        api_event(
            "POST",
            "/sales/v1/complete-sale",
            token=broker.token,
            body=json.dumps([{"user_id": broker.id, "order_id": "8800001", "marketplace_id": 25}]),
        ),
    )
    assert completed["statusCode"] == 200, completed["body"]
    assert account.ok("GET", f"/invoices/{invoice['id']}")["fulfillmentStatus"] == "COMPLETE"
    assert steps_of(invoke, broker.token, "8800001")["complete"] == "success"


def test_without_skybox_credentials_oi_says_what_to_do(
    admin: Any, new_tenant: Any, invoke: Any, skybox_url: str, account: SkyBoxAccount
) -> None:
    broker = new_tenant("SkyBox Seller Without Keys")
    invoke(
        "api_settings",
        api_event("POST", "/v2/settings/update", token=broker.token, query={"inventory_pos": "skybox"}),
    )
    key = marketplace_key(admin, broker.id, 25)
    held = invoke("marketplace_oi", oi_event("/oi/v1/holds", key, hold_body("8800100", 1, 1)))
    assert held["statusCode"] == 422, held["body"]
    assert "pos-credentials set" in body_of(held)["result"]["message"]
