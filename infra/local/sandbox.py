"""The primary sandbox: an in-memory stand-in for a primary's account pages, with delays.

`POST /sandbox/orders` stores the primary's truth about an order; the crawl connector reads
`GET /accounts/{username}/orders` and `.../orders/{confnum}`. An order is invisible until
`visible_after_s` has passed, and its rotating-barcode status is null until
`rotating_known_after_s` has.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, ValidationError


class SandboxEvent(BaseModel):
    name: str
    venue: str
    datetime: str


class SandboxOrder(BaseModel):
    account_username: str = Field(min_length=1)
    confirmation_number: str = Field(min_length=1)
    region: str | None = None
    event: SandboxEvent
    section: str | None = None
    row: str | None = None
    seats: list[str] | None = None
    quantity: int | None = Field(default=None, ge=1)
    cost_perseat: str | None = None
    face_perseat: str | None = None
    fees: str | None = None
    disclosures: list[int] = Field(default_factory=list)
    stock: str | None = None
    rotating_barcodes: bool | None = None
    barcodes: list[str] = Field(default_factory=list)
    visible_after_s: float = Field(default=0, ge=0)
    rotating_known_after_s: float = Field(default=0, ge=0)


class Sandbox:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._orders: dict[tuple[str, str], tuple[float, SandboxOrder]] = {}
        self._lock = threading.Lock()

    def add(self, order: SandboxOrder) -> dict[str, Any]:
        with self._lock:
            self._orders[(order.account_username.lower(), order.confirmation_number)] = (self._clock(), order)
        return self._view(self._clock(), self._clock(), order)

    def _view(self, now: float, added: float, order: SandboxOrder) -> dict[str, Any]:
        data = order.model_dump(exclude={"visible_after_s", "rotating_known_after_s"})
        if now - added < order.rotating_known_after_s:
            data["rotating_barcodes"] = None
        if data["quantity"] is None and order.seats:
            data["quantity"] = len(order.seats)
        return data

    def orders(self, username: str) -> list[dict[str, Any]]:
        now = self._clock()
        with self._lock:
            entries = [v for (user, _), v in self._orders.items() if user == username.lower()]
        return [self._view(now, added, o) for added, o in entries if now - added >= o.visible_after_s]

    def order(self, username: str, confnum: str) -> dict[str, Any] | None:
        return next((o for o in self.orders(username) if o["confirmation_number"] == confnum), None)


def make_sandbox_server(sandbox: Sandbox, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if urlsplit(self.path).path.rstrip("/") != "/sandbox/orders":
                return self._send(404, {"error": "not found"})
            length = int(self.headers.get("Content-Length") or 0)
            try:
                order = SandboxOrder.model_validate_json(self.rfile.read(length))
            except ValidationError as exc:
                return self._send(400, {"error": exc.errors(include_url=False, include_context=False)})
            self._send(201, sandbox.add(order))

        def do_GET(self) -> None:
            parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
            if len(parts) == 3 and parts[0] == "accounts" and parts[2] == "orders":
                return self._send(200, {"orders": sandbox.orders(parts[1])})
            if len(parts) >= 4 and parts[0] == "accounts" and parts[2] == "orders":
                found = sandbox.order(parts[1], "/".join(parts[3:]))
                return self._send(200, found) if found else self._send(404, {"error": "no such order"})
            self._send(404, {"error": "not found"})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
