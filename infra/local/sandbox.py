"""The primary sandbox: an in-memory stand-in for a primary's account pages, with delays, and for
the DNS records of its mail keys.

`POST /sandbox/orders` stores the primary's truth about an order; the crawl connector reads
`GET /accounts/{username}/orders` and `.../orders/{confnum}`. An order is invisible until
`visible_after_s` has passed, and its rotating-barcode status is null until
`rotating_known_after_s` has.

`POST /sandbox/dkim {"domain", "selector", "public_key"}` publishes a DKIM key (`public_key` is
the base64 of the `p=` tag) as the TXT record `<selector>._domainkey.<domain>`; the local SMTP
receiver's DKIM checks read it with `GET /sandbox/dkim?name=<selector>._domainkey.<domain>`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator

_LABELS = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


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


class SandboxDkimKey(BaseModel):
    domain: str = Field(min_length=1, max_length=253)
    selector: str = Field(min_length=1, max_length=63)
    public_key: str = Field(min_length=1)

    @field_validator("domain", "selector")
    @classmethod
    def _dns_name(cls, value: str) -> str:
        if not _LABELS.match(value):
            raise ValueError(f"{value!r} is not a DNS name; use letters, digits, '-' and '.'")
        return value.lower()

    @field_validator("public_key")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("public_key: the base64 of the key (the p= tag of the record)") from exc
        return value

    @property
    def name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    @property
    def txt(self) -> str:
        return f"v=DKIM1; k=rsa; p={self.public_key}"


class Sandbox:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._orders: dict[tuple[str, str], tuple[float, SandboxOrder]] = {}
        self._dkim: dict[str, SandboxDkimKey] = {}
        self._lock = threading.Lock()

    def publish_key(self, key: SandboxDkimKey) -> dict[str, str]:
        with self._lock:
            self._dkim[key.name] = key
        return {"name": key.name, "txt": key.txt}

    def txt(self, name: str) -> dict[str, str] | None:
        with self._lock:
            key = self._dkim.get(name.lower().rstrip("."))
        return {"name": key.name, "txt": key.txt} if key else None

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
            path = urlsplit(self.path).path.rstrip("/")
            if path not in ("/sandbox/orders", "/sandbox/dkim"):
                return self._send(404, {"error": "not found"})
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            try:
                if path == "/sandbox/dkim":
                    return self._send(201, sandbox.publish_key(SandboxDkimKey.model_validate_json(body)))
                order = SandboxOrder.model_validate_json(body)
            except ValidationError as exc:
                return self._send(400, {"error": exc.errors(include_url=False, include_context=False)})
            self._send(201, sandbox.add(order))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path.rstrip("/") == "/sandbox/dkim":
                record = sandbox.txt(parse_qs(url.query).get("name", [""])[0])
                return self._send(200, record) if record else self._send(404, {"error": "no such record"})
            parts = [unquote(p) for p in url.path.strip("/").split("/")]
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
