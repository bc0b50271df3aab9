"""StubHub's Sales and Webhooks APIs (v2), as their published OpenAPI documents describe them.

Every request needs a User-Agent (else 400 `user_agent_required`) and `Authorization: Bearer
<token>` of a known seller (else 401); a sale of another seller is 403. Answers are HAL JSON;
errors are `{"code", "message", "errors"}`. A sale is announced by POSTing the `sales` topic to
each webhook its seller registered for it, with the registered Authorization value and the
VGG-Topic / VGG-DeliveryId headers; a failed delivery is retried a few times.
"""

from __future__ import annotations

import itertools
import re
import zlib
from typing import Any

from infra.local.marketplace_sim.core import Fault, Order, Push, Request, Response, State, iso, now

TOPICS = {
    "sales": "Sales",
    "provisional-sale": "ProvisionalSale",
    "cancel-provisional-sale": "CancelProvisionalSale",
    "sale-updates": "SaleUpdates",
    "sellerlisting-updates": "SellerListingUpdates",
    "ping": "Ping",
    "re-transfer-ticket": "ReTransferTicket",
}
# PatchSaleRequest.mobile_provider: "Can be one of the following values"
MOBILE_PROVIDERS = frozenset(
    {
        "StubHub",
        "Viagogo",
        "Ticketmaster",
        "AXS",
        "SeatGeek",
        "Ticketmaster Account Manager",
        "MLB Ballpark",
        "MPV",
        "Paciolan",
        "Tickets.com",
        "Tickets.com RDP",
        "Vivenu",
        "Ticketmaster CA",
        "Eventbrite",
        "Livenation",
        "Broadway",
        "Telecharge",
        "Ticketon",
        "Seetickets",
        "Etix",
        "Tixr",
        "Festicket",
        "Insomniac",
        "DiceImport",
        "MGMResorts",
        "Tickeri",
        "SmithCenterImport",
        "Stubwire",
        "Computicket",
    }
)
PATCH_FIELDS = frozenset(
    {
        "confirmed",
        "eticket_ids",
        "transfer_confirmation_number",
        "eticket_urls",
        "change_paper_ticket_to_eticket",
        "confirm_same_day_shipment",
        "in_hand_at",
        "eticket_type",
        "tracking_number",
        "seating",
        "barcodes",
        "mobile_provider",
    }
)
RETRY_DELAYS_S = (5.0, 30.0, 120.0)  # StubHub publishes no schedule: a few growing waits
STATUS_WORDS = {
    "pending": "Pending",
    "confirmed": "Confirmed",
    "delivered": "Delivered",
    "rejected": "Rejected",
}
# TixPilot's delivery format -> (delivery_method.type, ticket_type.name)
DELIVERY = {
    "hard": (1, "Paper"),
    "localpickup": (2, "Pickup"),
    "willcall": (2, "Pickup"),
    "eticket": (3, "ETicket"),
    "barcode": (3, "Barcode"),
    "transfer": (3, "MobileTransfer"),
    "mobileqr": (3, "MobileQR"),
    "flash": (3, "MobileTransfer"),
}
_SALE = re.compile(r"^/sales/(\d+)(/etickets)?$")
_WEBHOOK = re.compile(r"^/webhooks/(\d+)(/ping)?$")


def error(
    status: int, code: str, message: str | None = None, errors: dict[str, list[str]] | None = None
) -> Response:
    return Response.of_json(
        status, {"code": code, "message": message, "errors": errors}, "application/hal+json"
    )


def hal(status: int, value: Any) -> Response:
    return Response.of_json(status, value, "application/hal+json")


