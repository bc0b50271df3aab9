"""Pure parts of the local stack: route matching, proxy events, the sandbox clock."""

from __future__ import annotations

import http.client
import json
import os
import threading

import pytest

from infra.definitions.functions import FUNCTIONS, FunctionDef, Route
from infra.local.gateway import Gateway, compile_routes, make_server, proxy_event
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


def test_a_method_a_path_does_not_take_is_a_405_that_lists_the_ones_it_does():
    response = Gateway(NoLambdas()).handle("TRACE", "/oi/v1/orders/A-1/release", {}, b"")  # type: ignore[arg-type]
    assert response["statusCode"] == 405 and response["headers"]["Allow"] == "POST"
    assert json.loads(response["body"])["result"] == {
        "status": "error",
        "messageid": "E_METHOD",
        "message": "/oi/v1/orders/{order_id}/release accepts POST, not TRACE; see /openapi.json",
    }


@pytest.mark.parametrize("method", ["TRACE", "PATCH", "HEAD", "OPTIONS", "BREW"])
def test_the_local_gateway_answers_any_method_over_http_in_the_envelope(method):
    """http.server answers a method it has no do_<METHOD> for with an HTML 501; ours never does."""
    server = make_server(Gateway(NoLambdas()), "127.0.0.1", 0)  # type: ignore[arg-type]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
    try:
        connection.request(method, "/v2/verify")
        response = connection.getresponse()
        body = response.read()
        assert response.status == 405 and response.getheader("Allow") == "GET"
        assert response.getheader("Content-Type") == "application/json"
        if method == "HEAD":
            assert body == b""  # headers only, and the connection stays usable
            connection.request("GET", "/v2/nowhere")
            assert connection.getresponse().status == 404
        else:
            assert json.loads(body)["result"]["messageid"] == "E_METHOD"
    finally:
        connection.close()
        server.shutdown()
        server.server_close()


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
