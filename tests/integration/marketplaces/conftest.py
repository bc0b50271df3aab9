"""The marketplace simulator on a free port, a receiver standing in for TixPilot's webhook routes,
and the adapters pointed at the simulator: everything over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import pytest
import requests

from infra.local.marketplace_sim import MarketplaceSimulator, make_marketplace_server
from tixpilot.adapters.marketplaces.http import MarketplaceHttp
from tixpilot.adapters.marketplaces.stubhub import StubHubAdapter
from tixpilot.adapters.marketplaces.tevo import TevoAdapter
from tixpilot.adapters.marketplaces.vivid import VividAdapter
from tixpilot.models.marketplaces import WebhookRequest
from tixpilot.settings import Settings

HOST = "127.0.0.1"
TIME_SCALE = 0.001  # TEvo's 10 s retry is 10 ms; Vivid's 10 s rate limit too
T = TypeVar("T")


def wait_for(check: Callable[[], T | None], what: str, timeout_s: float = 10.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what} after {timeout_s:.0f}s")
        time.sleep(0.01)


@dataclass
class Receiver:
    """Answers webhook deliveries: `failures` 500s first, then 200; keeps what it received."""

    url: str = ""
    failures: int = 0
    received: list[WebhookRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def deliveries(self, count: int = 1) -> list[WebhookRequest]:
        def enough() -> list[WebhookRequest] | None:
            with self.lock:
                return list(self.received) if len(self.received) >= count else None

        return wait_for(enough, f"{count} webhook deliveries")


@dataclass
class Sim:
    url: str

    def control(self, method: str, path: str, body: Any = None, **params: str) -> Any:
        response = requests.request(
            method, f"{self.url}/sandbox/{path}", json=body, params=params, timeout=10
        )
        assert response.status_code in (200, 201), response.text
        return response.json()

    def seller(self, marketplace: str, seller: str, secret: str | None = None) -> None:
        self.control("POST", "sellers", {"marketplace": marketplace, "seller": seller, "secret": secret})

    def sell(self, marketplace: str, seller: str, order_id: str, **extra: Any) -> Any:
        body = {
            "marketplace": marketplace,
            "seller": seller,
            "order_id": order_id,
            "ticketgroupid": extra.pop("ticketgroupid", f"tg-{order_id}"),
            "quantity": extra.pop("quantity", 2),
            "price_per_seat": extra.pop("price_per_seat", "75.00"),
            "deliveryformat": extra.pop("deliveryformat", "eticket"),
            **extra,
        }
        return self.control("POST", "sell", body)

    def calls(self, marketplace: str, order_id: str | None = None, operation: str | None = None) -> list[Any]:
        params = {"marketplace": marketplace, **({"order_id": order_id} if order_id else {})}
        calls = self.control("GET", "calls", **params)
        return [c for c in calls if operation is None or c["operation"] == operation]

    def fault(
        self, marketplace: str, operation: str, status: int, times: int = 1, message: str | None = None
    ) -> None:
        body = {"marketplace": marketplace, "operation": operation, "status": status, "times": times}
        self.control("POST", "faults", {**body, **({"message": message} if message else {})})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                failing = state.failures > 0
                state.failures -= 1 if failing else 0
                if not failing:
                    state.received.append(
                        WebhookRequest(
                            url=state.url + self.path, headers=dict(self.headers.items()), body=body
                        )
                    )
            self.send_response(500 if failing else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    state.url = f"http://{HOST}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def sim(request: pytest.FixtureRequest, receiver: Receiver) -> Iterator[Sim]:
    """A fresh simulator per test (faults and rate limits are global to one simulator), at
    TIME_SCALE unless the test asks for another (`@pytest.mark.parametrize("sim", [1.0],
    indirect=True)`)."""
    time_scale = float(getattr(request, "param", TIME_SCALE))
    simulator = MarketplaceSimulator(tevo_webhook_url=f"{receiver.url}/webhooks/tevo", time_scale=time_scale)
    server = make_marketplace_server(simulator, HOST, 0)
    url = f"http://{HOST}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield Sim(url)
    simulator.stop()
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(sim: Sim) -> Settings:
    return Settings(
        stubhub_url=f"{sim.url}/stubhub", tevo_url=f"{sim.url}/tevo", vivid_url=f"{sim.url}/vivid"
    )


def fast_http(name: str) -> MarketplaceHttp:
    """The production retry policy (3 retries) with millisecond waits."""
    return MarketplaceHttp(name, backoff_s=0.001, timeout_s=5)


@pytest.fixture
def stubhub(settings: Settings) -> StubHubAdapter:
    return StubHubAdapter(settings, fast_http("stubhub"))


@pytest.fixture
def tevo(settings: Settings) -> TevoAdapter:
    return TevoAdapter(settings, fast_http("tevo"))


@pytest.fixture
def vivid(settings: Settings) -> VividAdapter:
    return VividAdapter(settings, fast_http("vivid"))


def json_of(delivery: WebhookRequest) -> Any:
    return json.loads(delivery.body)
