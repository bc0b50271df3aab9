"""Purchase pipeline task: the Safeguard decides (AutoPO, wait and crawl again, or park)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.observability import logger, tracer
from tixpilot.services.pipeline import Backoff, evaluate_step
from tixpilot.wiring.pipeline import pipeline_deps


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return evaluate_step(pipeline_deps(), event, Backoff.from_env())
