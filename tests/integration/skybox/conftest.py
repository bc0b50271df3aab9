"""The fake SkyBox on a free port, an account in it, and a small client that sends SkyBox's
three auth headers: everything over real HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from infra.local.skybox_fake import SkyBoxFake, make_skybox_server
from tixpilot.settings import SKYBOX_URL, get_settings

HOST = "127.0.0.1"


@dataclass
class Fake:
    fake: SkyBoxFake
    url: str

    def control(self, path: str, body: dict[str, Any]) -> Any:
        response = requests.post(f"{self.url}/sandbox/{path}", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def calls(self, operation: str) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/sandbox/calls", params={"operation": operation}, timeout=10)
        return list(response.json())


@dataclass
class SkyBoxAccount:
    url: str
    ids: dict[str, Any]
    api_token: str = "api-token-1"
    application_token: str = "app-token-1"

    @property
    def account_id(self) -> int:
        return int(self.ids["account_id"])

    @property
    def credentials(self) -> dict[str, str]:
        return {
            "account": str(self.account_id),
            "api_token": self.api_token,
            "application_token": self.application_token,
        }

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        headers = {
            "X-Account": str(self.account_id),
            "X-Api-Token": self.api_token,
            "X-Application-Token": self.application_token,
        }
        return requests.request(
            method, self.url + path, json=body, params=params or None, headers=headers, timeout=10
        )

    def ok(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        response = self.call(method, path, body, **params)
        assert response.status_code == 200, response.text
        return response.json() if response.content else None


@pytest.fixture
def skybox() -> Iterator[Fake]:
    fake = SkyBoxFake()
    server = make_skybox_server(fake, HOST, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Fake(fake, f"http://{HOST}:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


@pytest.fixture
def account(skybox: Fake) -> SkyBoxAccount:
    ids = skybox.control("accounts", {"api_token": "api-token-1", "application_token": "app-token-1"})
    return SkyBoxAccount(skybox.url, ids)


@pytest.fixture
def event(skybox: Fake) -> dict[str, Any]:
    return dict(
        skybox.control(
            "events", {"name": "Sugarland", "venue": "Red Rocks Amphitheatre", "date": "2026-09-01T19:30:00"}
        )
    )


def inventory_line(account: SkyBoxAccount, event_id: int, **changes: Any) -> dict[str, Any]:
    """A purchase line as SkyBox's models require it: seats 5-6 in section 101 row A."""
    inventory = {
        "eventId": event_id,
        "quantity": 2,
        "section": "101",
        "row": "A",
        "lowSeat": 5,
        "highSeat": 6,
        "cost": 55.5,
        "faceValue": 50,
        "stockType": "ELECTRONIC",
        "seatType": "CONSECUTIVE",
        "splitType": "DEFAULT",
        **changes,
    }
    return {
        "accountId": account.account_id,
        "lineType": "PURCHASE",
        "lineItemType": "INVENTORY",
        "quantity": inventory["quantity"],
        "amount": 111.0,
        "inventory": inventory,
    }


def purchase_body(account: SkyBoxAccount, event_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "vendorId": account.ids["vendor_id"],
        "paymentMethod": "CREDITCARD",
        "deliveryMethod": "EMAIL",
        "externalRef": "12-34567/NY",
        "lines": [inventory_line(account, event_id)],
        **changes,
    }


def later(hours: float = 1) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)).isoformat()


@pytest.fixture
def skybox_url(skybox: Fake) -> Iterator[str]:
    """The adapter (built once per process by the registry) talks to this test's fake."""
    before = os.environ.get(SKYBOX_URL)
    os.environ[SKYBOX_URL] = skybox.url
    get_settings.cache_clear()
    yield skybox.url
    if before is None:
        os.environ.pop(SKYBOX_URL, None)
    else:
        os.environ[SKYBOX_URL] = before
    get_settings.cache_clear()
