"""Ticket Evolution's API v9 (the order endpoints a seller uses), as its public docs describe it.

Every request needs `X-Token` (a known seller's API token) and `X-Signature`: base64
HMAC-SHA256 with the seller's secret of "METHOD host/path?query", the host without port, the
query sorted by key, the request body instead of the query when there is one; otherwise 401.
Errors are `{"error": "..."}`. A sale is announced as TEvo does: a form-encoded POST
(order_group_id, recipient, event_type, body) to the webhook URL the simulator was given, signed
the same way with the seller's token and secret, retried 10, 120, 600 and 3600 s after a failure
(times the time scale), then dropped.

The signing is written out here rather than imported from the adapter on purpose: the simulator
checks the adapter, so it must not share its mistakes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from infra.local.marketplace_sim.core import Fault, Order, Push, Request, Response, State, iso

REASONS = (
    "Tickets No Longer Available",
    "Tickets Priced Incorrectly",
    "Duplicate Order",
    "Fraudulent Order",
    "Test Order",
    "Other",
)
RETRY_DELAYS_S = (10.0, 120.0, 600.0, 3600.0)
SELLER_STATES = {
    "pending": "pending",
    "confirmed": "accepted",
    "delivered": "accepted",
    "rejected": "rejected",
}
# TixPilot's delivery format -> TEvo's delivery type
DELIVERY_TYPES = {
    "eticket": "Eticket",
    "barcode": "Eticket",
    "transfer": "TMMobile",
    "mobileqr": "TMMobile",
    "flash": "FlashSeats",
    "hard": "FedEx",
    "willcall": "WillCall",
    "localpickup": "LocalPickup",
}
MAX_PER_PAGE = 100
_ORDER = re.compile(
    r"^/v9/orders/(\d+)(?:/(accept|reject|deliver_etickets)|/items/(\d+)/(add_etickets|finalize_etickets))?$"
)


def signature(secret: str, method: str, host: str, path: str, tail: str) -> str:
    text = f"{method} {host}{path}?{tail}"
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()).decode()


def error(status: int, message: str) -> Response:
    return Response.of_json(status, {"error": message})


class Tevo:
    name = "tevo"
    operations = frozenset({"get_sale", "poll", "confirm", "reject", "deliver"})
    hidden_fields: frozenset[str] = frozenset()

    def __init__(self, state: State, webhook_url: str | None = None) -> None:
        self.state = state
        self.webhook_url = webhook_url

    def route(self, request: Request) -> tuple[str, str | None, Any] | None:
        path, method = request.path.rstrip("/"), request.method
        if path == "/v9/orders" and method == "GET":
            return ("poll", None, self._index)
        match = _ORDER.match(path)
        if not match:
            return None
        order_id, action, item, item_action = match.groups()
        if method == "GET" and not action and not item:
            return ("get_sale", order_id, self._show)
        if method == "POST" and action == "accept":
            return ("confirm", order_id, self._accept)
        if method == "POST" and action == "reject":
            return ("reject", order_id, self._reject)
        if method == "POST" and (action == "deliver_etickets" or item_action):
            return ("deliver", order_id, self._deliver)
        return None

    def not_found(self, request: Request) -> Response:
        return error(404, "Not Found")

    def refusal(self, fault: Fault) -> Response:
        return error(fault.status, fault.message)

    def authenticate(self, request: Request) -> tuple[str | None, Response | None]:
        token = request.header("x-token")
        secret = self.state.secret_of(self.name, token) if token else None
        if not secret:
            return None, error(401, "Unauthorized: unknown X-Token")
        host = (request.header("host") or "").rsplit(":", 1)[0]
        path = request.full_path.split("?", 1)[0]
        tail = request.body.decode() if request.body else urlencode(sorted(parse_qsl(request.query)))
        expected = signature(secret, request.method, host, path, tail)
        if not hmac.compare_digest(request.header("x-signature").encode(), expected.encode()):
            return None, error(401, "Unauthorized: X-Signature does not match")
        return token, None

    # -- orders -------------------------------------------------------------------------------

    def _own(self, request: Request, seller: str) -> Order | Response:
        match = _ORDER.match(request.path.rstrip("/"))
        order = self.state.order(self.name, match.group(1)) if match else None
        if order is None:
            return error(404, "Not Found")
        if order.seller != seller:
            return error(403, "Forbidden: the order belongs to another brokerage")
        return order

    def _index(self, request: Request, seller: str) -> Response:
        params = request.params
        try:
            page = max(int(params.get("page", "1")), 1)
            per_page = min(max(int(params.get("per_page", "100")), 1), MAX_PER_PAGE)
        except ValueError:
            return error(422, "page and per_page must be integers")
        state = params.get("state")
        with self.state.lock:
            mine = [
                o
                for (market, _), o in sorted(self.state.orders.items(), key=lambda kv: int(kv[0][1]))
                if market == self.name
                and o.seller == seller
                and (not state or SELLER_STATES[o.state] == state)
            ]
        shown = mine[(page - 1) * per_page : page * per_page]
        return Response.of_json(
            200,
            {
                "current_page": page,
                "per_page": per_page,
                "total_entries": len(mine),
                "orders": [self.order_view(o) for o in shown],
            },
        )

    def _show(self, request: Request, seller: str) -> Response:
        order = self._own(request, seller)
        return order if isinstance(order, Response) else Response.of_json(200, self.order_view(order))

    def _own_with_body(self, request: Request, seller: str) -> tuple[Order, dict[str, Any]] | Response:
        order = self._own(request, seller)
        if isinstance(order, Response):
            return order
        try:
            body = request.json()
        except ValueError:
            return error(422, "the body must be JSON")
        return (order, body) if isinstance(body, dict) else error(422, "the body must be a JSON object")

    def _accept(self, request: Request, seller: str) -> Response:
        found = self._own_with_body(request, seller)
        if isinstance(found, Response):
            return found
        order, body = found
        if not isinstance(body.get("reviewer_id"), int):
            return error(422, "reviewer_id is required (the id of the user accepting the order)")
        seats = body.get("seats")
        if seats is not None and (
            not isinstance(seats, list)
            or len(seats) != order.quantity
            or not all(isinstance(s, int) for s in seats)
        ):
            return error(422, f"seats must be {order.quantity} integers")
        with self.state.lock:
            if order.state != "pending":
                return error(
                    422, f"Order is {SELLER_STATES[order.state]}, only a pending order can be accepted"
                )
            order.state = "confirmed"
            order.confirmed_seats = [str(s) for s in seats or []]
        return Response.of_json(200, self.order_view(order))

    def _reject(self, request: Request, seller: str) -> Response:
        found = self._own_with_body(request, seller)
        if isinstance(found, Response):
            return found
        order, body = found
        if not isinstance(body.get("reviewer_id"), int):
            return error(422, "reviewer_id is required (the id of the user rejecting the order)")
        if body.get("reason") not in REASONS:
            return error(422, f"reason must be one of: {', '.join(REASONS)}")
        with self.state.lock:
            if order.state != "pending":
                return error(
                    422, f"Order is {SELLER_STATES[order.state]}, only a pending order can be rejected"
                )
            order.state = "rejected"
            order.deliveries.append({"rejection": body["reason"], "notes": body.get("rejection_notes")})
        return Response.of_json(200, self.order_view(order))

    def _deliver(self, request: Request, seller: str) -> Response:
        found = self._own_with_body(request, seller)
        if isinstance(found, Response):
            return found
        order, body = found
        if order.state not in ("confirmed", "delivered"):
            return error(422, "etickets can only be delivered for an accepted order")
        action = request.path.rstrip("/").rsplit("/", 1)[-1]
        item = self._item_ids(order)
        if action == "deliver_etickets":
            etickets = body.get("etickets")
            if not isinstance(etickets, list) or not etickets:
                return error(422, "etickets is required")
            for eticket in etickets:
                if not isinstance(eticket, dict) or eticket.get("item_id") != item["order_item_id"]:
                    return error(
                        422, f"item_id must be the order_item_id of the order ({item['order_item_id']})"
                    )
                if not _is_pdf(eticket.get("eticket")):
                    return error(422, "eticket must be a base64-encoded PDF")
            with self.state.lock:
                order.deliveries.append({"etickets": len(etickets)})
                order.state = "delivered"
            return Response.of_json(200, {"result": "success"})
        if request.path.rstrip("/").split("/")[5] != str(item["id"]):
            return error(404, "Not Found")
        if action == "add_etickets":
            files = body.get("files")
            if not isinstance(files, list) or not files or not all(_is_pdf(f) for f in files):
                return error(422, "files must be base64-encoded PDFs")
            with self.state.lock:
                order.staged_files.extend(base64.b64decode(f) for f in files)
            return Response.of_json(200, self._item_view(order))
        keep = body.get("keep_pages")
        if not isinstance(keep, list) or not keep or not all(isinstance(p, int) for p in keep):
            return error(422, "keep_pages is required")
        with self.state.lock:
            if not order.staged_files:
                return error(422, "add etickets before finalizing them")
            if len(keep) != order.quantity and not body.get("ignore_quantity"):
                return error(422, f"keep {order.quantity} pages (one per ticket) or pass ignore_quantity")
            order.deliveries.append({"etickets": len(order.staged_files), "keep_pages": keep})
            order.staged_files = []
            order.state = "delivered"
        return Response.of_json(200, self._item_view(order))

    # -- views and pushes ---------------------------------------------------------------------

    def _item_ids(self, order: Order) -> dict[str, int]:
        return {"id": int(order.order_id) * 10 + 1, "order_item_id": int(order.order_id) * 10 + 2}

    def _item_view(self, order: Order) -> dict[str, Any]:
        with self.state.lock:
            listing = order.listing_id or self.state.next_id()
            order.listing_id = listing
        return {
            **self._item_ids(order),
            "price": str(order.price_per_seat),
            "quantity": order.quantity,
            "eticket_delivery": order.deliveryformat in ("eticket", "barcode"),
            "ticket_group": {
                "id": listing,
                "remote_id": order.ticketgroupid,
                "section": order.section,
                "row": order.row,
                "seats": order.seats,
                "quantity": order.quantity,
                "wholesale_price": str(order.price_per_seat),
                "event": {
                    "id": 1000 + len(order.event_name),
                    "name": order.event_name,
                    "occurs_at": iso(order.event_date),
                    "venue": {"name": "Sandbox Arena", "address": {"locality": "New York", "region": "NY"}},
                },
            },
        }

    def order_view(self, order: Order) -> dict[str, Any]:
        """An order as Orders / Show answers it (the fields a seller's integration reads)."""
        seller_state = SELLER_STATES[order.state]
        return {
            "id": int(order.order_id),
            "oid": f"{self._group(order)}-{order.order_id}",
            "order_group_id": self._group(order),
            "url": f"/orders/{order.order_id}",
            "state": seller_state,
            "seller_state": seller_state,
            "buyer_state": seller_state,
            "created_at": iso(order.created_at),
            "updated_at": iso(order.created_at),
            "total": str(order.total),
            "delivery": {"type": DELIVERY_TYPES.get(order.deliveryformat, "Eticket")},
            "seller_rejection_reason": next(
                (d["rejection"] for d in order.deliveries if "rejection" in d), None
            ),
            "items": [self._item_view(order)],
        }

    def _group(self, order: Order) -> int:
        return int(order.order_id) + 100_000

    def announce(self, order: Order, origin: str) -> dict[str, Any]:
        """A new sale: `order_created` to the configured webhook URL, signed for the seller."""
        if not self.webhook_url:
            return {"announced": "nothing", "reason": "the simulator has no TEvo webhook URL"}
        secret = self.state.secret_of(self.name, order.seller) or ""
        form = urlencode(
            {
                "order_group_id": self._group(order),
                "recipient": "seller",
                "event_type": "order_created",
                "body": json.dumps(self.order_view(order)),
            }
        )
        target = urlsplit(self.webhook_url)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Token": order.seller,
            "X-Signature": signature(secret, "POST", target.hostname or "", target.path, form),
        }
        delays = [self.state.scaled(s) for s in RETRY_DELAYS_S]
        self.state.pusher.submit(
            Push(
                self.name,
                order.seller,
                order.order_id,
                "order_created",
                self.webhook_url,
                headers,
                form.encode(),
                delays,
            )
        )
        return {"announced": "webhook", "webhooks": 1}


def _is_pdf(value: Any) -> bool:
    try:
        return isinstance(value, str) and base64.b64decode(value, validate=True).startswith(b"%PDF")
    except (binascii.Error, ValueError):
        return False
