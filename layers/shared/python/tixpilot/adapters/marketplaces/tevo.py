"""Ticket Evolution (TEvo) through its public API v9.

Auth: every request carries `X-Token` (the API token) and `X-Signature`, the base64 HMAC-SHA256,
keyed with the API secret, of "METHOD host/path?query" — the host without its port, the query
sorted by key and the "?" always there; for a request with a body the body replaces the query.
Errors come as `{"error": "..."}` (or a list of strings) with 401, 404 or 422.

Sales reach TixPilot by webhook: TEvo POSTs to a URL its support desk sets up, form-encoded:
`order_group_id`, `recipient` (seller | buyer), `event_type` (order_created,
fraud_response_received, ...) and `body` (the order as JSON). We authenticate a delivery the way
TEvo authenticates our requests: X-Token names the account, X-Signature is computed as above over
"POST host/path?<raw body>" with that account's secret. TEvo retries a delivery 10, 120, 600 and
3600 s after a failure, then drops it. Orders / Index is the documented fallback: `poll`.

TEvo's resale entry says Order Integration (it asks 1Ticket to hold and invoice through /oi/v1);
this adapter is the other direction: its own order API, for sellers whose orders wait for
acceptance. Accept and reject need the TEvo user id of the person acting: the credentials carry
it as `reviewer_id`, next to `token` and `secret`.

Operations covered:
- webhook deliveries for the seller (order_created and fraud_response_received as "created",
  cancellations, anything else as "updated"; buyer notifications are ignored)
- GET /v9/orders/{id} (get_sale); GET /v9/orders?state=pending (poll, feed "pending")
- POST /v9/orders/{id}/accept {reviewer_id, seats} (confirm)
- POST /v9/orders/{id}/reject {reviewer_id, reason, rejection_notes} (reject), with TEvo's reasons
- deliver PDFs: one file for a one-item order, POST /v9/orders/{id}/deliver_etickets; several
  one-page files, POST /v9/orders/{id}/items/{item}/add_etickets then finalize_etickets
Not covered: registering webhooks (TEvo's support desk does it), /complete and /cancel, mobile
transfer through shipments, barcodes, QR screenshots, orders of several items (the first item
stands for the order), and the Order Integration calls TEvo makes to us (those are /oi/v1).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from tixpilot.adapters.marketplaces.base import (
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
    Credentials,
    Delivery,
    DeliveryKind,
    MarketplaceSale,
    NotificationEvent,
    PdfDelivery,
    PollPage,
    RejectReason,
    SaleNotification,
    WebhookRequest,
)
from tixpilot.models.sales import DeliveryFormat
from tixpilot.settings import Settings

REJECT_REASONS: dict[RejectReason, str] = {
    "unavailable": "Tickets No Longer Available",
    "priced_incorrectly": "Tickets Priced Incorrectly",
    "duplicate": "Duplicate Order",
    "fraud": "Fraudulent Order",
    "test": "Test Order",
    "other": "Other",
}
# The order's delivery type -> TixPilot's delivery format.
_DELIVERY_TYPES: dict[str, DeliveryFormat] = {
    "eticket": "eticket",
    "instantdelivery": "eticket",
    "tmmobile": "transfer",
    "tmmobilelink": "transfer",
    "mobiletransfer": "transfer",
    "flashseats": "flash",
    "fedex": "hard",
    "ups": "hard",
    "custom": "hard",
    "providedairbill": "hard",
    "willcall": "willcall",
    "guestlist": "willcall",
    "localpickup": "localpickup",
}
_ACCEPTED_STATES = ("accepted", "completed")
_REJECTED_STATES = ("rejected", "canceled", "cancelled")
PER_PAGE = 100  # TEvo's maximum


def string_to_sign(method: str, url: str, body: bytes | None = None) -> str:
    """What X-Signature signs: "GET api.ticketevolution.com/v9/orders?page=1&per_page=100"."""
    parts = urlsplit(url)
    tail = body.decode() if body else parts.query
    return f"{method.upper()} {parts.hostname}{parts.path}?{tail}"


def sign(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def sorted_query(params: Mapping[str, Any]) -> str:
    """A query string sorted by key, as TEvo signs it (unsorted ones are refused with 401)."""
    return urlencode(sorted((key, str(value)) for key, value in params.items()))


def _event_of(event_type: str) -> NotificationEvent:
    event_type = event_type.lower()
    if event_type in ("order_created", "fraud_response_received"):
        return "created"
    return "cancelled" if "cancel" in event_type else "updated"


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _when(value: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def sale_of(order: dict[str, Any], marketplace_id: int) -> dict[str, Any]:
    """The MarketplaceSale fields of a TEvo order (its first item stands for the order)."""
    items = order.get("items") or [{}]
    item = items[0]
    group = item.get("ticket_group") or {}
    event = group.get("event") or {}
    quantity = sum(int(i.get("quantity") or 0) for i in items if (i.get("ticket_group") or {}) == group)
    delivery_type = str((order.get("delivery") or {}).get("type") or "").replace(" ", "").replace("_", "")
    return {
        "marketplace_id": marketplace_id,
        "order_id": str(order["id"]),
        "ticketgroupid": str(group["remote_id"]) if group.get("remote_id") not in (None, "") else None,
        "listing_id": str(group["id"]) if group.get("id") is not None else None,
        "quantity": quantity or None,
        "price_per_seat": _decimal(item.get("price")),
        "deliveryformat": _DELIVERY_TYPES.get(delivery_type.lower()),
        "section": group.get("section"),
        "row": group.get("row"),
        "seats": [str(seat) for seat in group.get("seats") or []],
        "event_name": event.get("name"),
        "event_date": _when(event.get("occurs_at")),
        "status": order.get("seller_state") or order.get("state"),
    }


def _describe(response: HttpResponse) -> str:
    try:
        error = json.loads(response.body)
    except ValueError:
        return ""
    if isinstance(error, dict):
        error = error.get("error") or error.get("errors") or error.get("message") or ""
    if isinstance(error, list):
        error = ", ".join(str(part) for part in dict.fromkeys(error))
    return str(error)


@register
class TevoAdapter:
    marketplace_id: ClassVar[int] = 1001
    name: ClassVar[str] = resale_entry(1001)[0]
    integration: ClassVar[Integration] = resale_entry(1001)[1]
    notifications: ClassVar[NotificationStyle] = "webhook"
    registers_webhooks: ClassVar[bool] = False
    # Orders / Index as a fallback to the webhooks: TEvo asks for every 5 minutes or so.
    poll_feeds: ClassVar[Mapping[str, float]] = MappingProxyType({"pending": 300.0})
    deliveries: ClassVar[frozenset[DeliveryKind]] = frozenset({"pdf"})
    required_credentials: ClassVar[frozenset[str]] = frozenset({"token", "secret"})

    def __init__(self, settings: Settings, http: MarketplaceHttp | None = None) -> None:
        self.base_url = settings.tevo_url.rstrip("/")
        self.http = http or MarketplaceHttp(self.name)

    # -- inbound ------------------------------------------------------------------------------

    def account_key(self, credentials: Credentials) -> str:
        require_credentials(credentials, frozenset({"token"}), self.name)
        return account_key_of(credentials["token"])

    def webhook_account(self, request: WebhookRequest) -> str | None:
        token = request.header("x-token")
        return account_key_of(token) if token else None

    def parse_webhook(self, request: WebhookRequest, credentials: Credentials) -> list[SaleNotification]:
        token, secret = credentials.get("token") or "", credentials.get("secret") or ""
        expected = sign(secret, string_to_sign(request.method, request.url, request.body)) if secret else ""
        if not (
            token
            and hmac.compare_digest((request.header("x-token") or "").encode(), token.encode())
            and hmac.compare_digest((request.header("x-signature") or "").encode(), expected.encode())
        ):
            raise WebhookRejected("X-Token/X-Signature do not match this account's token and secret")
        form = {key: values[-1] for key, values in parse_qs(request.body.decode("utf-8", "replace")).items()}
        if form.get("recipient", "seller") != "seller":
            return []  # notifications about orders this account bought
        try:
            order = json.loads(form["body"])
            fields = sale_of(order, self.marketplace_id)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise WebhookRejected("the delivery has no order JSON in its `body` field", 400) from exc
        return [
            SaleNotification(
                event=_event_of(form.get("event_type", "")),
                seller=self.account_key(credentials),
                **fields,
            )
        ]

    def register_webhook(self, credentials: Credentials, url: str, authorization: str) -> str:
        raise unsupported(self.name, "registering a webhook (TEvo's support desk sets the URL)")

    def poll(self, credentials: Credentials, feed: str, cursor: str | None) -> PollPage:
        if feed not in self.poll_feeds:
            raise unsupported(self.name, f"the poll feed {feed!r}")
        page = int(cursor or 1)
        query = {"page": page, "per_page": PER_PAGE, "state": feed, "type": "Order"}
        found = self._call("GET", "/v9/orders", credentials, query=query).json(self.name)
        orders = found.get("orders") or []
        notifications = [
            SaleNotification(
                event="created", seller=self.account_key(credentials), **sale_of(o, self.marketplace_id)
            )
            for o in orders
        ]
        more = page * PER_PAGE < int(found.get("total_entries") or 0) and len(orders) == PER_PAGE
        return PollPage(notifications=notifications, cursor=str(page + 1) if more else None)

    def get_sale(self, credentials: Credentials, order_id: str) -> MarketplaceSale:
        return MarketplaceSale(**sale_of(self._order(credentials, order_id), self.marketplace_id))

    # -- outbound -----------------------------------------------------------------------------

    def confirm(self, credentials: Credentials, order_id: str, seats: list[str]) -> None:
        body: dict[str, Any] = {"reviewer_id": self._reviewer(credentials)}
        if seats and all(seat.isdigit() for seat in seats):  # TEvo takes seat numbers as integers
            body["seats"] = [int(seat) for seat in seats]
        try:
            self._call("POST", f"/v9/orders/{quote(order_id)}/accept", credentials, body=Body.of_json(body))
        except MarketplaceError as error:
            unless_already(error, lambda: self.get_sale(credentials, order_id).status, _ACCEPTED_STATES)

    def reject(self, credentials: Credentials, order_id: str, reason: RejectReason, notes: str = "") -> None:
        body = {
            "reviewer_id": self._reviewer(credentials),
            "reason": REJECT_REASONS[reason],
            "rejection_notes": notes,
        }
        try:
            self._call("POST", f"/v9/orders/{quote(order_id)}/reject", credentials, body=Body.of_json(body))
        except MarketplaceError as error:
            unless_already(error, lambda: self.get_sale(credentials, order_id).status, _REJECTED_STATES)

    def deliver(self, credentials: Credentials, order_id: str, delivery: Delivery) -> None:
        if not isinstance(delivery, PdfDelivery):
            raise unsupported(self.name, f"delivering {delivery.kind}")
        items = self._order(credentials, order_id).get("items") or []
        if len(items) != 1:
            raise unsupported(self.name, f"delivering an order of {len(items)} items")
        item = items[0]
        files = [base64.b64encode(f.content).decode() for f in delivery.files]
        order_path = f"/v9/orders/{quote(order_id)}"
        if len(files) == 1:  # the whole item in one file
            etickets = [{"item_id": item.get("order_item_id", item.get("id")), "eticket": files[0]}]
            self._call(
                "POST",
                f"{order_path}/deliver_etickets",
                credentials,
                body=Body.of_json({"etickets": etickets}),
            )
            return
        item_path = f"{order_path}/items/{quote(str(item['id']))}"
        self._call("POST", f"{item_path}/add_etickets", credentials, body=Body.of_json({"files": files}))
        # one page per file: the joined file's pages are the files in order
        keep = {"keep_pages": list(range(1, len(files) + 1))}
        self._call("POST", f"{item_path}/finalize_etickets", credentials, body=Body.of_json(keep))

    # -- helpers ------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        credentials: Credentials,
        *,
        query: Mapping[str, Any] | None = None,
        body: Body | None = None,
    ) -> HttpResponse:
        require_credentials(credentials, self.required_credentials, self.name)
        url = f"{self.base_url}{path}?{sorted_query(query or {})}"
        text = string_to_sign(method, url, body.content if body else None)
        headers = {
            "X-Token": credentials["token"],
            "X-Signature": sign(credentials["secret"], text),
            "Accept": "application/json",
        }
        return self.http.request(method, url.rstrip("?"), headers=headers, body=body, describe=_describe)

    def _order(self, credentials: Credentials, order_id: str) -> dict[str, Any]:
        order = self._call("GET", f"/v9/orders/{quote(order_id)}", credentials).json(self.name)
        if not isinstance(order, dict) or "id" not in order:
            raise MarketplaceError(
                f"order {order_id}: the answer is not an order", transient=True, marketplace=self.name
            )
        return order

    def _reviewer(self, credentials: Credentials) -> int:
        reviewer = str(credentials.get("reviewer_id") or "")
        if not reviewer.isdigit():
            raise MarketplaceError(
                "the credentials need reviewer_id, the TEvo user id that accepts and rejects orders",
                transient=False,
                marketplace=self.name,
            )
        return int(reviewer)
