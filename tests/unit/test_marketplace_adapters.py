"""The marketplace adapters' pure parts: signatures, webhook parsing, payload mapping, the registry.

The StubHub payload (events/marketplaces/stubhub_sales_webhook.json) follows the SalesTopic schema of
StubHub's published webhooks OpenAPI document; the TEvo order follows the order TEvo's docs show in
their webhook and Orders / Show examples; the Vivid orders follow the v1 order fields.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3

from tests.events import EVENTS, load_event
from tixpilot.adapters.http import BACKOFF_CAP_S, _JitteredRetry
from tixpilot.adapters.marketplaces import registry, tevo, vivid
from tixpilot.adapters.marketplaces.base import MarketplaceError, WebhookRejected, account_key_of
from tixpilot.adapters.marketplaces.stubhub import StubHubAdapter
from tixpilot.adapters.marketplaces.tevo import TevoAdapter, sign, sorted_query, string_to_sign
from tixpilot.adapters.marketplaces.vivid import VividAdapter
from tixpilot.data.reference import RESALE_MARKETPLACES
from tixpilot.models.marketplaces import RejectReason, WebhookRequest, reject_reason_of
from tixpilot.settings import Settings, get_settings

SETTINGS = Settings()
STUBHUB_CREDENTIALS = {"access_token": "sh-token", "webhook_authorization": "Bearer s3cret-echo"}
TEVO_CREDENTIALS = {"token": "tevo-token", "secret": "tevo-secret", "reviewer_id": "12345"}
TEVO_HOOK_URL = "https://api.tixpilot.example/webhooks/tevo"


# -- Ticket Evolution: X-Signature -------------------------------------------------------------


def test_signature_matches_tevos_published_example() -> None:
    # TEvo's "Signing requests with X-Signature" page: secret "xyz" gives this signature. The page's
    # request text shows /v9/, but its printed result is that of the same request without the
    # version (the example predates v9), so the HMAC is checked on that exact text.
    text = "GET api.ticketevolution.com/brokerages?page=1&per_page=1"
    assert sign("xyz", text) == "ohGcFIHF3vg75A8Kpg42LNxuQpQZJsTBKv8xnZASzu0="


@pytest.mark.parametrize(
    ("method", "url", "body", "expected"),
    [
        (
            "GET",
            "https://api.ticketevolution.com/v9/brokerages?page=1&per_page=1",
            None,
            "GET api.ticketevolution.com/v9/brokerages?page=1&per_page=1",
        ),
        (
            "GET",
            "https://api.ticketevolution.com/v9/categories",
            None,
            "GET api.ticketevolution.com/v9/categories?",
        ),
        (
            "post",
            "https://api.ticketevolution.com/v9/clients",
            b'{"clients":[{"name":"Michael Starr"}]}',
            'POST api.ticketevolution.com/v9/clients?{"clients":[{"name":"Michael Starr"}]}',
        ),
        # the host is signed without its port, as TEvo's own client libraries do
        ("GET", "http://127.0.0.1:3200/tevo/v9/orders/1", None, "GET 127.0.0.1/tevo/v9/orders/1?"),
    ],
)
def test_string_to_sign(method: str, url: str, body: bytes | None, expected: str) -> None:
    assert string_to_sign(method, url, body) == expected


def test_query_is_sorted_by_key() -> None:
    assert (
        sorted_query({"per_page": 100, "page": 2, "state": "pending"}) == "page=2&per_page=100&state=pending"
    )


# -- Ticket Evolution: webhooks ----------------------------------------------------------------


def tevo_delivery(
    event_type: str = "order_created",
    recipient: str = "seller",
    secret: str = "tevo-secret",
    token: str = "tevo-token",
    order: dict[str, Any] | None = None,
) -> WebhookRequest:
    """A webhook as TEvo sends it: form-encoded, signed like a request to TixPilot's URL."""
    body = urlencode(
        {
            "order_group_id": "199401",
            "recipient": recipient,
            "event_type": event_type,
            "body": json.dumps(order or load_event("marketplaces/tevo_order.json")),
        }
    ).encode()
    signature = sign(secret, f"POST api.tixpilot.example/webhooks/tevo?{body.decode()}")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Token": token,
        "X-Signature": signature,
    }
    return WebhookRequest(url=TEVO_HOOK_URL, headers=headers, body=body)


