"""The builtin POS: GET /v2/inventory and POST /v2/purchases/quickpo."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.app import build_app, resolve
from tixpilot.api.handler import api_handler
from tixpilot.api.routes import inventory, purchases_actions

app = build_app(inventory.router, purchases_actions.router)


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
