"""Building a resolver for one function, with auth and the envelope done once for all routes."""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder, Route, Router
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.schemas import ErrorEnvelope, Result
from tixpilot.errors import NotFound, TixPilotError, Unauthorized
from tixpilot.models.tenants import Credential, CredentialKind
from tixpilot.observability import logger
from tixpilot.services.credentials import authenticate, hash_secret
from tixpilot.wiring import components


def error_response(status: int, messageid: str, message: str) -> Response:
    body = ErrorEnvelope(result=Result(status="error", message=message, messageid=messageid))
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json()
    )


def _describe_validation(errors: list[Any]) -> str:
    parts = []
    for error in errors:
        location = [str(p) for p in error.get("loc", ()) if p not in ("query", "body", "path", "header")]
        name = ".".join(location) or "request"
        parts.append(f"{name}: {error.get('msg', 'invalid')}")
    return "; ".join(parts)


@dataclass
class _Request:
    """What the resolver knows of the request it is resolving."""

    event: APIGatewayProxyEvent | None = None
    lambda_context: LambdaContext | None = None
    context: dict[str, Any] = field(default_factory=dict)  # route, validated arguments, ...
    processed_stack_frames: list[str] = field(default_factory=list)


class InvocationResolver(APIGatewayRestResolver):
    """APIGatewayRestResolver that keeps the request it resolves apart from any other.

    Powertools keeps the request being resolved in shared attributes: the event and the Lambda
    context on the `BaseRouter` class, the matched route and the validated body and path
    parameters in the resolver's `context` dict, which it empties when a request ends. Lambda runs
    one invocation per process at a time, so that is enough there. The local stack's gateway and
    the integration tests run invocations of one function side by side on threads: a request was
    then answered from another's body (two marketplace orders answered as the same order), or
    lost its route when the other ended (a 500). Here that state lives in a ContextVar, so each
    invocation — each thread — resolves its own request (Powertools' HttpResolverLocal does the
    same for ASGI).

    A route also builds its middleware chain on its first call, unguarded: two first calls at once
    could chain it twice, and the route then answered 500 for good. Here the chain is built once,
    under a lock, before the route runs."""

    def __init__(self, **kwargs: Any) -> None:
        self._request: ContextVar[_Request | None] = ContextVar("tixpilot_request", default=None)
        self._idle = _Request()  # outside resolve(): what routers add to the context at build time
        self._building = threading.Lock()
        super().__init__(**kwargs)

    def _state(self) -> _Request:
        return self._request.get() or self._idle

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEvent:
        event = self._state().event
        if event is None:
            raise RuntimeError("current_event outside a request")
        return event

    @current_event.setter
    def current_event(self, value: APIGatewayProxyEvent) -> None:
        self._state().event = value

    @property
    def lambda_context(self) -> LambdaContext:
        return self._state().lambda_context  # type: ignore[return-value]

    @lambda_context.setter
    def lambda_context(self, value: LambdaContext) -> None:
        self._state().lambda_context = value

    @property
    def context(self) -> dict[str, Any]:
        return self._state().context

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._state().context = value

    @property
    def processed_stack_frames(self) -> list[str]:
        return self._state().processed_stack_frames

    @processed_stack_frames.setter
    def processed_stack_frames(self, value: list[str]) -> None:
        self._state().processed_stack_frames = value

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        raw = event.raw_event if isinstance(event, BaseProxyEvent) else event
        request = _Request(
            event=self._to_proxy_event(dict(raw)),  # type: ignore[arg-type]
            lambda_context=context,
            context=dict(self._idle.context),
        )
        token = self._request.set(request)
        try:
            return super().resolve(event, context)
        finally:
            self._request.reset(token)

    def _call_route(self, route: Route, route_arguments: dict[str, str]) -> ResponseBuilder:
        if not route._middleware_stack_built:
            with self._building:
                if not route._middleware_stack_built:
                    route._build_middleware_stack(router_middlewares=self._router_middlewares, app=self)
        return super()._call_route(route, route_arguments)


def build_app(*routers: Router) -> APIGatewayRestResolver:
    """A REST resolver with validation, the routers given, and errors in the legacy envelope."""
    app = InvocationResolver(enable_validation=True)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(TixPilotError)
    def _domain_error(exc: TixPilotError) -> Response:
        return error_response(exc.status_code, exc.messageid, exc.message)

    @app.exception_handler(RequestValidationError)
    def _bad_request(exc: RequestValidationError) -> Response:
        return error_response(HTTPStatus.BAD_REQUEST, "E_PARAM", _describe_validation(list(exc.errors())))

    @app.not_found
    def _not_found(_: Exception) -> Response:
        return error_response(HTTPStatus.NOT_FOUND, "E_NOT_FOUND", _no_endpoint(app.current_event.path))

    @app.exception_handler(Exception)
    def _internal(exc: Exception) -> Response:
        logger.exception("unhandled error")
        request_id = app.lambda_context.aws_request_id if app.lambda_context else ""
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "E_INTERNAL", f"internal error; quote request id {request_id}"
        )

    return app


