"""Purchase pipeline task: crawl the primary for the purchase's order."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.observability import logger, tracer
from tixpilot.services.pipeline import crawl_step
from tixpilot.wiring.pipeline import pipeline_deps


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return crawl_step(pipeline_deps(), event)
