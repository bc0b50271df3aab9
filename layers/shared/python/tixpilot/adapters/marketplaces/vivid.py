"""Vivid Seats through its Broker Portal API, the v1 order endpoints.

Auth: the broker's API token as `apiToken`, a query parameter on a GET and a form field on a
POST (v2's JSON endpoints take an `Api-token` header; orders are v1). Answers are XML. A refused
call is usually not an HTTP error: it answers 200 with `<success>false</success>` and a message;
this adapter turns those into MarketplaceError (transient when the message says to try again).

Vivid Seats sends no webhooks: sales are found by polling `getOrders` per status, within its
rate limits (`poll_feeds`): UNCONFIRMED at most every 10 s (new sales: "created"),
PENDING_SHIPMENT at most every 60 s (confirmed, awaiting delivery: "confirmed"). A page holds up
to PAGE_SIZE orders; a `bookmark` in the answer asks for the next page.

Operations covered:
- GET /v1/getOrders?status=UNCONFIRMED|PENDING_SHIPMENT&pageSize&bookmark (poll)
- GET /v1/getOrder?orderId (get_sale)
- POST /v1/confirmOrder (orderId, seatNumbers) (confirm); POST /v1/rejectOrder (orderId) (reject;
  no reason field is documented, so none is sent)
- deliver: PDF files POST /v1/transferOrder (multipart `file` parts); a transfer with ticket
  links POST /v1/transferOrderViaURL (transferURLList, transferSource, transferSourceURL); QR
  screenshots POST /v1/transferOrderWithMobileQR (multipart `file` parts)
Not covered: barcodes (Vivid takes them with confirmOrder), getCompletedOrders,
getPendingRetransferOrders, moveMobileOrderToElectronicTransfer, shipOrder and airbills (paper),
integratedTransfer (MLB), payments, listings, and transfers without links (a confirmation number
alone has no field in the API).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, ClassVar
from urllib.parse import urlencode

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
    QrDelivery,
    RejectReason,
    SaleNotification,
    TransferDelivery,
    WebhookRequest,
)
from tixpilot.models.sales import DeliveryFormat
from tixpilot.settings import Settings

PAGE_SIZE = 500
FEED_EVENTS: dict[str, NotificationEvent] = {"UNCONFIRMED": "created", "PENDING_SHIPMENT": "confirmed"}
_CONFIRMED = ("PENDING_SHIPMENT", "COMPLETED")
_REJECTED = ("REJECTED", "CANCELLED", "CANCELED")
# A success=false that trying again later may cure.
_TRANSIENT_MESSAGE = re.compile(r"try again|temporar|timed? ?out|busy|rate limit|too many|unavailable", re.I)


def _text(element: ET.Element, tag: str) -> str | None:
    value = element.findtext(tag)
    return value.strip() if value and value.strip() else None


def _flag(element: ET.Element, tag: str) -> bool:
    return (_text(element, tag) or "").lower() == "true"


def _when(value: str | None) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def _delivery_format(order: ET.Element) -> DeliveryFormat | None:
    """What the order's flags tell; None when they tell nothing (use the listing's stock)."""
    if _flag(order, "transferViaURL") or _flag(order, "instantTransfer"):
        return "transfer"
    return "barcode" if _flag(order, "barCodesRequired") else None


def sale_of(order: ET.Element, marketplace_id: int) -> dict[str, Any]:
    """The MarketplaceSale fields of an <order> element."""
    seats = [seat.text.strip() for seat in order.iter("seat") if seat.text and seat.text.strip()]
    quantity = _text(order, "quantity")
    return {
        "marketplace_id": marketplace_id,
        "order_id": _text(order, "orderId"),
        "ticketgroupid": _text(order, "brokerTicketId"),
        "listing_id": _text(order, "listingId"),
        "quantity": int(quantity) if quantity and quantity.isdigit() else (len(seats) or None),
        "price_per_seat": _decimal(_text(order, "cost")),  # per ticket, what the seller is paid
        "deliveryformat": _delivery_format(order),
        "section": _text(order, "section"),
        "row": _text(order, "row"),
        "seats": seats,
        "event_name": _text(order, "event"),
        "event_date": _when(_text(order, "eventDate")),
        "status": _text(order, "status"),
        "ship_by": _when(_text(order, "expectedShipDate")),
    }


def _xml(response: HttpResponse, marketplace: str) -> ET.Element:
    try:
        return ET.fromstring(response.body)
    except ET.ParseError as exc:
        raise MarketplaceError(
            f"answered {response.status} with a body that is not XML: {response.body[:200]!r}",
            transient=True,
            status=response.status,
            marketplace=marketplace,
        ) from exc


def _describe(response: HttpResponse) -> str:
    try:
        root = ET.fromstring(response.body)
    except ET.ParseError:
        return ""
    return " ".join(filter(None, [_text(root, "message"), *(e.text or "" for e in root.iter("error"))]))


@register
class VividAdapter:
    marketplace_id: ClassVar[int] = 4
    name: ClassVar[str] = resale_entry(4)[0]
    integration: ClassVar[Integration] = resale_entry(4)[1]
    notifications: ClassVar[NotificationStyle] = "poll"
    registers_webhooks: ClassVar[bool] = False
    poll_feeds: ClassVar[Mapping[str, float]] = MappingProxyType(
        {"UNCONFIRMED": 10.0, "PENDING_SHIPMENT": 60.0}
    )
    deliveries: ClassVar[frozenset[DeliveryKind]] = frozenset({"pdf", "transfer", "qr"})
    required_credentials: ClassVar[frozenset[str]] = frozenset({"api_token"})

    def __init__(self, settings: Settings, http: MarketplaceHttp | None = None) -> None:
        self.base_url = settings.vivid_url.rstrip("/")
        self.http = http or MarketplaceHttp(self.name)

    # -- inbound ------------------------------------------------------------------------------

    def account_key(self, credentials: Credentials) -> str:
        require_credentials(credentials, self.required_credentials, self.name)
        return account_key_of(credentials["api_token"])

    def webhook_account(self, request: WebhookRequest) -> str | None:
        return None

    def parse_webhook(self, request: WebhookRequest, credentials: Credentials) -> list[SaleNotification]:
        raise WebhookRejected("Vivid Seats sends no webhooks: its orders are polled", 404)

    def register_webhook(self, credentials: Credentials, url: str, authorization: str) -> str:
        raise unsupported(self.name, "registering a webhook (Vivid Seats is polled)")

    def poll(self, credentials: Credentials, feed: str, cursor: str | None) -> PollPage:
        if feed not in self.poll_feeds:
            raise unsupported(self.name, f"the poll feed {feed!r} (feeds: {', '.join(self.poll_feeds)})")
        query = {"status": feed, "pageSize": str(PAGE_SIZE), **({"bookmark": cursor} if cursor else {})}
        root = self._get("/v1/getOrders", credentials, query)
        seller = self.account_key(credentials)
        notifications = [
            SaleNotification(event=FEED_EVENTS[feed], seller=seller, **sale_of(order, self.marketplace_id))
            for order in root.iter("order")
        ]
        bookmark = root.get("bookmark") or _text(root, "bookmark")
        return PollPage(notifications=notifications, cursor=bookmark if bookmark and notifications else None)

    def get_sale(self, credentials: Credentials, order_id: str) -> MarketplaceSale:
        root = self._get("/v1/getOrder", credentials, {"orderId": order_id})
        order = root if root.tag == "order" else root.find(".//order")
        if order is None:
            raise MarketplaceError(
                f"getOrder {order_id} answered no order", transient=False, marketplace=self.name
            )
        return MarketplaceSale(**sale_of(order, self.marketplace_id))

    # -- outbound -----------------------------------------------------------------------------

    def confirm(self, credentials: Credentials, order_id: str, seats: list[str]) -> None:
        fields = [("orderId", order_id)] + ([("seatNumbers", ",".join(seats))] if seats else [])
        try:
            self._post("/v1/confirmOrder", credentials, fields)
        except MarketplaceError as error:
            unless_already(error, lambda: self.get_sale(credentials, order_id).status, _CONFIRMED)

    def reject(self, credentials: Credentials, order_id: str, reason: RejectReason, notes: str = "") -> None:
        try:
            self._post("/v1/rejectOrder", credentials, [("orderId", order_id)])
        except MarketplaceError as error:
            unless_already(error, lambda: self.get_sale(credentials, order_id).status, _REJECTED)

    def deliver(self, credentials: Credentials, order_id: str, delivery: Delivery) -> None:
        if isinstance(delivery, PdfDelivery | QrDelivery):
            path = (
                "/v1/transferOrder" if isinstance(delivery, PdfDelivery) else "/v1/transferOrderWithMobileQR"
            )
            files = delivery.files if isinstance(delivery, PdfDelivery) else delivery.images
            parts: list[tuple[str, Any]] = [("orderId", order_id)]
            parts += [("file", (f.filename, f.content, f.content_type)) for f in files]
            self._post(path, credentials, parts, multipart=True)
        elif isinstance(delivery, TransferDelivery) and delivery.urls:
            fields = [("orderId", order_id), ("transferSource", delivery.provider)]
            fields += [("transferURLList", url) for url in delivery.urls]
            if delivery.provider_url:
                fields.append(("transferSourceURL", delivery.provider_url))
            self._post("/v1/transferOrderViaURL", credentials, fields)
        elif isinstance(delivery, TransferDelivery):
            raise unsupported(self.name, "a transfer without ticket links")
        else:
            raise unsupported(self.name, f"delivering {delivery.kind}")

    # -- helpers ------------------------------------------------------------------------------

    def _get(self, path: str, credentials: Credentials, query: Mapping[str, str]) -> ET.Element:
        require_credentials(credentials, self.required_credentials, self.name)
        url = f"{self.base_url}{path}?{urlencode({'apiToken': credentials['api_token'], **query})}"
        response = self.http.request("GET", url, headers={"Accept": "application/xml"}, describe=_describe)
        return self._checked(response)

    def _post(
        self,
        path: str,
        credentials: Credentials,
        fields: Sequence[tuple[str, Any]],
        *,
        multipart: bool = False,
    ) -> ET.Element:
        require_credentials(credentials, self.required_credentials, self.name)
        everything = [("apiToken", credentials["api_token"]), *fields]
        body = Body.of_multipart(everything) if multipart else Body.of_form(everything)
        response = self.http.request(
            "POST", self.base_url + path, headers={"Accept": "application/xml"}, body=body, describe=_describe
        )
        return self._checked(response)

    def _checked(self, response: HttpResponse) -> ET.Element:
        """The answer's XML, unless it says success=false (Vivid's way of refusing with a 200)."""
        root = _xml(response, self.name)
        if (_text(root, "success") or "").lower() == "false":
            message = _describe(response) or "success=false without a message"
            raise MarketplaceError(
                message,
                transient=bool(_TRANSIENT_MESSAGE.search(message)),
                status=response.status,
                marketplace=self.name,
            )
        return root
