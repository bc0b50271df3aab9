"""GET /v2/accounts/list, POST /v2/accounts/add, /v2/accounts/update, /v2/accounts/update/v2."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.app import build_app, resolve
from tixpilot.api.handler import api_handler
from tixpilot.api.routes import accounts

app = build_app(accounts.router)


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
