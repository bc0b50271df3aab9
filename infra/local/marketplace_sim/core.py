"""The simulator's shared parts: requests and answers, sellers, orders, the log of calls, the
faults to inject, and the pusher that delivers webhooks with the marketplace's retry schedule."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import heapq
import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

PUSH_TIMEOUT_S = 10.0


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(value: dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Part:
    """One part of a multipart/form-data body."""

    name: str
    filename: str | None
    content: bytes


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # below the marketplace's prefix: "/sales/123"
    full_path: str  # as received, prefix included (a signature covers it)
    query: str  # the raw query string
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def origin(self) -> str:
        """The simulator's own URL as the caller addressed it ("http://127.0.0.1:3200")."""
        return f"http://{self.header('host') or '127.0.0.1'}"

    @property
    def params(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.query, keep_blank_values=True).items()}

    def json(self) -> Any:
        """The JSON body (ValueError when it is none)."""
        return json.loads(self.body)

    def parts(self) -> list[Part]:
        """Form fields and files, from a urlencoded or a multipart/form-data body."""
        content_type = self.header("content-type")
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + self.body
            )
            found = []
            for part in message.iter_parts():
                payload = part.get_payload(decode=True)
                name = part.get_param("name", header="content-disposition")
                found.append(
                    Part(str(name or ""), part.get_filename(), payload if isinstance(payload, bytes) else b"")
                )
            return found
        pairs = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return [Part(key, None, value.encode()) for key, values in pairs.items() for value in values]

    def form(self) -> dict[str, list[str]]:
        fields: dict[str, list[str]] = {}
        for part in self.parts():
            if part.filename is None:
                fields.setdefault(part.name, []).append(part.content.decode("utf-8", "replace"))
        return fields

    def files(self) -> list[Part]:
        return [part for part in self.parts() if part.filename is not None]

    def logged_body(self, hide: frozenset[str] = frozenset()) -> Any:
        """The body as the call log shows it: JSON as is, form fields (files as name and size)."""
        if not self.body:
            return None
        try:
            return self.json()
        except ValueError:
            pass
        shown: dict[str, Any] = {}
        for part in self.parts():
            if part.name in hide:
                continue
            value: Any = (
                {"filename": part.filename, "bytes": len(part.content)}
                if part.filename is not None
                else part.content.decode("utf-8", "replace")
            )
            shown.setdefault(part.name, []).append(value)
        return {key: values[0] if len(values) == 1 else values for key, values in shown.items()}


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, status: int, value: Any, content_type: str = "application/json") -> Response:
        return cls(status, json.dumps(value, default=str).encode(), content_type)


@dataclass
class Order:
    """A sale as the simulated marketplace holds it; each marketplace shows it its own way."""

    marketplace: str
    order_id: str
    seller: str
    ticketgroupid: str
    quantity: int
    price_per_seat: Decimal
    deliveryformat: str
    section: str
    row: str
    seats: list[str]
    event_name: str
    event_date: dt.datetime
    created_at: dt.datetime = field(default_factory=now)
    state: str = "pending"  # pending | confirmed | rejected | delivered
    confirmed_seats: list[str] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    listing_id: int = 0  # the marketplace's own listing id
    staged_files: list[bytes] = field(default_factory=list)  # TEvo's add_etickets before finalize

    @property
    def total(self) -> Decimal:
        return self.price_per_seat * self.quantity


@dataclass
class Fault:
    status: int
    times: int
    message: str


@dataclass
class Push:
    """One notification to deliver, and what became of each attempt."""

    marketplace: str
    seller: str
    order_id: str | None
    event: str
    url: str
    headers: dict[str, str]
    body: bytes
    delays: list[float]  # seconds before each retry after a failed attempt, already scaled
    attempts: list[dict[str, Any]] = field(default_factory=list)
    delivered: bool = False
    given_up: bool = False

    def view(self) -> dict[str, Any]:
        return {
            "marketplace": self.marketplace,
            "order_id": self.order_id,
            "event": self.event,
            "url": self.url,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "given_up": self.given_up,
        }


def post(url: str, headers: dict[str, str], body: bytes) -> int:
    """POST and answer the status (raises OSError when there is no answer)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=PUSH_TIMEOUT_S) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


class Pusher:
    """Delivers pushes from one background thread: at once, then after each of `delays` while
    the receiver fails (no answer or not 2xx), then gives up, as the marketplaces do."""

    def __init__(self, send: Callable[[str, dict[str, str], bytes], int] = post) -> None:
        self._send = send
        self._queue: list[tuple[float, int, Push]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.pushes: list[Push] = []

    def submit(self, push: Push) -> None:
        with self._wake:
            self.pushes.append(push)
            heapq.heappush(self._queue, (time.monotonic(), next(self._order), push))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="marketplace-pusher", daemon=True)
                self._thread.start()
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    self._wake.wait(timeout=(self._queue[0][0] - time.monotonic()) if self._queue else None)
                if self._stopped:
                    return
                _, _, push = heapq.heappop(self._queue)
            self._attempt(push)

    def _attempt(self, push: Push) -> None:
        try:
            status: int | None = self._send(push.url, push.headers, push.body)
            error = None
        except OSError as exc:
            status, error = None, str(exc)
        with self._wake:
            push.attempts.append({"status": status, "error": error, "at": iso(now())})
            if status is not None and 200 <= status < 300:
                push.delivered = True
            elif len(push.attempts) <= len(push.delays):
                due = time.monotonic() + push.delays[len(push.attempts) - 1]
                heapq.heappush(self._queue, (due, next(self._order), push))
            else:
                push.given_up = True


class State:
    """Everything the simulator knows, behind one lock."""

    def __init__(self, time_scale: float = 1.0, pusher: Pusher | None = None) -> None:
        self.lock = threading.RLock()
        self.time_scale = time_scale
        self.pusher = pusher or Pusher()
        self.sellers: dict[tuple[str, str], str | None] = {}  # (marketplace, token) -> secret
        self.orders: dict[tuple[str, str], Order] = {}
        self.calls: list[dict[str, Any]] = []
        self.faults: dict[tuple[str, str], Fault] = {}
        self._ids = itertools.count(9_000_001)

    def next_id(self) -> int:
        with self.lock:
            return next(self._ids)

    def known_seller(self, marketplace: str, token: str) -> bool:
        with self.lock:
            return bool(token) and (marketplace, token) in self.sellers

    def secret_of(self, marketplace: str, token: str) -> str | None:
        with self.lock:
            return self.sellers.get((marketplace, token))

    def order(self, marketplace: str, order_id: str) -> Order | None:
        with self.lock:
            return self.orders.get((marketplace, order_id))

    def take_fault(self, marketplace: str, operation: str) -> Fault | None:
        with self.lock:
            fault = self.faults.get((marketplace, operation))
            if fault is None:
                return None
            fault.times -= 1
            if fault.times <= 0:
                del self.faults[(marketplace, operation)]
            return fault

    def scaled(self, seconds: float) -> float:
        return seconds * self.time_scale
