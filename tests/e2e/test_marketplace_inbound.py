"""Sales from the marketplaces' own APIs reach the ION queue, through the running local stack: the
CLI connects a tenant's accounts (registering StubHub's webhook at the simulator), the simulator
pushes StubHub and TEvo sales to the local API's webhook routes, and the stack's poller loop finds
Vivid's. The ION queue is read in the stack's emulator (until a worker consumes it locally).

A marketplace repeating a webhook puts the notification on the queue twice: that is by design,
the worker acts once per (marketplace, order, event)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from tests.e2e.stack import HTTP_TIMEOUT_S, LocalStack, poll_until

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


@dataclass
class IonQueue:
    """The stack's ION queue, drained into `received` (each test looks for its own tenant)."""

    stack: LocalStack
    received: list[dict[str, Any]] = field(default_factory=list)

    def of(self, tenant_id: str) -> list[dict[str, Any]]:
        sqs = self.stack.aws("sqs")
        url = sqs.get_queue_url(QueueName="tixpilot-local-ion-sales")["QueueUrl"]
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                self.received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return [m for m in self.received if m["tenant_id"] == tenant_id]

    def wait_for(self, tenant_id: str, count: int = 1, timeout_s: float = 20.0) -> list[dict[str, Any]]:
        def enough() -> list[dict[str, Any]] | None:
            mine = self.of(tenant_id)
            return mine if len(mine) >= count else None

        return poll_until(enough, f"{count} ION queue messages for tenant {tenant_id}", timeout_s)


@pytest.fixture(scope="module")
def ion_queue(stack: LocalStack) -> IonQueue:
    return IonQueue(stack)


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


def connected_tenant(stack: LocalStack, marketplace_id: int, credentials: dict[str, str]) -> str:
    created = stack.cli("tenant", "create", "--name", f"Seller {uuid.uuid4().hex[:6]}")
    tenant_id = str(created.output["tenant_id"])
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
    return tenant_id


def test_stubhub_credentials_register_the_webhook_and_sales_reach_the_queue(
    stack: LocalStack, ion_queue: IonQueue
) -> None:
    token = f"e2e-sh-{uuid.uuid4().hex[:8]}"
    sandbox(stack, "POST", "sellers", json={"marketplace": "stubhub", "seller": token})
    before = len(
        sandbox(stack, "GET", "calls", params={"marketplace": "stubhub", "operation": "register_webhook"})
    )
    tenant_id = connected_tenant(stack, 1, {"access_token": token})

    registrations = sandbox(
        stack, "GET", "calls", params={"marketplace": "stubhub", "operation": "register_webhook"}
    )
    [registration] = registrations[before:]
    assert registration["status"] == 201
    assert registration["body"]["url"] == f"{stack.api_url}/webhooks/stubhub"

    order_id = new_order_id()
    sell(stack, "stubhub", token, order_id)
    [message] = ion_queue.wait_for(tenant_id)
    notification = message["notification"]
    assert (notification["marketplace_id"], notification["order_id"], notification["event"]) == (
        1,
        order_id,
        "created",
    )
    assert notification["quantity"] == 2 and notification["price_per_seat"] == "55.00"

    # StubHub delivering the same sale again: queued again, for the worker to dedupe
    sell(stack, "stubhub", token, order_id)
    first, second = ion_queue.wait_for(tenant_id, 2)
    same_news = ("marketplace_id", "order_id", "event")  # the worker's dedupe key
    assert [first["notification"][k] for k in same_news] == [second["notification"][k] for k in same_news]
    assert first["notification"]["delivery_id"] != second["notification"]["delivery_id"]


def test_tevo_sales_reach_the_queue(stack: LocalStack, ion_queue: IonQueue) -> None:
    token, secret = f"e2e-tevo-{uuid.uuid4().hex[:8]}", "e2e-tevo-secret"
    sandbox(stack, "POST", "sellers", json={"marketplace": "tevo", "seller": token, "secret": secret})
    tenant_id = connected_tenant(stack, 1001, {"token": token, "secret": secret, "reviewer_id": "77"})

    order_id = new_order_id()
    sell(stack, "tevo", token, order_id)
    [message] = ion_queue.wait_for(tenant_id)
    notification = message["notification"]
    assert (notification["marketplace_id"], notification["order_id"]) == (1001, order_id)
    assert notification["ticketgroupid"] == f"TG-{order_id}"


def test_vivid_sales_are_found_by_the_poller(stack: LocalStack, ion_queue: IonQueue) -> None:
    token = f"e2e-vivid-{uuid.uuid4().hex[:8]}"
    sandbox(stack, "POST", "sellers", json={"marketplace": "vivid", "seller": token})
    tenant_id = connected_tenant(stack, 4, {"api_token": token})

    order_id = new_order_id()
    sell(stack, "vivid", token, order_id)
    # polled every TIXPILOT_POLL_S (1 s here), UNCONFIRMED at most every 10 s
    [message] = ion_queue.wait_for(tenant_id, timeout_s=40)
    assert message["notification"]["order_id"] == order_id
    assert message["notification"]["ticketgroupid"] == f"TG-{order_id}"
    polls = sandbox(stack, "GET", "calls", params={"marketplace": "vivid", "operation": "poll"})
    assert polls and {p["status"] for p in polls} == {200}, "the poller never ran into Vivid's rate limit"


def test_forged_webhooks_are_refused(stack: LocalStack, ion_queue: IonQueue) -> None:
    token, secret = f"e2e-tevo-{uuid.uuid4().hex[:8]}", "the-real-secret"
    tenant_id = connected_tenant(stack, 1001, {"token": token, "secret": secret})
    forged = requests.post(
        f"{stack.api_url}/webhooks/tevo",
        data={"recipient": "seller", "event_type": "order_created", "body": "{}"},
        headers={"X-Token": token, "X-Signature": "c2lnbmVkIGJ5IHNvbWVvbmUgZWxzZQ=="},
        timeout=HTTP_TIMEOUT_S,
    )
    assert forged.status_code == 401 and forged.json()["result"]["messageid"] == "E_AUTH"
    guessed = requests.post(
        f"{stack.api_url}/webhooks/stubhub",
        json={"topic": "sales", "action": "Created", "_embedded": {"sale": {"id": 1}}},
        headers={"Authorization": "Bearer guessed"},
        timeout=HTTP_TIMEOUT_S,
    )
    assert guessed.status_code == 401 and guessed.json()["result"]["status"] == "error"
    assert ion_queue.of(tenant_id) == []