def test_tevo_order_created_becomes_a_created_notification() -> None:
    adapter = TevoAdapter(SETTINGS)
    [notification] = adapter.parse_webhook(tevo_delivery(), TEVO_CREDENTIALS)
    assert notification.model_dump(exclude={"event_date"}) == {
        "marketplace_id": 1001,
        "order_id": "473339",
        "ticketgroupid": "191497",
        "listing_id": "16637811",
        "quantity": 2,
        "price_per_seat": Decimal("126.0"),
        "deliveryformat": "eticket",
        "section": "120",
        "row": "28",
        "seats": ["20", "21"],
        "event_name": "Baltimore at Philadelphia",
        "status": "pending",
        "confirm_by": None,
        "ship_by": None,
        "event": "created",
        "seller": account_key_of("tevo-token"),
        "delivery_id": None,
    }
    assert (
        notification.event_date is not None
        and notification.event_date.isoformat() == "2030-09-16T13:00:00+00:00"
    )
    assert notification.dedupe_key == "1001#473339#created"
    assert adapter.webhook_account(tevo_delivery()) == adapter.account_key(TEVO_CREDENTIALS)


@pytest.mark.parametrize(
    ("event_type", "event"),
    [
        ("order_created", "created"),
        ("fraud_response_received", "created"),
        ("order_canceled", "cancelled"),
        ("airbill_uploaded", "updated"),
    ],
)
def test_tevo_event_types(event_type: str, event: str) -> None:
    [notification] = TevoAdapter(SETTINGS).parse_webhook(tevo_delivery(event_type), TEVO_CREDENTIALS)
    assert notification.event == event


@pytest.mark.parametrize(
    "delivery",
    [
        tevo_delivery(secret="another-secret"),
        tevo_delivery(token="another-token"),
        tevo_delivery().model_copy(update={"body": tevo_delivery().body + b"&tampered=1"}),
        tevo_delivery().model_copy(update={"url": "https://elsewhere.example/webhooks/tevo"}),
        tevo_delivery().model_copy(update={"headers": {"x-token": "tevo-token"}}),
    ],
    ids=["wrong secret", "wrong token", "body changed", "other url", "no signature"],
)
def test_tevo_refuses_deliveries_it_cannot_verify(delivery: WebhookRequest) -> None:
    with pytest.raises(WebhookRejected) as refused:
        TevoAdapter(SETTINGS).parse_webhook(delivery, TEVO_CREDENTIALS)
    assert refused.value.status == 401


def test_tevo_ignores_buyer_notifications_and_refuses_unreadable_ones() -> None:
    adapter = TevoAdapter(SETTINGS)
    assert adapter.parse_webhook(tevo_delivery(recipient="buyer"), TEVO_CREDENTIALS) == []
    body = urlencode({"recipient": "seller", "event_type": "order_created", "body": "not json"}).encode()
    signature = sign("tevo-secret", f"POST api.tixpilot.example/webhooks/tevo?{body.decode()}")
    garbled = WebhookRequest(
        url=TEVO_HOOK_URL, headers={"X-Token": "tevo-token", "X-Signature": signature}, body=body
    )
    with pytest.raises(WebhookRejected) as refused:
        adapter.parse_webhook(garbled, TEVO_CREDENTIALS)
    assert refused.value.status == 400


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        ("unavailable", "Tickets No Longer Available"),
        ("priced_incorrectly", "Tickets Priced Incorrectly"),
        ("duplicate", "Duplicate Order"),
        ("fraud", "Fraudulent Order"),
        ("test", "Test Order"),
        ("other", "Other"),
    ],
)
def test_tevo_reject_reasons(reason: RejectReason, label: str) -> None:
    assert tevo.REJECT_REASONS[reason] == label


# -- StubHub: webhooks -------------------------------------------------------------------------


