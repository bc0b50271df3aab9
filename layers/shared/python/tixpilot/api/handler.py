"""The `lambda_handler` of every API function, defined once.

A function's module names its routers in a loader; the resolver (Powertools, pydantic validation)
and the routes' code are imported and built on the first invocation (`tixpilot.deferred`), so the
module's import — Lambda's init — costs little more than boto3 itself (bench/cold_start.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def api_function(routers: Callable[[], Sequence[Router]], kind: CredentialKind = "api") -> Handler:
    """The handler of a function serving `routers()` (imported on first use) to callers
    authenticated by an API token (`kind="marketplace"`: a marketplace key)."""

    @deferred
    def app() -> APIGatewayRestResolver:
        from tixpilot.api.app import build_app

        return build_app(*routers())

    @api_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        from tixpilot.api.app import resolve

        return resolve(app(), event, context, kind=kind)

    return lambda_handler


def public_function(build: Callable[[], APIGatewayRestResolver]) -> Handler:
    """The handler of a function whose resolver `build()` answers without authentication."""
    app: Deferred[APIGatewayRestResolver] = deferred(build)

    @api_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return app().resolve(event, context)

    return lambda_handler
