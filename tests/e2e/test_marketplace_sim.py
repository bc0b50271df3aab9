"""`make run` serves the marketplace simulator on MARKETPLACE_PORT, wired to the local API."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests

from tests.e2e.stack import HTTP_TIMEOUT_S, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def sell(stack: LocalStack, **body: Any) -> dict[str, Any]:
    sale = {"ticketgroupid": "tg-e2e", "quantity": 2, "price_per_seat": "50.00", "deliveryformat": "eticket"}
    response = requests.post(
        f"{stack.marketplace_url}/sandbox/sell", json={**sale, **body}, timeout=HTTP_TIMEOUT_S
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_vivid_orders_wait_in_get_orders(stack: LocalStack) -> None:
    assert sell(stack, marketplace="vivid", seller="e2e-vivid", order_id="880001")["announced"] == "poll"
    found = requests.get(
        f"{stack.marketplace_url}/vivid/v1/getOrders",
        params={"apiToken": "e2e-vivid", "status": "UNCONFIRMED"},
        timeout=HTTP_TIMEOUT_S,
    )
    assert found.status_code == 200
    assert [o.findtext("orderId") for o in ET.fromstring(found.content).iter("order")] == ["880001"]


def test_tevo_sales_are_pushed_to_the_local_api(stack: LocalStack) -> None:
    seller = {"marketplace": "tevo", "seller": "e2e-tevo", "secret": "e2e-secret"}
    requests.post(f"{stack.marketplace_url}/sandbox/sellers", json=seller, timeout=HTTP_TIMEOUT_S)
    sell(stack, marketplace="tevo", seller="e2e-tevo", order_id="880002")

    def attempted() -> dict[str, Any] | None:
        pushes = requests.get(
            f"{stack.marketplace_url}/sandbox/notifications",
            params={"marketplace": "tevo", "order_id": "880002"},
            timeout=HTTP_TIMEOUT_S,
        ).json()
        return pushes[0] if pushes and pushes[0]["attempts"] else None

    push = poll_until(attempted, "the TEvo webhook push")
    assert push["url"] == f"{stack.api_url}/webhooks/tevo"
    assert push["attempts"][0]["status"] is not None  # the API answered (whatever its route says)
