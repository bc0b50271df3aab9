"""GET /openapi.json: the OpenAPI document of the whole API, public (no token)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.handler import api_handler
from tixpilot.api.openapi import openapi_app

app = openapi_app()


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
