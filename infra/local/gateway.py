"""The local API Gateway: HTTP requests become REST API proxy events for the real handlers."""

from __future__ import annotations

import base64
import re
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from infra.definitions import gateway as answers
from infra.definitions.functions import FunctionDef, api_functions
from infra.local.lambdas import LocalLambdas
from tixpilot.observability import logger


@dataclass(frozen=True)
class CompiledRoute:
    method: str
    resource: str
    pattern: re.Pattern[str]
    function: FunctionDef


def compile_routes(functions: list[FunctionDef]) -> list[CompiledRoute]:
    routes = []
    for function in functions:
        for route in function.routes:
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
            # API Gateway REST APIs route a trailing slash to the same resource.
            routes.append(CompiledRoute(route.method, route.path, re.compile(f"^{regex}/?$"), function))
    return routes


def proxy_event(
    method: str,
    route: CompiledRoute,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
    path_params: dict,
) -> dict[str, Any]:
    """A REST API (v1) proxy integration event, as API Gateway sends it."""
    pairs = parse_qsl(query, keep_blank_values=True)
    multi_query: dict[str, list[str]] = {}
    for key, value in pairs:
        multi_query.setdefault(key, []).append(value)
    text_body: str | None
    is_base64 = False
    if not body:
        text_body = None
    else:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode(), True
    request_id = str(uuid.uuid4())
    return {
        "resource": route.resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": route.resource,
            "httpMethod": method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "requestTimeEpoch": int(time.time() * 1000),
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def _error(status: int, messageid: str, message: str, **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": answers.envelope(messageid, message),
    }


class Gateway:
    def __init__(self, lambdas: LocalLambdas, functions: list[FunctionDef] | None = None) -> None:
        self.lambdas = lambdas
        declared = functions if functions is not None else api_functions()
        self.routes = compile_routes(declared)
        self.allowed = answers.allowed_methods(declared)

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        parts = urlsplit(target)
        path = parts.path or "/"
        allowed: list[CompiledRoute] = []
        for route in self.routes:
            match = route.pattern.match(path)
            if not match:
                continue
            if route.method != method:
                allowed.append(route)
                continue
            event = proxy_event(method, route, path, parts.query, headers, body, match.groupdict())
            try:
                return dict(self.lambdas.invoke(route.function.id, event))
            except Exception:  # a crashed function is a 502 from API Gateway, never a hang
                logger.exception("local lambda failed", extra={"function": route.function.id})
                return _error(502, "E_INTERNAL", "the function failed; see the local stack's log")
        if allowed:  # as API Gateway's mock method on the resource answers: no function runs
            resource = allowed[0].resource
            methods = self.allowed[resource]
            return _error(
                405,
                answers.NOT_ALLOWED_ID,
                answers.method_not_allowed(resource, methods, method),
                Allow=", ".join(methods),
            )
        return _error(404, answers.NOT_FOUND_ID, answers.no_endpoint(path))


def make_server(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # The status line and headers go out in one write and the body in another; with Nagle's
        # algorithm the body then waits for the client's delayed ACK: +40 ms on every request.
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            result = gateway.handle(self.command, self.path, dict(self.headers.items()), body)
            payload = result.get("body") or ""
            data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
            self.send_response(int(result.get("statusCode", 200)))
            headers = dict(result.get("headers") or {})
            for key, values in (result.get("multiValueHeaders") or {}).items():
                headers[key] = ", ".join(values)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":  # a HEAD answer has headers only
                self.wfile.write(data)

        def __getattr__(self, name: str) -> Any:
            # Every method, TRACE and made-up ones too, reaches the gateway (a 405 or 404 in the
            # envelope), instead of http.server's HTML 501 for a method it has no do_<METHOD> for.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("api " + format % args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server
