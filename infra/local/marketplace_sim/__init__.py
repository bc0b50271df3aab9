"""The marketplace simulator: StubHub-, Ticket Evolution- and Vivid Seats-shaped APIs under
/stubhub, /tevo and /vivid, each checking the auth its real one uses and behaving like it (see
each module), plus control endpoints for tests and demos:

- POST /sandbox/sellers {"marketplace", "seller", "secret"?}: an account the API accepts, named
  by the token it authenticates with (TEvo's needs its secret). /sandbox/sell registers StubHub
  and Vivid sellers by itself.
- POST /sandbox/sell {"marketplace", "seller", "order_id", "ticketgroupid", "quantity",
  "price_per_seat", "deliveryformat", "section"?, "row"?, "seats"?, "event_name"?, "event_date"?}:
  a sale, announced the way that marketplace announces one (StubHub: to the seller's registered
  webhooks; TEvo: to the configured webhook URL; Vivid: not at all, it waits in getOrders). The
  same body twice announces it twice.
- GET /sandbox/calls?marketplace=&order_id=: every call made to the APIs, oldest first:
  {"marketplace", "operation", "order_id", "body", "at", "status"}.
- POST /sandbox/faults {"marketplace", "operation", "status", "times"?, "message"?}: the next
  `times` (1) such calls answer `status` (for Vivid, 200 means success=false with `message`).
- GET /sandbox/notifications?marketplace=&order_id=: the pushes and each attempt's outcome.

Time scale (MARKETPLACE_TIME_SCALE, 1.0) multiplies the webhook retry delays and Vivid's rate
limits, so tests can run the schedules in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, model_validator

from infra.local.marketplace_sim.core import Fault, Order, Request, Response, State, iso, now
from infra.local.marketplace_sim.stubhub import StubHub
from infra.local.marketplace_sim.tevo import Tevo
from infra.local.marketplace_sim.vivid import Vivid
from tixpilot.models.sales import DeliveryFormat

Marketplace = Literal["stubhub", "tevo", "vivid"]


class SimulatedApi(Protocol):
    name: str
    operations: frozenset[str]
    hidden_fields: frozenset[str]

    def route(self, request: Request) -> tuple[str, str | None, Any] | None: ...
    def not_found(self, request: Request) -> Response: ...
    def refusal(self, fault: Fault) -> Response: ...
    def authenticate(self, request: Request) -> tuple[str | None, Response | None]: ...
    def announce(self, order: Order, origin: str) -> dict[str, Any]: ...


class SellerBody(BaseModel):
    marketplace: Marketplace
    seller: str = Field(min_length=1)
    secret: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _tevo_needs_secret(self) -> SellerBody:
        if self.marketplace == "tevo" and not self.secret:
            raise ValueError("a Ticket Evolution seller needs its API secret (`secret`) to sign with")
        return self


class SaleBody(BaseModel):
    marketplace: Marketplace
    seller: str = Field(min_length=1)
    order_id: str = Field(pattern=r"^[1-9][0-9]{0,8}$")  # the three use integer order ids
    ticketgroupid: str = Field(min_length=1)
    quantity: int = Field(ge=1, le=100)
    price_per_seat: Decimal = Field(gt=0, decimal_places=2)
    deliveryformat: DeliveryFormat = "eticket"
    section: str = "101"
    row: str = "A"
    seats: list[str] | None = None
    event_name: str = "Sandbox Event"
    event_date: dt.datetime | None = None

    @model_validator(mode="after")
    def _seats_match_quantity(self) -> SaleBody:
        if self.seats is not None and len(self.seats) != self.quantity:
            raise ValueError(f"seats lists {len(self.seats)} seats for a quantity of {self.quantity}")
        return self


class FaultBody(BaseModel):
    marketplace: Marketplace
    operation: str
    status: int = Field(ge=100, le=599)
    times: int = Field(default=1, ge=1)
    message: str = "Simulated failure"


class MarketplaceSimulator:
    def __init__(self, tevo_webhook_url: str | None = None, time_scale: float = 1.0) -> None:
        self.state = State(time_scale)
        self.apis: dict[str, SimulatedApi] = {
            "stubhub": StubHub(self.state),
            "tevo": Tevo(self.state, tevo_webhook_url),
            "vivid": Vivid(self.state),
        }

    def stop(self) -> None:
        self.state.pusher.stop()

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(target)
        prefix, _, rest = parts.path.lstrip("/").partition("/")
        request = Request(
            method, "/" + rest, parts.path, parts.query, {k.lower(): v for k, v in headers.items()}, body
        )
        if prefix == "sandbox":
            return self._control(request)
        api = self.apis.get(prefix)
        if api is None:
            return Response.of_json(
                404, {"error": f"no API at /{prefix}: use /stubhub, /tevo, /vivid or /sandbox"}
            )
        return self._serve(api, request)

    # -- the simulated APIs -------------------------------------------------------------------

    def _serve(self, api: SimulatedApi, request: Request) -> Response:
        found = api.route(request)
        if found is None:
            return api.not_found(request)
        operation, order_id, handler = found
        call = {
            "marketplace": api.name,
            "operation": operation,
            "order_id": order_id,
            "body": request.logged_body(api.hidden_fields),
            "at": iso(now()),
            "status": None,
        }
        with self.state.lock:
            self.state.calls.append(call)
        fault = self.state.take_fault(api.name, operation)
        if fault is not None:
            response = api.refusal(fault)
        else:
            seller, refused = api.authenticate(request)
            response = refused or handler(request, seller)
        call["status"] = response.status
        return response

    # -- control ------------------------------------------------------------------------------

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/"))
        handlers = {
            ("POST", "/sellers"): self._add_seller,
            ("POST", "/sell"): self._sell,
            ("GET", "/calls"): self._calls,
            ("POST", "/faults"): self._fault,
            ("GET", "/notifications"): self._notifications,
        }
        handler = handlers.get(route)
        if handler is None:
            return Response.of_json(
                404, {"error": f"no control endpoint {request.method} /sandbox{request.path}"}
            )
        try:
            return handler(request)
        except ValidationError as exc:
            return Response.of_json(400, {"error": exc.errors(include_url=False, include_context=False)})

    def _add_seller(self, request: Request) -> Response:
        body = SellerBody.model_validate_json(request.body or b"{}")
        with self.state.lock:
            self.state.sellers[(body.marketplace, body.seller)] = body.secret or ""
        return Response.of_json(201, {"marketplace": body.marketplace, "seller": body.seller})

    def _sell(self, request: Request) -> Response:
        body = SaleBody.model_validate_json(request.body or b"{}")
        with self.state.lock:
            known = (body.marketplace, body.seller) in self.state.sellers
            if not known and body.marketplace == "tevo":
                return Response.of_json(
                    409, {"error": "register the TEvo seller and its secret first: POST /sandbox/sellers"}
                )
            self.state.sellers.setdefault((body.marketplace, body.seller), "")
            existing = self.state.orders.get((body.marketplace, body.order_id))
            if existing is not None and existing.seller != body.seller:
                return Response.of_json(409, {"error": f"order {body.order_id} belongs to another seller"})
            order = existing or Order(
                marketplace=body.marketplace,
                order_id=body.order_id,
                seller=body.seller,
                ticketgroupid=body.ticketgroupid,
                quantity=body.quantity,
                price_per_seat=body.price_per_seat,
                deliveryformat=body.deliveryformat,
                section=body.section,
                row=body.row,
                seats=body.seats or [str(n) for n in range(1, body.quantity + 1)],
                event_name=body.event_name,
                event_date=body.event_date or now().replace(hour=23, minute=30) + dt.timedelta(days=30),
            )
            self.state.orders[(body.marketplace, body.order_id)] = order
        announced = self.apis[body.marketplace].announce(order, request.origin)
        return Response.of_json(
            201, {"marketplace": body.marketplace, "order_id": body.order_id, **announced}
        )

    def _calls(self, request: Request) -> Response:
        wanted = request.params
        with self.state.lock:
            calls = [
                dict(call)
                for call in self.state.calls
                if all(
                    str(call.get(key)) == wanted[key]
                    for key in ("marketplace", "order_id", "operation")
                    if key in wanted
                )
            ]
        return Response.of_json(200, calls)

    def _fault(self, request: Request) -> Response:
        body = FaultBody.model_validate_json(request.body or b"{}")
        operations = self.apis[body.marketplace].operations
        if body.operation not in operations:
            return Response.of_json(
                400,
                {"error": f"operation must be one of {', '.join(sorted(operations))} for {body.marketplace}"},
            )
        with self.state.lock:
            self.state.faults[(body.marketplace, body.operation)] = Fault(
                body.status, body.times, body.message
            )
        return Response.of_json(201, body.model_dump())

    def _notifications(self, request: Request) -> Response:
        wanted = request.params
        with self.state.lock:
            views = [p.view() for p in self.state.pusher.pushes]
        views = [
            v
            for v in views
            if all(str(v.get(k)) == wanted[k] for k in ("marketplace", "order_id") if k in wanted)
        ]
        return Response.of_json(200, json.loads(json.dumps(views)))


class Serves(Protocol):
    """What the server needs: the simulator, or another fake of the local stack (the SkyBox one)."""

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response: ...


def make_marketplace_server(simulator: Serves, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # see gateway.py: body and headers in separate writes

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            response = simulator.handle(self.command, self.path, dict(self.headers.items()), body)
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            self.wfile.write(response.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


__all__ = ["MarketplaceSimulator", "make_marketplace_server"]