def stubhub_delivery(
    payload: dict[str, Any] | None = None, authorization: str = "Bearer s3cret-echo", topic: str = "Sales"
) -> WebhookRequest:
    headers = {"Authorization": authorization, "VGG-Topic": topic, "VGG-DeliveryId": "1993433"}
    body = json.dumps(payload or load_event("marketplaces/stubhub_sales_webhook.json")).encode()
    return WebhookRequest(url="https://api.tixpilot.example/webhooks/stubhub", headers=headers, body=body)


def test_stubhub_sales_topic_becomes_a_created_notification() -> None:
    adapter = StubHubAdapter(SETTINGS)
    [notification] = adapter.parse_webhook(stubhub_delivery(), STUBHUB_CREDENTIALS)
    assert notification.model_dump(exclude={"event_date"}) == {
        "marketplace_id": 1,
        "order_id": "482910377",
        "ticketgroupid": None,  # the webhook names StubHub's listing only: get_sale has it
        "listing_id": "7788990011",
        "quantity": 3,
        "price_per_seat": Decimal("120.50"),  # proceeds 361.50 for 3 tickets
        "deliveryformat": None,
        "section": "101",
        "row": "C",
        "seats": ["7", "8", "9"],
        "event_name": "Sugarland",
        "status": None,
        "confirm_by": None,
        "ship_by": None,
        "event": "created",
        "seller": account_key_of("Bearer s3cret-echo"),
        "delivery_id": "1993433",
    }
    assert adapter.webhook_account(stubhub_delivery()) == adapter.account_key(STUBHUB_CREDENTIALS)


@pytest.mark.parametrize(
    ("topic", "action", "event"),
    [
        ("provisional-sale", "Created", "provisional"),
        ("cancel-provisional-sale", "Cancelled", "cancelled"),
        ("sale-updates", "FailedBarcodeValidation", "delivery_failed"),
        ("sale-updates", "SomethingElse", "updated"),
        ("re-transfer-ticket", "ReTransfer", "retransfer"),
        ("sales", "Updated", "updated"),
    ],
)
def test_stubhub_topics(topic: str, action: str, event: str) -> None:
    payload = load_event("marketplaces/stubhub_sales_webhook.json")
    payload.update(topic=topic, action=action)
    [notification] = StubHubAdapter(SETTINGS).parse_webhook(stubhub_delivery(payload), STUBHUB_CREDENTIALS)
    assert notification.event == event


def test_stubhub_topic_from_the_header_when_the_body_has_none() -> None:
    payload = load_event("marketplaces/stubhub_sales_webhook.json")
    payload.pop("topic")
    delivery = stubhub_delivery(payload, topic="ProvisionalSale")
    [notification] = StubHubAdapter(SETTINGS).parse_webhook(delivery, STUBHUB_CREDENTIALS)
    assert notification.event == "provisional"


def test_stubhub_ping_yields_nothing() -> None:
    ping = {"topic": "ping", "action": "Ping", "_embedded": {}}
    assert (
        StubHubAdapter(SETTINGS).parse_webhook(stubhub_delivery(ping, topic="Ping"), STUBHUB_CREDENTIALS)
        == []
    )


def test_stubhub_refuses_a_delivery_without_the_registered_authorization() -> None:
    adapter = StubHubAdapter(SETTINGS)
    for authorization in ("Bearer guessed", ""):
        with pytest.raises(WebhookRejected) as refused:
            adapter.parse_webhook(stubhub_delivery(authorization=authorization), STUBHUB_CREDENTIALS)
        assert refused.value.status == 401
    with pytest.raises(WebhookRejected):  # an account that never registered a webhook
        adapter.parse_webhook(stubhub_delivery(), {"access_token": "sh-token"})


def test_stubhub_refuses_a_sale_delivery_without_a_sale() -> None:
    with pytest.raises(WebhookRejected) as refused:
        StubHubAdapter(SETTINGS).parse_webhook(
            stubhub_delivery({"topic": "sales", "_embedded": {}}), STUBHUB_CREDENTIALS
        )
    assert refused.value.status == 400


