"""The decorator stack every API function's `lambda_handler` wears, defined once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.observability import logger, metrics, tracer

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def api_handler(func: Handler) -> Handler:
    """Logger with the API Gateway request id as correlation id, metrics, tracer."""

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler
    def wrapped(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        metrics.add_metric(name="ApiRequests", unit=MetricUnit.Count, value=1)
        return func(event, context)

    return wrapped
