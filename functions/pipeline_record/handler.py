"""Purchase pipeline task: record how an execution ended (parked awaiting QuickPO, or failed)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.observability import logger, tracer
from tixpilot.services.pipeline import fail_step, park_step
from tixpilot.wiring.pipeline import pipeline_deps


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("action") == "park":
        return park_step(pipeline_deps(), event)
    return fail_step(pipeline_deps(), event)
