"""Sales: POST /v2/sales/add, GET /v2/sales, GET /v2/fulfill, POST /sales/v1/complete-sale."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.app import build_app, resolve
from tixpilot.api.handler import api_handler
from tixpilot.api.routes import sales

app = build_app(sales.router)


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