# -- Vivid Seats: orders -----------------------------------------------------------------------


def test_vivid_orders_become_sales() -> None:
    root = ET.fromstring((EVENTS / "marketplaces/vivid_get_orders.xml").read_bytes())
    first, second = (vivid.sale_of(order, 4) for order in root.iter("order"))
    assert first["order_id"] == "11223344" and first["ticketgroupid"] == "884422"
    assert (first["quantity"], first["price_per_seat"], first["seats"]) == (2, Decimal("118.75"), ["1", "2"])
    assert (first["section"], first["row"], first["event_name"]) == ("BLOCKA", "3", "Sugarland")
    assert first["deliveryformat"] == "transfer" and first["status"] == "UNCONFIRMED"
    assert first["event_date"].isoformat() == "2030-07-11T19:00:00-05:00"
    assert (second["quantity"], second["seats"], second["deliveryformat"]) == (1, [], "barcode")
    assert root.findtext("bookmark") == "2"


def test_vivid_is_polled_within_its_rate_limits() -> None:
    adapter = VividAdapter(SETTINGS)
    assert adapter.notifications == "poll"
    assert dict(adapter.poll_feeds) == {"UNCONFIRMED": 10.0, "PENDING_SHIPMENT": 60.0}
    with pytest.raises(WebhookRejected):
        adapter.parse_webhook(WebhookRequest(url="https://x.example/"), {"api_token": "t"})


# -- shared ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("seats no longer available", "unavailable"),
        ("Tickets not available in the POS", "unavailable"),
        ("listing was priced incorrectly", "priced_incorrectly"),
        ("duplicate of 22009999", "duplicate"),
        ("suspected fraud", "fraud"),
        ("test order, please ignore", "test"),
        ("the latest contest entry", "other"),
        (None, "other"),
    ],
)
def test_reject_reason_of_free_text(text: str | None, reason: str) -> None:
    assert reject_reason_of(text) == reason


def test_registry_serves_the_three_native_adapters_by_resale_id() -> None:
    names = {int(str(m["id"])): m["name"] for m in RESALE_MARKETPLACES}
    assert registry.registered() == frozenset({1, 4, 1001})
    for marketplace_id in registry.registered():
        adapter = registry.adapter_for(marketplace_id)
        assert adapter is not None and adapter.marketplace_id == marketplace_id
        assert adapter.name == names[marketplace_id]
    assert registry.adapter_for(41) is None  # SeatGeek: the generic v1 endpoints


def test_adapters_refuse_incomplete_credentials_before_calling() -> None:
    with pytest.raises(MarketplaceError) as refused:
        TevoAdapter(SETTINGS).confirm({"token": "t", "secret": "s"}, "1", [])  # no reviewer_id
    assert not refused.value.transient and "reviewer_id" in refused.value.message
    with pytest.raises(MarketplaceError) as refused:
        VividAdapter(SETTINGS).confirm({}, "1", [])
    assert "api_token" in refused.value.message


def test_base_urls_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().tevo_url == "https://api.ticketevolution.com"
    monkeypatch.setenv("TIXPILOT_VIVID_URL", "http://127.0.0.1:3200/vivid")
    get_settings.cache_clear()
    try:
        assert get_settings().vivid_url == "http://127.0.0.1:3200/vivid"
        assert VividAdapter(get_settings()).base_url == "http://127.0.0.1:3200/vivid"
    finally:
        get_settings.cache_clear()


def test_backoff_is_jittered_and_capped() -> None:
    retry = _JitteredRetry(total=20, backoff_factor=1.0)
    waits: list[list[float]] = []
    for _ in range(8):
        retry = retry.increment("GET", "/x", error=urllib3.exceptions.ConnectTimeoutError())
        waits.append([retry.get_backoff_time() for _ in range(50)])
    for attempt, samples in enumerate(waits, start=1):
        ceiling = min(BACKOFF_CAP_S, 2 ** (attempt - 1)) if attempt > 1 else 0.0
        assert all(0 <= wait <= ceiling for wait in samples)
    assert len(set(waits[-1])) > 1  # drawn, not fixed