class StubHub:
    name = "stubhub"
    operations = frozenset(
        {
            "register_webhook",
            "list_webhooks",
            "delete_webhook",
            "ping_webhook",
            "get_sale",
            "confirm",
            "reject",
            "deliver",
        }
    )
    hidden_fields: frozenset[str] = frozenset()

    def __init__(self, state: State) -> None:
        self.state = state
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.listings: dict[tuple[str, str], int] = {}
        self._delivery_ids = itertools.count(1_993_433)

    # -- routing ------------------------------------------------------------------------------

    def route(self, request: Request) -> tuple[str, str | None, Any] | None:
        path, method = request.path.rstrip("/"), request.method
        if path == "/webhooks":
            return {
                "POST": ("register_webhook", None, self._register),
                "GET": ("list_webhooks", None, self._list),
            }.get(method)
        if match := _WEBHOOK.match(path):
            if match.group(2) and method == "POST":
                return ("ping_webhook", None, self._ping)
            return (
                ("delete_webhook", None, self._delete_webhook)
                if method == "DELETE" and not match.group(2)
                else None
            )
        if match := _SALE.match(path):
            order_id, etickets = match.group(1), match.group(2)
            if etickets:
                return ("deliver", order_id, self._etickets) if method == "POST" else None
            operations = {
                "GET": ("get_sale", self._get_sale),
                "DELETE": ("reject", self._reject),
                "PATCH": ("deliver" if _is_delivery(request) else "confirm", self._patch),
            }
            found = operations.get(method)
            return (found[0], order_id, found[1]) if found else None
        return None

    def not_found(self, request: Request) -> Response:
        return error(404, "not_found", f"{request.method} {request.path} is not a resource of this API")

    def refusal(self, fault: Fault) -> Response:
        code = "internal_server_error" if fault.status >= 500 else "validation_failed"
        return error(fault.status, code, fault.message)

    def authenticate(self, request: Request) -> tuple[str | None, Response | None]:
        """The seller a request is made for, or the error StubHub answers."""
        if not request.header("user-agent"):
            return None, error(
                400, "user_agent_required", "The request does not include a valid User-Agent header."
            )
        scheme, _, token = request.header("authorization").partition(" ")
        if scheme.lower() != "bearer" or not self.state.known_seller(self.name, token.strip()):
            return None, error(
                401, "requires_authentication", "Authentication credentials were missing or incorrect."
            )
        return token.strip(), None

    # -- webhooks -----------------------------------------------------------------------------

    def _register(self, request: Request, seller: str) -> Response:
        try:
            body = request.json()
        except ValueError:
            return error(400, "invalid_request_body", "This request does not include a valid JSON body.")
        if not isinstance(body, dict):
            return error(400, "invalid_request_body", "This request does not include a valid JSON body.")
        problems: dict[str, list[str]] = {}
        url, topics = body.get("url"), body.get("topics")
        if not isinstance(url, str) or not re.match(r"^https?://", url):
            problems["url"] = ["A webhook needs an http(s) url."]
        if not isinstance(topics, list) or not topics or any(t not in TOPICS for t in topics):
            problems["topics"] = [f"Topics must be a non-empty list of: {', '.join(TOPICS)}."]
        unknown = set(body) - {"name", "url", "authorization_header", "topics"}
        if unknown:
            problems.update({name: ["Unknown property."] for name in sorted(unknown)})
        if problems:
            return error(400, "validation_failed", None, problems)
        webhook_id = self.state.next_id()
        webhook = {
            "id": webhook_id,
            "seller": seller,
            "name": body.get("name"),
            "url": url,
            "authorization_header": body.get("authorization_header"),
            "topics": topics,
            "created_at": iso(now()),
        }
        with self.state.lock:
            self.webhooks[webhook_id] = webhook
        return hal(201, self._webhook_view(webhook, _base(request)))

    def _list(self, request: Request, seller: str) -> Response:
        with self.state.lock:
            mine = [
                self._webhook_view(w, _base(request)) for w in self.webhooks.values() if w["seller"] == seller
            ]
        return hal(200, {"total_items": len(mine), "_embedded": {"items": mine}})

    def _own_webhook(self, request: Request, seller: str) -> dict[str, Any] | Response:
        webhook_id = int(request.path.strip("/").split("/")[1])
        with self.state.lock:
            webhook = self.webhooks.get(webhook_id)
        if webhook is None or webhook["seller"] != seller:
            return error(404, "not_found", f"There is no webhook {webhook_id}.")
        return webhook

    def _delete_webhook(self, request: Request, seller: str) -> Response:
        webhook = self._own_webhook(request, seller)
        if isinstance(webhook, Response):
            return webhook
        with self.state.lock:
            del self.webhooks[webhook["id"]]
        return Response(204, content_type="application/hal+json")

    def _ping(self, request: Request, seller: str) -> Response:
        webhook = self._own_webhook(request, seller)
        if isinstance(webhook, Response):
            return webhook
        self._push(webhook, "ping", "Ping", None, {"topic": "ping", "action": "Ping", "_embedded": {}})
        return hal(202, self._webhook_view(webhook, _base(request)))

    def _webhook_view(self, webhook: dict[str, Any], base: str) -> dict[str, Any]:
        keys = ("id", "name", "created_at", "topics", "url", "authorization_header")
        return {
            **{key: webhook[key] for key in keys},
            "_links": {"self": {"href": f"{base}/webhooks/{webhook['id']}"}},
        }

    # -- sales --------------------------------------------------------------------------------

    def _own_sale(self, request: Request, seller: str) -> Order | Response:
        match = _SALE.match(request.path.rstrip("/"))
        order = self.state.order(self.name, match.group(1)) if match else None
        if order is None:
            return error(404, "not_found", "The resource requested does not exist.")
        if order.seller != seller:
            return error(403, "forbidden", "This sale belongs to another seller.")
        return order

    def _get_sale(self, request: Request, seller: str) -> Response:
        order = self._own_sale(request, seller)
        return order if isinstance(order, Response) else hal(200, self.sale_view(order, _base(request)))

    def _reject(self, request: Request, seller: str) -> Response:
        order = self._own_sale(request, seller)
        if isinstance(order, Response):
            return order
        with self.state.lock:
            if order.state not in ("pending", "confirmed"):
                return error(
                    403, "invalid_delete", f"A {STATUS_WORDS[order.state].lower()} sale cannot be rejected."
                )
            order.state = "rejected"
        return Response(204, content_type="application/hal+json")

    def _patch(self, request: Request, seller: str) -> Response:
        order = self._own_sale(request, seller)
        if isinstance(order, Response):
            return order
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return error(400, "invalid_request_body", "This request does not include a valid JSON body.")
        problems = {name: ["Unknown property."] for name in sorted(set(body) - PATCH_FIELDS)}
        problems.update(_delivery_problems(body))
        if problems:
            return error(400, "validation_failed", None, problems)
        with self.state.lock:
            if order.state == "rejected":
                return error(403, "invalid_sale_action", "The sale was rejected.")
            if body.get("confirmed") is True and order.state == "pending":
                order.state = "confirmed"
            delivered = {
                k: body[k] for k in ("barcodes", "transfer_confirmation_number", "eticket_urls") if k in body
            }
            if delivered:
                if order.state == "pending":
                    return error(403, "invalid_sale_action", "Confirm the sale before delivering it.")
                order.deliveries.append({**delivered, "mobile_provider": body.get("mobile_provider")})
                order.state = "delivered"
        return hal(200, self.sale_view(order, _base(request)))

    def _etickets(self, request: Request, seller: str) -> Response:
        order = self._own_sale(request, seller)
        if isinstance(order, Response):
            return order
        files = request.files()
        if not files or any(not f.content.startswith(b"%PDF") for f in files):
            return error(400, "validation_failed", None, {"file": ["Upload one or more PDF files."]})
        with self.state.lock:
            if order.state != "confirmed" and order.state != "delivered":
                return error(403, "invalid_sale_action", "Confirm the sale before delivering it.")
            order.deliveries.append(
                {"etickets": [{"filename": f.filename, "bytes": len(f.content)} for f in files]}
            )
            order.state = "delivered"
            items = [{"id": self.state.next_id()} for _ in files]
        return hal(
            200,
            {"total_items": len(items), "page": 1, "page_size": len(items), "_embedded": {"items": items}},
        )

    # -- views and pushes ---------------------------------------------------------------------

    def _listing_id(self, order: Order) -> int:
        with self.state.lock:
            return self.listings.setdefault((order.seller, order.ticketgroupid), self.state.next_id())

    def _embedded_sale(self, order: Order, base: str) -> dict[str, Any]:
        proceeds = float(order.total)
        return {
            "id": int(order.order_id),
            "created_at": iso(order.created_at),
            "seating": {
                "section": order.section,
                "row": order.row,
                "seat_from": order.seats[0] if order.seats else None,
                "seat_to": order.seats[-1] if order.seats else None,
            },
            "proceeds": {"amount": proceeds, "currency_code": "USD", "display": f"${proceeds:,.2f}"},
            "number_of_tickets": order.quantity,
            "_links": {"self": {"href": f"{base}/sales/{order.order_id}"}},
        }

    def _event(self, order: Order) -> dict[str, Any]:
        return {
            "id": zlib.crc32(order.event_name.encode()) % 10_000_000,
            "name": order.event_name,
            "start_date": iso(order.event_date),
        }

    def sale_view(self, order: Order, base: str) -> dict[str, Any]:
        """The Sale resource of GET /sales/{id}."""
        method_type, ticket_type = DELIVERY.get(order.deliveryformat, (0, "Other"))
        href = {"href": f"{base}/sales/{order.order_id}"}
        links = {"self": href}
        if order.state == "pending":
            links["sale:confirm"] = href
        if order.state in ("pending", "confirmed"):
            links["sale:reject"] = href
        barcodes = [
            {**barcode, "status": "Received"}
            for delivery in order.deliveries
            for barcode in delivery.get("barcodes", [])
        ]
        return {
            **{k: v for k, v in self._embedded_sale(order, base).items() if k != "_links"},
            "status": STATUS_WORDS[order.state],
            "status_description": f"The sale is {STATUS_WORDS[order.state].lower()}.",
            "confirm_by": iso(order.created_at + (order.event_date - order.created_at) / 10),
            "ship_by": iso(order.event_date),
            "external_listing_id": order.ticketgroupid,
            "is_legacy_stubhub_order": False,
            "barcodes": barcodes,
            "_links": links,
            "_embedded": {
                "delivery_method": {"id": method_type, "type": method_type, "name": ticket_type},
                "ticket_type": {"id": method_type, "type": ticket_type, "name": ticket_type},
                "event": self._event(order),
                "venue": {"id": 1, "name": "Sandbox Arena", "city": "New York", "state_province": "NY"},
            },
        }

    def announce(self, order: Order, origin: str) -> dict[str, Any]:
        """A new sale: the `sales` topic to every webhook of the seller subscribed to it."""
        with self.state.lock:
            hooks = [
                w for w in self.webhooks.values() if w["seller"] == order.seller and "sales" in w["topics"]
            ]
        listing = {
            "id": self._listing_id(order),
            "number_of_tickets": order.quantity,
            "seating": {"section": order.section, "row": order.row},
            "ticket_price": {"amount": float(order.price_per_seat), "currency_code": "USD"},
        }
        for webhook in hooks:
            payload = {
                "topic": "sales",
                "action": "Created",
                "barcodes": [],
                "_links": {},
                "_embedded": {
                    "event": self._event(order),
                    "sale": self._embedded_sale(order, f"{origin}/stubhub"),
                    "seller_listing": listing,
                    "venue": {"id": 1, "name": "Sandbox Arena", "city": "New York"},
                    "webhook": {k: webhook[k] for k in ("id", "name", "url", "topics", "created_at")},
                },
            }
            self._push(webhook, "sales", "Sales", order.order_id, payload)
        return {"announced": "webhook", "webhooks": len(hooks)}

    def _push(
        self, webhook: dict[str, Any], topic: str, title: str, order_id: str | None, payload: Any
    ) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "StubHub-Webhooks (simulated)",
            "VGG-Topic": title,
            "VGG-DeliveryId": str(next(self._delivery_ids)),
        }
        if webhook.get("authorization_header"):
            headers["Authorization"] = webhook["authorization_header"]
        body = Response.of_json(200, payload).body
        delays = [self.state.scaled(s) for s in RETRY_DELAYS_S]
        self.state.pusher.submit(
            Push(self.name, webhook["seller"], order_id, topic, webhook["url"], headers, body, delays)
        )


