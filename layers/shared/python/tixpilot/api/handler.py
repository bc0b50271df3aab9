"""The `lambda_handler` of every API function, defined once.

A function's module names its routers in a loader; the resolver (Powertools, pydantic validation)
and the routes' code are imported and built on the first invocation (`tixpilot.deferred`), so the
module's import — Lambda's init — costs little more than boto3 itself (bench/cold_start.py).
A function whose routes need different services names them in groups by path prefix: each group
gets its own resolver, built when a request for one of its routes first comes, so a cold start
loads the route it serves and not its neighbours' imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from tixpilot.deferred import Deferred, deferred, run_later
from tixpilot.observability import logger, metrics

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.api_gateway import Router
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from tixpilot.models.tenants import CredentialKind

Handler = Callable[[dict[str, Any], "LambdaContext"], dict[str, Any]]
Routers = Callable[[], Sequence["Router"]]


def api_handler(func: Handler) -> Handler:
    """Logger with the API Gateway request id as correlation id, and metrics."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics(capture_cold_start_metric=True)
    def wrapped(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
        try:
            return func(event, context)
        finally:
            run_later()

    return wrapped


def api_function(routers: Routers | Mapping[str, Routers], kind: CredentialKind = "api") -> Handler:
    """The handler of a function serving `routers()` (imported on first use) to callers
    authenticated by an API token (`kind="marketplace"`: a marketplace key).

    `routers` may be groups keyed by path prefix, `{"/v2/sales/confirm": decisions, "": sales}`:
    a request is resolved by the group with the longest prefix its route's path starts with,
    segment by segment (`group_for`; the shortest prefix's group answers a path no prefix
    matches, with its 404)."""
    groups = routers if isinstance(routers, Mapping) else {"": routers}
    apps = {prefix: deferred(_resolver_of(load)) for prefix, load in groups.items()}

    @api_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        from tixpilot.api.app import resolve

        app = apps[group_for(apps, event.get("resource") or event.get("path") or "")]
        return resolve(app(), event, context, kind=kind)

    return lambda_handler


def group_for(prefixes: Iterable[str], path: str) -> str:
    """The prefix of the group serving `path` (a route's template, as API Gateway's `resource`, or a
    concrete path): the longest whose segments it starts with, a `{name}` segment matching any;
    else the shortest prefix."""
    segments = path.rstrip("/").split("/")

    def starts(prefix: str) -> bool:
        wanted = prefix.rstrip("/").split("/") if prefix else []
        return len(wanted) <= len(segments) and all(
            w == s or (w.startswith("{") and w.endswith("}")) for w, s in zip(wanted, segments, strict=False)
        )

    ordered = sorted(prefixes, key=len, reverse=True)
    return next((p for p in ordered if starts(p)), ordered[-1])


def _resolver_of(routers: Routers) -> Callable[[], APIGatewayRestResolver]:
    def build() -> APIGatewayRestResolver:
        from tixpilot.api.app import build_app

        return build_app(*routers())

    return build


def public_function(build: Callable[[], APIGatewayRestResolver]) -> Handler:
    """The handler of a function whose resolver `build()` answers without authentication."""
    app: Deferred[APIGatewayRestResolver] = deferred(build)

    @api_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app().resolve(event, context)

    return lambda_handler
