"""Pure parts of the local stack: route matching, proxy events, the sandbox clock."""

from __future__ import annotations

import os

import pytest

from infra.definitions.functions import FUNCTIONS, FunctionDef, Route
from infra.local.gateway import Gateway, compile_routes, proxy_event
from infra.local.sandbox import Sandbox, SandboxOrder


def test_routes_match_with_and_without_a_trailing_slash_and_capture_path_params():
    fn = FunctionDef(id="x", description="", routes=(Route("POST", "/oi/v1/orders/{order_id}/release"),))
    (route,) = compile_routes([fn])
    assert route.pattern.match("/oi/v1/orders/A-1/release").groupdict() == {"order_id": "A-1"}
    assert route.pattern.match("/oi/v1/orders/A-1/release/")
    assert not route.pattern.match("/oi/v1/orders/A/1/release")


def test_a_proxy_event_has_what_api_gateway_sends():
    (route,) = compile_routes([FUNCTIONS["api_domains"]])
    event = proxy_event(
        "GET", route, "/v2/domains/list/", "domain=a.com&x=1&x=2", {"x-api-token": "t"}, b"", {}
    )
    assert event["resource"] == "/v2/domains/list" and event["path"] == "/v2/domains/list/"
    assert event["queryStringParameters"] == {"domain": "a.com", "x": "2"}
    assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    binary = proxy_event("POST", route, "/v2/domains/list", "", {}, b"\xff\xfe", {})
    assert binary["isBase64Encoded"] is True


class NoLambdas:
    def invoke(self, function_id, event):  # pragma: no cover - must not be reached
        raise AssertionError("routed")


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/v2/nowhere", 404), ("DELETE", "/v2/verify", 405)]
)
def test_unrouted_requests_get_an_envelope(method, path, status):
    result = Gateway(NoLambdas())  # type: ignore[arg-type]
    response = result.handle(method, path, {}, b"")
    assert response["statusCode"] == status and '"status": "error"' in response["body"]


def order(**kw) -> SandboxOrder:
    base = {
        "account_username": "Buyer@Demo.test",
        "confirmation_number": "12-34567/NY",
        "event": {"name": "Sugarland", "venue": "Smart Financial Centre", "datetime": "2026-07-11T19:00:00"},
        "seats": ["5", "6"],
        "rotating_barcodes": True,
    }
    return SandboxOrder.model_validate(base | kw)


def test_the_sandbox_hides_orders_and_rotating_status_until_their_delays_pass():
    now = [100.0]
    sandbox = Sandbox(clock=lambda: now[0])
    sandbox.add(order(visible_after_s=10, rotating_known_after_s=30))
    assert sandbox.orders("buyer@demo.test") == []
    now[0] = 111
    (seen,) = sandbox.orders("BUYER@demo.test")
    assert seen["rotating_barcodes"] is None and seen["quantity"] == 2
    now[0] = 131
    assert sandbox.order("buyer@demo.test", "12-34567/NY")["rotating_barcodes"] is True
    assert sandbox.order("buyer@demo.test", "99-99999/NY") is None


def test_the_fake_skybox_starts_unless_another_skybox_is_named(monkeypatch):
    from infra.local.__main__ import configure_environment, fake_skybox_port

    for name in ("TIXPILOT_SKYBOX_URL", "SKYBOX_PORT", "TIXPILOT_PRIMARY_URL", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TIXPILOT_ENV", "test")
    assert fake_skybox_port() == 3300
    monkeypatch.setenv("SKYBOX_PORT", "4300")
    assert fake_skybox_port() == 4300
    configure_environment(4566, 3100, skybox_port=4300)
    assert os.environ["TIXPILOT_SKYBOX_URL"] == "http://127.0.0.1:4300"

    monkeypatch.setenv("TIXPILOT_SKYBOX_URL", "https://skybox.example.test/services")
    assert fake_skybox_port() is None
    configure_environment(4566, 3100, skybox_port=None)
    assert os.environ["TIXPILOT_SKYBOX_URL"] == "https://skybox.example.test/services"
