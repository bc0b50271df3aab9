"""Sales from the marketplaces' own APIs reach the sales worker, through the running local stack:
the CLI connects a tenant's accounts (registering StubHub's webhook at the simulator), the
simulator pushes StubHub and TEvo sales to the local API's webhook routes, and the stack's poller
loop finds Vivid's. Each arrives as the tenant's sale in `/v2/sales`, made by the sales worker
from the notification on the ION queue (the tickets are not in the tenant's POS here, so the sale
shows `invoice: error` and waits for rejection: what matters is that it arrived, for whom).

A marketplace repeating a webhook puts the notification on the queue twice: by design, the worker
acts once per (marketplace, order, event), so there is still one sale."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.e2e.stack import HTTP_TIMEOUT_S, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@dataclass(frozen=True)
class Seller:
    """A tenant, as its own API token sees its sales."""

    stack: LocalStack
    tenant_id: str
    token: str

    def sales(self, order_id: str) -> list[dict[str, Any]]:
        response = self.stack.get("/v2/sales", {"q": order_id}, token=self.token)
        assert response.status_code == 200, response.text
        return list(response.json()["output"])

    def sale(self, order_id: str, timeout_s: float = 30.0) -> dict[str, Any]:
        found = poll_until(lambda: self.sales(order_id), f"the sale of order {order_id}", timeout_s)
        [sale] = found
        return sale


def sandbox(stack: LocalStack, method: str, path: str, **kwargs: Any) -> Any:
    response = requests.request(
        method, f"{stack.marketplace_url}/sandbox/{path}", timeout=HTTP_TIMEOUT_S, **kwargs
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def sell(stack: LocalStack, marketplace: str, seller: str, order_id: str) -> None:
    body = {
        "marketplace": marketplace,
        "seller": seller,
        "order_id": order_id,
        "ticketgroupid": f"TG-{order_id}",
        "quantity": 2,
        "price_per_seat": "55.00",
        "deliveryformat": "eticket",
    }
    sandbox(stack, "POST", "sell", json=body)


def new_order_id() -> str:
    return str(uuid.uuid4().int % 10**9)


def connected_tenant(stack: LocalStack, marketplace_id: int, credentials: dict[str, str]) -> Seller:
    created = stack.cli("tenant", "create", "--name", f"Seller {uuid.uuid4().hex[:6]}")
    tenant_id, token = str(created.output["tenant_id"]), str(created.output["api_token"])
    result = stack.cli(
        "marketplace-credentials",
        "set",
        "--tenant-id",
        tenant_id,
        "--marketplace-id",
        str(marketplace_id),
        "--json",
        json.dumps(credentials),
    )
    assert result.returncode == 0, result.output
    assert result.output == {"tenant_id": tenant_id, "marketplace_id": marketplace_id, "set": True}
    return Seller(stack, tenant_id, token)


def test_stubhub_credentials_register_the_webhook_and_sales_arrive(stack: LocalStack) -> None:
    token = f"e2e-sh-{uuid.uuid4().hex[:8]}"
    sandbox(stack, "POST", "sellers", json={"marketplace": "stubhub", "seller": token})
    registrations = {"marketplace": "stubhub", "operation": "register_webhook"}
    before = len(sandbox(stack, "GET", "calls", params=registrations))
    seller = connected_tenant(stack, 1, {"access_token": token})

    [registration] = sandbox(stack, "GET", "calls", params=registrations)[before:]
    assert registration["status"] == 201
    assert registration["body"]["url"] == f"{stack.api_url}/webhooks/stubhub"

    order_id = new_order_id()
    sell(stack, "stubhub", token, order_id)
    sale = seller.sale(order_id)
    assert (sale["marketplaceid"], sale["orderid"]) == (1, order_id)
    # StubHub delivering the same sale again: queued again, one sale all the same
    sell(stack, "stubhub", token, order_id)

    def both_answered() -> list[dict[str, Any]] | None:
        pushes = sandbox(
            stack, "GET", "notifications", params={"marketplace": "stubhub", "order_id": order_id}
        )
        return pushes if len(pushes) == 2 and all(p["delivered"] for p in pushes) else None

    poll_until(both_answered, "both StubHub pushes answered")
    poll_until(lambda: ion_queue_empty(stack), "the sales worker done with the ION queue")
    assert len(seller.sales(order_id)) == 1


def ion_queue_empty(stack: LocalStack) -> bool:
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName="tixpilot-local-ion-sales")["QueueUrl"]
    counts = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    return all(int(count) == 0 for count in counts.values())


def test_tevo_sales_arrive(stack: LocalStack) -> None:
    token, secret = f"e2e-tevo-{uuid.uuid4().hex[:8]}", "e2e-tevo-secret"
    sandbox(stack, "POST", "sellers", json={"marketplace": "tevo", "seller": token, "secret": secret})
    seller = connected_tenant(stack, 1001, {"token": token, "secret": secret, "reviewer_id": "77"})

    order_id = new_order_id()
    sell(stack, "tevo", token, order_id)
    sale = seller.sale(order_id)
    assert (sale["marketplaceid"], sale["orderid"]) == (1001, order_id)


def test_vivid_sales_are_found_by_the_poller(stack: LocalStack) -> None:
    token = f"e2e-vivid-{uuid.uuid4().hex[:8]}"
    sandbox(stack, "POST", "sellers", json={"marketplace": "vivid", "seller": token})
    seller = connected_tenant(stack, 4, {"api_token": token})

    order_id = new_order_id()
    sell(stack, "vivid", token, order_id)
    # polled every TIXPILOT_POLL_S (1 s here), UNCONFIRMED at most every 10 s
    sale = seller.sale(order_id, timeout_s=60)
    assert (sale["marketplaceid"], sale["orderid"]) == (4, order_id)
    polls = sandbox(stack, "GET", "calls", params={"marketplace": "vivid", "operation": "poll"})
    assert polls and {p["status"] for p in polls} == {200}, "the poller never ran into Vivid's rate limit"


def test_forged_webhooks_are_refused(stack: LocalStack) -> None:
    token, secret = f"e2e-tevo-{uuid.uuid4().hex[:8]}", "the-real-secret"
    seller = connected_tenant(stack, 1001, {"token": token, "secret": secret})
    order = {"id": 990001, "items": [{"price": "10.00", "quantity": 1, "ticket_group": {"remote_id": "1"}}]}
    forged = requests.post(
        f"{stack.api_url}/webhooks/tevo",
        data={"recipient": "seller", "event_type": "order_created", "body": json.dumps(order)},
        headers={"X-Token": token, "X-Signature": "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ=="},
        timeout=HTTP_TIMEOUT_S,
    )
    assert forged.status_code == 401 and forged.json()["result"]["messageid"] == "E_AUTH"
    guessed = requests.post(
        f"{stack.api_url}/webhooks/stubhub",
        json={"topic": "sales", "action": "Created", "_embedded": {"sale": {"id": 990002}}},
        headers={"Authorization": "Bearer guessed"},
        timeout=HTTP_TIMEOUT_S,
    )
    assert guessed.status_code == 401 and guessed.json()["result"]["status"] == "error"
    assert seller.sales("990001") == []
