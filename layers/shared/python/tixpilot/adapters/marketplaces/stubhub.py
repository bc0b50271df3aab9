"""StubHub (the viagogo platform) through its public Sales and Webhooks APIs (v2, HAL JSON).

Auth: an OAuth2 user access token as `Authorization: Bearer`, and the User-Agent header the API
requires. Errors come as `{"code", "message", "errors": {field: [...]}}`.

Sales reach TixPilot by webhook: `register_webhook` subscribes TixPilot's URL with an
authorization value of ours, which StubHub sends back as the Authorization header of every
delivery; that echo is the only authenticity check StubHub offers (no signature). A delivery is
`{topic, action, barcodes, _embedded: {event, sale, seller_listing, venue, webhook}}` with the
headers VGG-Topic and VGG-DeliveryId. It names StubHub's listing, not the broker's: `get_sale`
answers the sale with `external_listing_id` (the broker's listing id, our `ticketgroupid`).

Operations covered:
- POST /webhooks (register_webhook), webhook deliveries of the topics sales, provisional-sale,
  cancel-provisional-sale, sale-updates (FailedBarcodeValidation), re-transfer-ticket; ping is
  accepted and yields nothing
- GET /sales/{id} (get_sale)
- PATCH /sales/{id} {"confirmed": true} (confirm); DELETE /sales/{id} (reject: "report a
  problem"; StubHub takes no reason)
- deliver: PDF files POST /sales/{id}/etickets (multipart, one `file` part per PDF); barcodes
  PATCH /sales/{id} {"barcodes": [...]}; mobile transfer PATCH /sales/{id}
  {"transfer_confirmation_number", "mobile_provider", "eticket_urls"}
Not covered: GET /sales and /sales/recentupdates (polling fallback), the two-step eticket upload
(POST eticketuploads, then PATCH eticket_ids), shipments (paper tickets), payments, ticket
holders, webhook list/update/delete/ping, the sellerlisting-updates topic, QR screenshots, and
refreshing the OAuth token (a 401 is permanent: renew the tenant's access token).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import quote

from tixpilot.adapters.marketplaces.base import (
    WEBHOOK_CREDENTIAL,
    Integration,
    MarketplaceError,
    NotificationStyle,
    WebhookRejected,
    account_key_of,
    require_credentials,
    resale_entry,
    unless_already,
    unsupported,
)
from tixpilot.adapters.marketplaces.http import Body, HttpResponse, MarketplaceHttp
from tixpilot.adapters.marketplaces.registry import register
from tixpilot.models.marketplaces import (
    BarcodeDelivery,
    Credentials,
    Delivery,
    DeliveryKind,
    MarketplaceSale,
    NotificationEvent,
    PdfDelivery,
    PollPage,
    RejectReason,
    SaleNotification,
    TransferDelivery,
    WebhookRequest,
)
from tixpilot.models.sales import DeliveryFormat
from tixpilot.settings import Settings

TOPICS = ("sales", "provisional-sale", "cancel-provisional-sale", "sale-updates", "re-transfer-ticket")
# delivery_method.type (DeliveryMethodType): 0 Other, 1 Post, 2 Pickup, 3 ETicket
_DELIVERY_METHODS: dict[int, DeliveryFormat] = {1: "hard", 2: "localpickup", 3: "eticket"}
# Sale.status is "a short localised string"; these are the English ones past each step.
_CONFIRMED = ("confirmed", "delivered", "shipped", "completed")
_REJECTED = ("rejected", "cancelled", "canceled")


def _topic_key(topic: str) -> str:
    """ "provisional-sale" and "ProvisionalSale" (the VGG-Topic header's spelling) alike."""
    return "".join(ch for ch in topic.lower() if ch.isalnum())


def _event_of(topic: str, action: str) -> NotificationEvent | None:
    topic, action = _topic_key(topic), action.lower()
    if topic == "sales":
        if "cancel" in action:
            return "cancelled"
        return "updated" if ("update" in action or "change" in action) else "created"
    return {
        "provisionalsale": "provisional",
        "cancelprovisionalsale": "cancelled",
        "saleupdates": "delivery_failed" if "failedbarcodevalidation" in action else "updated",
        "retransferticket": "retransfer",
    }.get(topic)


def _money(value: Any) -> Decimal | None:
    if not isinstance(value, dict) or value.get("amount") is None:
        return None
    try:
        return Decimal(str(value["amount"]))
    except InvalidOperation:
        return None


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _seats(seating: dict[str, Any]) -> list[str]:
    first, last = seating.get("seat_from"), seating.get("seat_to")
    if first and last and str(first).isdigit() and str(last).isdigit() and int(first) <= int(last):
        return [str(n) for n in range(int(first), int(last) + 1)]
    return [str(s) for s in dict.fromkeys((first, last)) if s]


def _sale_fields(sale: dict[str, Any], embedded: dict[str, Any]) -> dict[str, Any]:
    """What a sale (webhook's EmbeddedSale or the Sales API's Sale) and its embedded event say."""
    seating = sale.get("seating") or {}
    quantity = sale.get("number_of_tickets")
    proceeds = _money(sale.get("proceeds"))
    event = embedded.get("event") or {}
    return {
        "order_id": str(sale["id"]),
        "quantity": quantity,
        "price_per_seat": (proceeds / quantity).quantize(Decimal("0.01")) if proceeds and quantity else None,
        "section": seating.get("section"),
        "row": seating.get("row"),
        "seats": _seats(seating),
        "event_name": event.get("name"),
        "event_date": _when(event.get("start_date")),
    }


def _delivery_format(embedded: dict[str, Any]) -> DeliveryFormat | None:
    method = (embedded.get("delivery_method") or {}).get("type")
    found = _DELIVERY_METHODS.get(method) if isinstance(method, int) else None
    if found != "eticket":
        return found
    ticket_type = embedded.get("ticket_type") or {}
    words = f"{ticket_type.get('type') or ''} {ticket_type.get('name') or ''}".lower()
    if "qr" in words:
        return "mobileqr"
    if "transfer" in words or "mobile" in words:
        return "transfer"
    return "barcode" if "barcode" in words else "eticket"


def _describe(response: HttpResponse) -> str:
    try:
        error = json.loads(response.body)
    except ValueError:
        return ""
    if not isinstance(error, dict):
        return ""
    fields = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in (error.get("errors") or {}).items())
    return " ".join(str(part) for part in (error.get("code"), error.get("message"), fields) if part)


