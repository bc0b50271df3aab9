"""The primary sandbox: an in-memory stand-in for a primary's account pages, with delays, and for
the DNS records of its mail keys.

`POST /sandbox/orders` stores the primary's truth about an order; the crawl connector reads
`GET /accounts/{username}/orders` and `.../orders/{confnum}`. An order is invisible until
`visible_after_s` has passed, and its rotating-barcode status is null until
`rotating_known_after_s` has.

Tickets, as a primary releases them (often days after the purchase): until `tickets_after_s` has
passed an order shows none; then per seat (`tickets`) its barcode (`barcodes`, in seat order),
the link to its ticket file when `ticket_files` is true (`GET /files/<id>`: a PDF, or for mobile
stock a PNG screenshot of the mobile ticket) and its transfer link (`transfer.urls`, in seat
order), and the order's `transfer` (provider, confirmation number) when one was made.

`POST /sandbox/dkim {"domain", "selector", "public_key"}` publishes a DKIM key (`public_key` is
the base64 of the `p=` tag) as the TXT record `<selector>._domainkey.<domain>`; the local SMTP
receiver's DKIM checks read it with `GET /sandbox/dkim?name=<selector>._domainkey.<domain>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, Field, ValidationError, field_validator

_LABELS = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


class SandboxEvent(BaseModel):
    name: str
    venue: str
    datetime: str


class SandboxTransfer(BaseModel):
    provider: str = Field(min_length=1)
    confirmation_number: str | None = None
    provider_url: str | None = None
    urls: list[str] = Field(default_factory=list)


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
    ticket_files: bool = False
    transfer: SandboxTransfer | None = None
    visible_after_s: float = Field(default=0, ge=0)
    rotating_known_after_s: float = Field(default=0, ge=0)
    tickets_after_s: float = Field(default=0, ge=0)

    @property
    def seat_labels(self) -> list[str]:
        """The seats, or GA-1..GA-n for general admission (as the POS numbers them)."""
        if self.seats:
            return list(self.seats)
        return [f"GA-{n}" for n in range(1, (self.quantity or 0) + 1)]


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


def ticket_pdf(order: SandboxOrder, seat: str, barcode: str | None) -> bytes:
    """A one-page PDF naming the event, the seat and its barcode (what a primary's print-at-home
    ticket carries), well-formed enough for any PDF reader."""
    lines = [
        order.event.name,
        f"{order.event.venue}  {order.event.datetime}",
        f"Section {order.section or '-'}  Row {order.row or '-'}  Seat {seat}",
        f"Barcode {barcode or '-'}",
    ]

    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = "BT /F1 14 Tf 72 720 Td 18 TL " + " ".join(f"({escape(line)}) '" for line in lines) + " ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text.encode("latin-1", "replace")),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def ticket_screenshot(seat: str, barcode: str | None) -> bytes:
    """A small PNG standing in for the screenshot of a mobile ticket (its pixels derived from the
    barcode, so each seat's differs)."""
    seed = zlib.crc32(f"{seat}:{barcode}".encode())
    size = 8
    rows = b"".join(
        b"\x00" + bytes(255 * ((seed >> ((x + y * size) % 32)) & 1) for x in range(size)) for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)  # 8-bit grayscale
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


class Sandbox:
    def __init__(self, clock: Any = time.monotonic) -> None:
        self._clock = clock
        self._orders: dict[tuple[str, str], tuple[float, SandboxOrder]] = {}
        self._dkim: dict[str, SandboxDkimKey] = {}
        self._files: dict[str, tuple[str, str, str]] = {}  # file id -> (username, confnum, seat)
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
        data = order.model_dump(
            exclude={"visible_after_s", "rotating_known_after_s", "tickets_after_s", "ticket_files"}
        )
        if now - added < order.rotating_known_after_s:
            data["rotating_barcodes"] = None
        if data["quantity"] is None and order.seats:
            data["quantity"] = len(order.seats)
        if now - added < order.tickets_after_s:  # not released yet: the page shows no tickets
            data.update(barcodes=[], transfer=None)
            return data
        data["tickets"] = [self._ticket(order, n, seat) for n, seat in enumerate(order.seat_labels)]
        if order.transfer is not None:
            data["transfer"] = order.transfer.model_dump(exclude={"urls"})
        return data

    def _ticket(self, order: SandboxOrder, index: int, seat: str) -> dict[str, Any]:
        barcode = order.barcodes[index] if index < len(order.barcodes) else None
        ticket: dict[str, Any] = {"seat": seat, "barcode": barcode}
        if order.ticket_files:
            file_id = hashlib.sha256(
                f"{order.account_username.lower()}\0{order.confirmation_number}\0{seat}".encode()
            ).hexdigest()[:32]
            with self._lock:
                self._files[file_id] = (order.account_username.lower(), order.confirmation_number, seat)
            ticket["file"] = f"/files/{file_id}"
        urls = order.transfer.urls if order.transfer else []
        if index < len(urls):
            ticket["transfer_url"] = urls[index]
        return ticket

    def ticket_file(self, file_id: str) -> tuple[bytes, str] | None:
        """A released ticket's file: (content, content type), or None."""
        with self._lock:
            found = self._files.get(file_id)
            entry = self._orders.get(found[:2]) if found else None
        if found is None or entry is None:
            return None
        order, seat = entry[1], found[2]
        index = order.seat_labels.index(seat) if seat in order.seat_labels else -1
        barcode = order.barcodes[index] if 0 <= index < len(order.barcodes) else None
        if order.stock == "mobile":
            return ticket_screenshot(seat, barcode), "image/png"
        return ticket_pdf(order, seat, barcode), "application/pdf"

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

        def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
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
            if len(parts) == 2 and parts[0] == "files":
                found_file = sandbox.ticket_file(parts[1])
                if found_file is None:
                    return self._send(404, {"error": "no such file"})
                return self._send(200, found_file[0], found_file[1])
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
