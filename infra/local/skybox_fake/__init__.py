"""The fake SkyBox: SkyBox's POS API as its public generated client describes it, for the local
stack and the tests (SKYBOX_PORT, default 3300; not started when TIXPILOT_SKYBOX_URL points
elsewhere). docs/skybox.md lists what it implements and how it decides what SkyBox leaves open.

The API, at the root (the real one is under https://skybox.vividseats.com/services):
- every call needs `X-Account`, `X-Api-Token` and `X-Application-Token` of an account: 401 if not;
- bodies are checked against the client's models (required fields, enums, limits): 400 with the
  violations as `[{"propertyPath", "message"}]`; other refusals are 400/404 with `{"message"}`;
- more than `rate_calls` calls per `rate_window_s` from one account: 429 with Retry-After;
- searches answer `{"rows": [...], "rowCount": N}` (what SkyBox's own callers read), or a bare
  list after `POST /sandbox/search-shape {"shape": "list"}` (what the generated client expects).

Control, for tests and demos (no auth):
- POST /sandbox/accounts {"account_id"?, "api_token", "application_token"} -> {"account_id",
  "vendor_id", "credit_card_id", "customers": {marketplace: customer id}} (a vendor, a card and a
  default customer per marketplace come with it);
- POST /sandbox/events {"name", "venue", "date" (venue-local ISO), "city"?, "state"?} -> the event;
- POST /sandbox/tickets {"account_id", "ticket_id", "bar_code"?, "pdf_base64"?}: a barcode or a
  PDF put on a ticket, as a broker does in SkyBox;
- POST /sandbox/faults {"operation", "status", "times"?}: the next `times` (1) calls of that
  operation ("*" for any) answer `status` without acting;
- POST /sandbox/rate-limit {"calls", "window_s"}; POST /sandbox/search-shape {"shape"};
- GET /sandbox/calls?operation=&account=: every API call, oldest first
  {"operation", "method", "path", "account", "status", "at"}.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, Field, ValidationError

from infra.local.marketplace_sim import make_marketplace_server
from infra.local.marketplace_sim.core import Response
from infra.local.skybox_fake import models
from infra.local.skybox_fake.store import Account, Refused, SkyBoxStore, iso, now


@dataclass(frozen=True)
class DemoAccount:
    """The account `make run` opens in its fake SkyBox (its banner prints it)."""

    account_id: int = 1001
    api_token: str = "demo-api-token"
    application_token: str = "demo-application-token"


DEMO_ACCOUNT = DemoAccount()


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            raise Refused(400, "the body is not JSON") from None


Handler = Callable[[Account, Call, re.Match[str]], Any]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    operation: str
    handler: Handler
    search: bool = False  # a search: its rows are wrapped or not, by the search shape


class AccountBody(BaseModel):
    account_id: int | None = Field(default=None, ge=1)
    api_token: str = Field(min_length=1)
    application_token: str = Field(min_length=1)


class EventBody(BaseModel):
    name: str = Field(min_length=1)
    venue: str = Field(min_length=1)
    date: dt.datetime
    city: str = ""
    state: str = ""


class TicketBody(BaseModel):
    account_id: int
    ticket_id: int
    bar_code: str | None = None
    pdf_base64: str | None = None


class FaultBody(BaseModel):
    operation: str = Field(min_length=1)
    status: int = Field(ge=100, le=599)
    times: int = Field(default=1, ge=1)


class RateBody(BaseModel):
    calls: int = Field(ge=1)
    window_s: float = Field(gt=0)


class ShapeBody(BaseModel):
    shape: Literal["rows", "list"]


def violations(exc: ValidationError) -> list[dict[str, str]]:
    """pydantic's errors in the javax.validation style SkyBox's docs hint at."""
    found = []
    for error in exc.errors(include_url=False, include_context=False):
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(
            "."
        )
        found.append({"propertyPath": path, "message": error["msg"]})
    return found


class SkyBoxFake:
    def __init__(self, rate_calls: int = 50, rate_window_s: float = 1.0) -> None:
        self.store = SkyBoxStore()
        self.lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.faults: dict[str, list[int]] = {}  # operation -> [status, times left]
        self.rate_calls, self.rate_window_s = rate_calls, rate_window_s
        self._recent: dict[int, collections.deque[float]] = {}
        self.shape: Literal["rows", "list"] = "rows"
        self.routes = self._routes()

    def _routes(self) -> list[Route]:
        s = self.store

        def number(match: re.Match[str]) -> int:
            return int(match.group(1))

        table: list[tuple[str, str, str, Handler, bool]] = [
            ("GET", r"/events", "events.search", lambda a, c, m: s.search_events(c.params), True),
            ("GET", r"/events/(\d+)", "events.get", lambda a, c, m: s.get_event(number(m)), False),
            ("POST", r"/purchases", "purchases.create", self._create_purchase, False),
            ("GET", r"/purchases", "purchases.search", lambda a, c, m: s.search_purchases(a, c.params), True),
            (
                "GET",
                r"/purchases/(\d+)",
                "purchases.get",
                lambda a, c, m: s.get_purchase(a, number(m)),
                False,
            ),
            ("GET", r"/inventory", "inventory.search", lambda a, c, m: s.search_inventory(a, c.params), True),
            (
                "GET",
                r"/inventory/(\d+)",
                "inventory.get",
                lambda a, c, m: s.get_inventory(a, number(m)),
                False,
            ),
            (
                "GET",
                r"/inventory/barcodes/(\d+)",
                "inventory.barcodes",
                lambda a, c, m: s.barcodes(a, number(m)),
                False,
            ),
            ("POST", r"/holds", "holds.create", self._create_hold, False),
            ("GET", r"/holds", "holds.search", lambda a, c, m: s.search_holds(a, c.params), True),
            ("GET", r"/holds/(\d+)", "holds.get", lambda a, c, m: s.get_hold(a, number(m)), False),
            ("DELETE", r"/holds/(\d+)", "holds.delete", lambda a, c, m: s.delete_hold(a, number(m)), False),
            ("POST", r"/invoices", "invoices.create", self._create_invoice, False),
            ("GET", r"/invoices", "invoices.search", lambda a, c, m: s.search_invoices(a, c.params), True),
            ("GET", r"/invoices/external-ref", "invoices.tickets", self._invoice_tickets, False),
            ("GET", r"/invoices/(\d+)", "invoices.get", lambda a, c, m: s.get_invoice(a, number(m)), False),
            ("PUT", r"/invoices/bulk", "invoices.bulk", self._bulk_invoices, False),
            (
                "GET",
                r"/customers/defaults",
                "customers.defaults",
                lambda a, c, m: s.customer_defaults(a),
                False,
            ),
            ("GET", r"/assets/([^/]+)", "assets.get", lambda a, c, m: s.asset(a, unquote(m.group(1))), False),
        ]
        return [
            Route(method, re.compile(path + "/?"), op, handler, search)
            for method, path, op, handler, search in table
        ]

    # -- the API --------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(target)
        call = Call(
            method,
            parts.path,
            parse_qs(parts.query, keep_blank_values=True),
            {k.lower(): v for k, v in headers.items()},
            body,
        )
        if parts.path.startswith("/sandbox/"):
            return self._control(call)
        matches = [(r, m) for r in self.routes if (m := r.pattern.fullmatch(parts.path))]
        route_match = next(((r, m) for r, m in matches if r.method == method), None)
        if route_match is None:
            status = 405 if matches else 404
            return Response.of_json(status, {"message": f"no operation {method} {parts.path}"})
        route, match = route_match
        entry: dict[str, Any] = {
            "operation": route.operation,
            "method": method,
            "path": parts.path,
            "account": call.headers.get("x-account", ""),
            "status": None,
            "at": iso(now()),
        }
        with self.lock:
            self.calls.append(entry)
        response = self._answer(route, match, call)
        entry["status"] = response.status
        return response

    def _answer(self, route: Route, match: re.Match[str], call: Call) -> Response:
        fault = self._take_fault(route.operation)
        if fault is not None:
            return Response.of_json(fault, {"message": f"simulated failure ({fault})"})
        account = self.store.authenticate(
            call.headers.get("x-account", ""),
            call.headers.get("x-api-token", ""),
            call.headers.get("x-application-token", ""),
        )
        if account is None:
            return Response.of_json(401, {"message": "not authorized"})
        wait = self._rate_limited(account.id)
        if wait is not None:
            response = Response.of_json(429, {"message": "rate limit exceeded"})
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        try:
            result = route.handler(account, call, match)
        except Refused as refused:
            return Response.of_json(refused.status, refused.body)
        except ValidationError as exc:
            return Response.of_json(400, violations(exc))
        if result is None:
            return Response(200, b"", "application/json")
        if route.search and self.shape == "rows":
            result = {"rows": result, "rowCount": len(result)}
        return Response.of_json(200, result)

    def _take_fault(self, operation: str) -> int | None:
        with self.lock:
            for key in (operation, "*"):
                fault = self.faults.get(key)
                if fault:
                    status, fault[1] = fault[0], fault[1] - 1
                    if fault[1] <= 0:
                        del self.faults[key]
                    return status
        return None

    def _rate_limited(self, account_id: int) -> float | None:
        """Seconds until the account may call again, or None when it may now (sliding window)."""
        at = time.monotonic()
        with self.lock:
            recent = self._recent.setdefault(account_id, collections.deque())
            while recent and recent[0] <= at - self.rate_window_s:
                recent.popleft()
            if len(recent) >= self.rate_calls:
                return recent[0] + self.rate_window_s - at
            recent.append(at)
        return None

    def _create_purchase(self, account: Account, call: Call, match: re.Match[str]) -> Any:
        raw = call.json()
        purchase = models.Purchase.model_validate(raw)
        return self.store.create_purchase(account, purchase, raw)

    def _create_hold(self, account: Account, call: Call, match: re.Match[str]) -> Any:
        return self.store.create_hold(account, models.HoldRequest.model_validate(call.json()))

    def _create_invoice(self, account: Account, call: Call, match: re.Match[str]) -> Any:
        raw = call.json()
        invoice = models.Invoice.model_validate(raw)
        force = (call.params.get("force") or ["false"])[-1].lower() == "true"
        return self.store.create_invoice(account, invoice, raw, force)

    def _bulk_invoices(self, account: Account, call: Call, match: re.Match[str]) -> Any:
        self.store.bulk_update_invoices(account, models.BulkInvoiceUpdate.model_validate(call.json()))
        return None

    def _invoice_tickets(self, account: Account, call: Call, match: re.Match[str]) -> Any:
        ref = (call.params.get("external-ref") or [""])[-1]
        if not ref:
            raise Refused(400, "external-ref is required")
        return self.store.invoice_tickets(account, ref)

    # -- control --------------------------------------------------------------------------------

    def _control(self, call: Call) -> Response:
        handlers: dict[tuple[str, str], Callable[[Call], Any]] = {
            ("POST", "/sandbox/accounts"): self._add_account,
            ("POST", "/sandbox/events"): self._add_event,
            ("POST", "/sandbox/tickets"): self._attach,
            ("POST", "/sandbox/faults"): self._add_fault,
            ("POST", "/sandbox/rate-limit"): self._set_rate,
            ("POST", "/sandbox/search-shape"): self._set_shape,
            ("GET", "/sandbox/calls"): self._calls,
        }
        handler = handlers.get((call.method, call.path.rstrip("/")))
        if handler is None:
            return Response.of_json(404, {"error": f"no control endpoint {call.method} {call.path}"})
        try:
            return Response.of_json(200, handler(call))
        except ValidationError as exc:
            return Response.of_json(400, {"error": exc.errors(include_url=False, include_context=False)})
        except Refused as refused:
            return Response.of_json(refused.status, refused.body)

    def add_account(self, account_id: int | None, api_token: str, application_token: str) -> dict[str, Any]:
        account = self.store.add_account(account_id, api_token, application_token)
        return self.store.account_view(account)

    def _add_account(self, call: Call) -> Any:
        body = AccountBody.model_validate_json(call.body or b"{}")
        return self.add_account(body.account_id, body.api_token, body.application_token)

    def _add_event(self, call: Call) -> Any:
        body = EventBody.model_validate_json(call.body or b"{}")
        return self.store.add_event(body.name, body.venue, body.date, body.city, body.state).view()

    def _attach(self, call: Call) -> Any:
        import base64

        body = TicketBody.model_validate_json(call.body or b"{}")
        account = self.store.accounts.get(body.account_id)
        if account is None:
            raise Refused(404, f"no account {body.account_id}")
        pdf = base64.b64decode(body.pdf_base64) if body.pdf_base64 else None
        return self.store.attach(account, body.ticket_id, body.bar_code, pdf)

    def _add_fault(self, call: Call) -> Any:
        body = FaultBody.model_validate_json(call.body or b"{}")
        known = {r.operation for r in self.routes} | {"*"}
        if body.operation not in known:
            raise Refused(400, f"operation must be one of {', '.join(sorted(known))}")
        with self.lock:
            self.faults[body.operation] = [body.status, body.times]
        return body.model_dump()

    def _set_rate(self, call: Call) -> Any:
        body = RateBody.model_validate_json(call.body or b"{}")
        with self.lock:
            self.rate_calls, self.rate_window_s = body.calls, body.window_s
            self._recent.clear()
        return body.model_dump()

    def _set_shape(self, call: Call) -> Any:
        body = ShapeBody.model_validate_json(call.body or b"{}")
        self.shape = body.shape
        return body.model_dump()

    def _calls(self, call: Call) -> Any:
        wanted = {k: v[-1] for k, v in call.params.items() if k in ("operation", "account")}
        with self.lock:
            return [dict(c) for c in self.calls if all(str(c[k]) == v for k, v in wanted.items())]


def make_skybox_server(fake: SkyBoxFake, host: str, port: int) -> Any:
    """The fake on host:port (serve_forever in a thread; shutdown to stop)."""
    return make_marketplace_server(fake, host, port)


__all__ = ["DEMO_ACCOUNT", "SkyBoxFake", "make_skybox_server"]
