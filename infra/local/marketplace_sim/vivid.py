"""Vivid Seats' Broker Portal API, the v1 order endpoints, as brokers' notes of its spec describe them.

Auth: `apiToken`, a query parameter on a GET and a form field on a POST (urlencoded or
multipart); a missing or unknown token is 401. Answers are XML. Refusals are HTTP 200 with
`<success>false</success>` and a message. Vivid Seats pushes nothing: orders wait in getOrders,
which allows one request per 10 s per status, one per 60 s for PENDING_SHIPMENT (times the time
scale; faster is 429).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

from infra.local.marketplace_sim.core import Fault, Order, Request, Response, State, iso

STATUSES = {
    "pending": "UNCONFIRMED",
    "confirmed": "PENDING_SHIPMENT",
    "delivered": "COMPLETED",
    "rejected": "REJECTED",
}
RATE_LIMITS_S = {"UNCONFIRMED": 10.0, "PENDING_SHIPMENT": 60.0}
MAX_PAGE_SIZE = 10_000
PATHS = {
    ("GET", "/v1/getOrders"): "poll",
    ("GET", "/v1/getOrder"): "get_sale",
    ("POST", "/v1/confirmOrder"): "confirm",
    ("POST", "/v1/rejectOrder"): "reject",
    ("POST", "/v1/transferOrder"): "deliver",
    ("POST", "/v1/transferOrderViaURL"): "deliver",
    ("POST", "/v1/transferOrderWithMobileQR"): "deliver",
}


def xml(status: int, root: ET.Element) -> Response:
    return Response(status, ET.tostring(root, encoding="utf-8", xml_declaration=True), "application/xml")


def element(tag: str, children: dict[str, Any] | None = None, text: str | None = None) -> ET.Element:
    node = ET.Element(tag)
    node.text = text
    for name, value in (children or {}).items():
        if isinstance(value, ET.Element):
            node.append(value)
        elif value is not None:
            ET.SubElement(node, name).text = str(value).lower() if isinstance(value, bool) else str(value)
    return node


def answer(success: bool, message: str, status: int = 200) -> Response:
    return xml(status, element("response", {"success": success, "message": message}))


class Vivid:
    name = "vivid"
    operations = frozenset(PATHS.values())
    hidden_fields = frozenset({"apiToken"})

    def __init__(self, state: State) -> None:
        self.state = state
        self._last_poll: dict[tuple[str, str], float] = {}

    def route(self, request: Request) -> tuple[str, str | None, Any] | None:
        operation = PATHS.get((request.method, request.path.rstrip("/")))
        if operation is None:
            return None
        order_id = (
            request.params.get("orderId") if request.method == "GET" else _first(request.form(), "orderId")
        )
        handlers = {
            "poll": self._orders,
            "get_sale": self._order,
            "confirm": self._confirm,
            "reject": self._reject,
        }
        return operation, order_id, handlers.get(operation, self._transfer)

    def not_found(self, request: Request) -> Response:
        return answer(False, f"No such endpoint: {request.method} {request.path}", 404)

    def refusal(self, fault: Fault) -> Response:
        # Vivid refuses with a 200 and success=false; any other status is a failure of the HTTP kind.
        return answer(False, fault.message, fault.status)

    def authenticate(self, request: Request) -> tuple[str | None, Response | None]:
        token = (
            request.params.get("apiToken") if request.method == "GET" else _first(request.form(), "apiToken")
        )
        if not token or not self.state.known_seller(self.name, token):
            return None, answer(False, "Invalid or missing apiToken", 401)
        return token, None

    # -- orders -------------------------------------------------------------------------------

    def _orders(self, request: Request, seller: str) -> Response:
        params = request.params
        status = params.get("status", "")
        if status not in RATE_LIMITS_S:
            return answer(False, f"status must be one of: {', '.join(RATE_LIMITS_S)}", 400)
        key, moment = (seller, status), time.monotonic()
        with self.state.lock:
            last = self._last_poll.get(key)
            if last is not None and moment - last < self.state.scaled(RATE_LIMITS_S[status]):
                return answer(
                    False, f"Too many requests: one per {RATE_LIMITS_S[status]:.0f} s for {status}", 429
                )
            self._last_poll[key] = moment
            mine = sorted(
                (
                    o
                    for (market, _), o in self.state.orders.items()
                    if market == self.name and o.seller == seller
                ),
                key=lambda o: int(o.order_id),
            )
        matching = [o for o in mine if STATUSES[o.state] == status]
        size = min(max(int(params.get("pageSize") or 100), 1), MAX_PAGE_SIZE)
        start = int(params.get("bookmark") or 0) if (params.get("bookmark") or "0").isdigit() else 0
        root = element("orders")
        for order in matching[start : start + size]:
            root.append(self.order_view(order))
        if start + size < len(matching):
            ET.SubElement(root, "bookmark").text = str(start + size)
        return xml(200, root)

    def _own(self, request: Request, seller: str) -> Order | Response:
        order_id = (
            request.params.get("orderId") if request.method == "GET" else _first(request.form(), "orderId")
        )
        order = self.state.order(self.name, order_id or "")
        if order is None:
            return answer(False, f"Order {order_id} was not found")
        if order.seller != seller:
            return answer(False, f"Order {order_id} belongs to another broker", 403)
        return order

    def _order(self, request: Request, seller: str) -> Response:
        order = self._own(request, seller)
        return order if isinstance(order, Response) else xml(200, self.order_view(order))

    def _confirm(self, request: Request, seller: str) -> Response:
        order = self._own(request, seller)
        if isinstance(order, Response):
            return order
        seats = [s for s in (_first(request.form(), "seatNumbers") or "").split(",") if s.strip()]
        with self.state.lock:
            if order.state != "pending":
                return answer(False, f"Order {order.order_id} is {STATUSES[order.state]}, not UNCONFIRMED")
            if seats and len(seats) != order.quantity:
                return answer(False, f"seatNumbers must list {order.quantity} seats")
            order.state, order.confirmed_seats = "confirmed", [s.strip() for s in seats]
        return answer(True, f"Order {order.order_id} confirmed")

    def _reject(self, request: Request, seller: str) -> Response:
        order = self._own(request, seller)
        if isinstance(order, Response):
            return order
        with self.state.lock:
            if order.state != "pending":
                return answer(False, f"Order {order.order_id} is {STATUSES[order.state]}, not UNCONFIRMED")
            order.state = "rejected"
        return answer(True, f"Order {order.order_id} rejected")

    def _transfer(self, request: Request, seller: str) -> Response:
        order = self._own(request, seller)
        if isinstance(order, Response):
            return order
        kind = request.path.rstrip("/").rsplit("/", 1)[-1]
        if kind == "transferOrderViaURL":
            form = request.form()
            urls, source = form.get("transferURLList", []), _first(form, "transferSource")
            if not urls or not source:
                return answer(False, "transferURLList and transferSource are required")
            delivered: dict[str, Any] = {"urls": urls, "source": source}
        else:
            files = request.files()
            if not files:
                return answer(False, "Attach the ticket file(s)")
            if kind == "transferOrder" and any(not f.content.startswith(b"%PDF") for f in files):
                return answer(False, "Ticket files must be PDFs")
            delivered = {"files": [{"filename": f.filename, "bytes": len(f.content)} for f in files]}
        with self.state.lock:
            if order.state != "confirmed":
                return answer(False, f"Order {order.order_id} is {STATUSES[order.state]}: confirm it first")
            order.deliveries.append({"kind": kind, **delivered})
            order.state = "delivered"
        return answer(True, f"Order {order.order_id} transferred")

    # -- views --------------------------------------------------------------------------------

    def order_view(self, order: Order) -> ET.Element:
        return element(
            "order",
            {
                "orderId": order.order_id,
                "orderToken": f"tok-{order.order_id}",
                "brokerTicketId": order.ticketgroupid,
                "listingId": 700_000 + int(order.order_id) % 100_000,
                "event": order.event_name,
                "venue": "Sandbox Arena",
                "eventDate": iso(order.event_date),
                "orderDate": iso(order.created_at),
                "expectedShipDate": iso(order.event_date),
                "quantity": order.quantity,
                "cost": order.price_per_seat,
                "section": order.section,
                "row": order.row,
                "seats": element("seats", None) if not order.seats else _seats(order.seats),
                "status": STATUSES[order.state],
                "barCodesRequired": order.deliveryformat == "barcode",
                "transferViaURL": order.deliveryformat == "transfer",
                "instantTransfer": False,
                "emailAddress": f"buyer-{order.order_id}@example.com",
            },
        )

    def announce(self, order: Order, origin: str) -> dict[str, Any]:
        return {"announced": "poll"}  # Vivid Seats waits to be polled


def _seats(seats: list[str]) -> ET.Element:
    node = ET.Element("seats")
    for seat in seats:
        ET.SubElement(node, "seat").text = seat
    return node


def _first(fields: dict[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None