def _header(event: Mapping[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return value
    return None


# How deep a JSON body may nest. The deepest body the API takes (an account in the list shape)
# nests 3 levels; the JSON parser and the validators recurse per level, and a body nested some
# thousand levels deep would otherwise end in a RecursionError (a 500) instead of a 400.
MAX_BODY_DEPTH = 32


class BadBody(TixPilotError):
    status_code = HTTPStatus.BAD_REQUEST
    messageid = "E_PARAM"


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether a parsed JSON value nests deeper than `limit` (iterative: no recursion to blow)."""
    level: list[object] = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, dict | list) for item in level)


def check_body(event: dict[str, Any]) -> dict[str, Any]:
    """Refuse, as a 400, a body no route could read: bytes that are not UTF-8 text (API Gateway
    hands those over base64-encoded) and JSON nested deeper than MAX_BODY_DEPTH. A base64 body
    that is UTF-8 text becomes a plain text body, as the routes read it."""
    body = event.get("body")
    if not body:
        return event
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadBody("body: not UTF-8 text; send JSON encoded as UTF-8") from None
        event = {**event, "body": body, "isBase64Encoded": False}
    if body.lstrip().startswith(("{", "[")):
        try:
            too_deep = _depth_exceeds(json.loads(body), MAX_BODY_DEPTH)
        except RecursionError:
            too_deep = True
        except ValueError:
            return event  # not JSON after all: the route's validation says what is wrong
        if too_deep:
            raise BadBody(f"body: nested deeper than {MAX_BODY_DEPTH} levels; no endpoint takes that")
    return event


def accept_json_body(event: dict[str, Any]) -> dict[str, Any]:
    """The reference posts its JSON with `curl -d` (a form content type) or requests' `data=`
    (none): a body that is a JSON object or list is read as JSON whatever Content-Type says."""
    body = (event.get("body") or "").lstrip()
    if event.get("isBase64Encoded") or not body.startswith(("{", "[")):
        return event
    for key in ("headers", "multiValueHeaders"):
        headers = event.get(key) or {}
        for name in [n for n in headers if n.lower() == "content-type"]:
            del headers[name]
        if key in event and event[key] is not None:
            headers["Content-Type"] = "application/json" if key == "headers" else ["application/json"]
    return event


_SECRET_HEADER: dict[CredentialKind, str] = {"api": "x-api-token", "marketplace": "x-marketplace-key"}


def resolve(
    app: APIGatewayRestResolver,
    event: dict[str, Any],
    context: LambdaContext,
    kind: CredentialKind = "api",
) -> dict[str, Any]:
    """Authenticate by `x-api-token` (a marketplace's routes: `x-marketplace-key`), then route.
    A failed check never reaches a route."""
    secret = _header(event, _SECRET_HEADER[kind])
    try:
        credential = authenticate(components.credentials(), secret, kind=kind)
        event = accept_json_body(check_body(event))
    except (Unauthorized, BadBody) as exc:
        return _proxy_error(exc)
    tenant = _tenant.set(credential.tenant_id)
    marketplace = (credential, hash_secret((secret or "").strip())) if kind == "marketplace" else None
    key = _marketplace.set(marketplace)
    try:
        return app.resolve(event, context)
    finally:
        _marketplace.reset(key)
        _tenant.reset(tenant)


# The authenticated tenant of the request being handled. A ContextVar rather than the
# resolver's context: a router included in two resolvers (the function's and the OpenAPI
# builder's) reads the same value, and concurrent requests in one process never share it.
_tenant: ContextVar[str | None] = ContextVar("tixpilot_tenant", default=None)


_marketplace: ContextVar[tuple[Credential, str] | None] = ContextVar("tixpilot_marketplace", default=None)


def marketplace_credential() -> tuple[Credential, str]:
    """The marketplace key of the request being handled and its hash (marketplace routes only)."""
    value = _marketplace.get()
    if value is None:
        raise RuntimeError("marketplace_credential() outside a marketplace request")
    return value


def tenant_id() -> str:
    """The authenticated tenant of the request being handled."""
    value = _tenant.get()
    if value is None:
        raise RuntimeError("tenant_id() outside an authenticated request")
    return value


def _no_endpoint(path: str) -> str:
    return f"no endpoint {path}; see /openapi.json"


def not_found(event: Mapping[str, Any]) -> dict[str, Any]:
    """The 404 for a path no route serves, for a function answering without the resolver."""
    return _proxy_error(NotFound(_no_endpoint(str(event.get("path") or ""))))


def _proxy_error(exc: TixPilotError) -> dict[str, Any]:
    """An error answered before routing, as the proxy integration result the resolver would build."""
    body = ErrorEnvelope(result=Result(status="error", message=exc.message, messageid=exc.messageid))
    return {
        "statusCode": exc.status_code,
        "multiValueHeaders": {"Content-Type": [content_types.APPLICATION_JSON]},
        "body": body.model_dump_json(),
        "isBase64Encoded": False,
    }
