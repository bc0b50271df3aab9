"""Order Integration for marketplaces (x-marketplace-key): holds, releases, invoices."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.app import build_app, resolve_marketplace
from tixpilot.api.handler import api_handler
from tixpilot.api.routes import marketplace_oi

app = build_app(marketplace_oi.router)


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve_marketplace(app, event, context)
