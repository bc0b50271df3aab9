"""The adapters' one HTTP client over real HTTP: what it sends again, and what it does not."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tixpilot.adapters.http import Body, HttpError, RetryingHttp


class Script:
    """Answers requests in turn from `plan`: a status, or "slow" (answer after the client's read
    timeout has passed); then 200."""

    def __init__(self) -> None:
        self.plan: list[int | str] = []
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def next(self, method: str) -> int | str:
        with self.lock:
            self.seen.append(method)
            return self.plan.pop(0) if self.plan else 200


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            step = script.next(self.command)
            if step == "slow":
                time.sleep(0.6)  # the server's behaviour: the client gives up at 0.2 s
                step = 200
            body = b'{"ok": true}'
            self.send_response(int(step))
            if step == 429:
                self.send_header("Retry-After", "0")
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def client() -> RetryingHttp:
    return RetryingHttp("test", retries=3, backoff_s=0.001, timeout_s=0.2)


def test_a_repeatable_request_is_sent_again_after_a_timeout_or_a_5xx(server: tuple[str, Script]) -> None:
    url, script = server
    script.plan = ["slow", 500, 502]
    assert client().request("POST", url + "/x", body=Body.of_json({})).status == 200
    assert script.seen == ["POST"] * 4


def test_a_request_that_is_not_repeatable_is_not_sent_again_once_it_may_have_acted(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.plan = ["slow"]
    with pytest.raises(HttpError) as lost:
        client().request("POST", url + "/purchases", body=Body.of_json({}), repeatable=False)
    assert lost.value.transient and lost.value.status is None
    assert script.seen == ["POST"]
    script.seen.clear()
    script.plan = [500]
    with pytest.raises(HttpError) as failed:
        client().request("POST", url + "/purchases", body=Body.of_json({}), repeatable=False)
    assert failed.value.transient and failed.value.status == 500
    assert failed.value.message.startswith("POST /purchases answered 500")
    assert script.seen == ["POST"]


def test_a_refusal_is_sent_again_even_when_not_repeatable(server: tuple[str, Script]) -> None:
    url, script = server
    script.plan = [429, 503]
    assert client().request("POST", url + "/purchases", body=Body.of_json({}), repeatable=False).status == 200
    assert script.seen == ["POST"] * 3


def test_nothing_listening_is_transient(server: tuple[str, Script]) -> None:
    with pytest.raises(HttpError) as down:
        client().request("POST", "http://127.0.0.1:9/purchases", repeatable=False)
    assert down.value.transient and "got no answer after retries" in down.value.message