@register
class StubHubAdapter:
    marketplace_id: ClassVar[int] = 1
    name: ClassVar[str] = resale_entry(1)[0]
    integration: ClassVar[Integration] = resale_entry(1)[1]
    notifications: ClassVar[NotificationStyle] = "webhook"
    registers_webhooks: ClassVar[bool] = True
    poll_feeds: ClassVar[Mapping[str, float]] = MappingProxyType({})
    deliveries: ClassVar[frozenset[DeliveryKind]] = frozenset({"pdf", "barcodes", "transfer"})
    required_credentials: ClassVar[frozenset[str]] = frozenset({"access_token"})

    def __init__(self, settings: Settings, http: MarketplaceHttp | None = None) -> None:
        self.base_url = settings.stubhub_url.rstrip("/")
        self.http = http or MarketplaceHttp(self.name)

    # -- inbound ------------------------------------------------------------------------------

    def account_key(self, credentials: Credentials) -> str:
        require_credentials(credentials, frozenset({WEBHOOK_CREDENTIAL}), self.name)
        return account_key_of(credentials[WEBHOOK_CREDENTIAL])

    def webhook_account(self, request: WebhookRequest) -> str | None:
        authorization = request.header("authorization")
        return account_key_of(authorization) if authorization else None

    def parse_webhook(self, request: WebhookRequest, credentials: Credentials) -> list[SaleNotification]:
        expected = credentials.get(WEBHOOK_CREDENTIAL) or ""
        received = request.header("authorization") or ""
        if not expected or not hmac.compare_digest(received.encode(), expected.encode()):
            raise WebhookRejected("the Authorization header is not the one registered for this account")
        try:
            payload = json.loads(request.body)
            topic = str(payload.get("topic") or request.header("vgg-topic") or "")
            action = str(payload.get("action") or "")
        except (ValueError, AttributeError) as exc:
            raise WebhookRejected("the body is not a StubHub webhook payload (JSON object)", 400) from exc
        event = _event_of(topic, action)
        if event is None:  # ping, listing updates: nothing about a sale
            return []
        embedded = payload.get("_embedded") or {}
        sale = embedded.get("sale") or {}
        if not isinstance(sale, dict) or sale.get("id") is None:
            raise WebhookRejected(f"a {topic!r} delivery without _embedded.sale.id", 400)
        listing = embedded.get("seller_listing") or {}
        return [
            SaleNotification(
                marketplace_id=self.marketplace_id,
                event=event,
                seller=self.account_key(credentials),
                delivery_id=request.header("vgg-deliveryid"),
                listing_id=str(listing["id"]) if listing.get("id") is not None else None,
                **_sale_fields(sale, embedded),
            )
        ]

    def register_webhook(self, credentials: Credentials, url: str, authorization: str) -> str:
        body = {"name": "TixPilot", "url": url, "authorization_header": authorization, "topics": list(TOPICS)}
        webhook = self._call("POST", "/webhooks", credentials, Body.of_json(body)).json(self.name)
        return str(webhook["id"])

    def poll(self, credentials: Credentials, feed: str, cursor: str | None) -> PollPage:
        raise unsupported(self.name, "polling (StubHub pushes sales to the registered webhook)")

    def get_sale(self, credentials: Credentials, order_id: str) -> MarketplaceSale:
        sale = self._call("GET", f"/sales/{quote(order_id)}", credentials).json(self.name)
        embedded = sale.get("_embedded") or {}
        return MarketplaceSale(
            marketplace_id=self.marketplace_id,
            ticketgroupid=sale.get("external_listing_id"),
            deliveryformat=_delivery_format(embedded),
            status=sale.get("status"),
            confirm_by=_when(sale.get("confirm_by")),
            ship_by=_when(sale.get("ship_by")),
            **_sale_fields(sale, embedded),
        )

    # -- outbound -----------------------------------------------------------------------------

    def confirm(self, credentials: Credentials, order_id: str, seats: list[str]) -> None:
        try:
            self._call("PATCH", f"/sales/{quote(order_id)}", credentials, Body.of_json({"confirmed": True}))
        except MarketplaceError as error:
            unless_already(error, lambda: self.get_sale(credentials, order_id).status, _CONFIRMED)

    def reject(self, credentials: Credentials, order_id: str, reason: RejectReason, notes: str = "") -> None:
        try:
            self._call("DELETE", f"/sales/{quote(order_id)}", credentials)
        except MarketplaceError as error:
            unless_already(error, lambda: self.get_sale(credentials, order_id).status, _REJECTED)

    def deliver(self, credentials: Credentials, order_id: str, delivery: Delivery) -> None:
        path = f"/sales/{quote(order_id)}"
        if isinstance(delivery, PdfDelivery):
            files = [("file", (f.filename, f.content, f.content_type)) for f in delivery.files]
            self._call("POST", f"{path}/etickets", credentials, Body.of_multipart(files))
        elif isinstance(delivery, BarcodeDelivery):
            barcodes = [
                {"seat_ordinal": n, "seat": s.seat, "row": s.row, "barcode_values": s.barcodes}
                for n, s in enumerate(delivery.seats, start=1)
            ]
            self._call("PATCH", path, credentials, Body.of_json({"barcodes": barcodes}))
        elif isinstance(delivery, TransferDelivery):
            if not delivery.confirmation_number and not delivery.urls:
                raise MarketplaceError(
                    "a transfer needs a confirmation number or ticket URLs",
                    transient=False,
                    marketplace=self.name,
                )
            patch: dict[str, Any] = {"mobile_provider": delivery.provider}
            if delivery.confirmation_number:
                patch["transfer_confirmation_number"] = delivery.confirmation_number
            if delivery.urls:
                patch["eticket_urls"] = [
                    {"url": url, "index": n} for n, url in enumerate(delivery.urls, start=1)
                ]
            self._call("PATCH", path, credentials, Body.of_json(patch))
        else:
            raise unsupported(self.name, f"delivering {delivery.kind}")

    # -- helpers ------------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, credentials: Credentials, body: Body | None = None
    ) -> HttpResponse:
        require_credentials(credentials, self.required_credentials, self.name)
        headers = {"Authorization": f"Bearer {credentials['access_token']}", "Accept": "application/hal+json"}
        return self.http.request(method, self.base_url + path, headers=headers, body=body, describe=_describe)
