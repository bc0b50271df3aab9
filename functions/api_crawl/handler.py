"""GET /v2/crawl: record a crawl request for the purchase pipeline."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tixpilot.api.app import build_app, resolve
from tixpilot.api.handler import api_handler
from tixpilot.api.routes import crawl

app = build_app(crawl.router)


@api_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return resolve(app, event, context)
