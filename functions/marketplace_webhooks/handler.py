"""Sales the marketplaces push to POST /webhooks/{marketplace}: public, verified per marketplace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tixpilot.api.handler import public_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


def build() -> APIGatewayRestResolver:
    from tixpilot.api.app import build_app
    from tixpilot.api.routes import webhooks

    return build_app(webhooks.router)


lambda_handler = public_function(build)