def _base(request: Request) -> str:
    """This API's URL, for HAL links."""
    return f"{request.origin}/stubhub"


def _is_delivery(request: Request) -> bool:
    try:
        body = request.json()
    except ValueError:
        return False
    return isinstance(body, dict) and bool(
        {"barcodes", "transfer_confirmation_number", "eticket_urls", "eticket_ids"} & set(body)
    )


def _delivery_problems(body: dict[str, Any]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if "confirmed" in body and not isinstance(body["confirmed"], bool):
        problems["confirmed"] = ["Must be true or false."]
    barcodes = body.get("barcodes")
    if barcodes is not None and (
        not isinstance(barcodes, list)
        or not barcodes
        or any(not isinstance(b, dict) or not b.get("barcode_values") for b in barcodes)
    ):
        problems["barcodes"] = ["Each seat needs barcode_values."]
    if "transfer_confirmation_number" in body or "mobile_provider" in body:
        if not body.get("transfer_confirmation_number") and not body.get("eticket_urls"):
            problems["transfer_confirmation_number"] = ["A transfer needs its confirmation number."]
        if body.get("mobile_provider") not in MOBILE_PROVIDERS:
            problems["mobile_provider"] = [f"Must be one of: {', '.join(sorted(MOBILE_PROVIDERS))}."]
    urls = body.get("eticket_urls")
    if urls is not None and (
        not isinstance(urls, list) or any(not isinstance(u, dict) or not u.get("url") for u in urls)
    ):
        problems["eticket_urls"] = ["Each item needs a url."]
    return problems
