"""GET /openapi.json: the OpenAPI document of the whole API, public (no token)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tixpilot.api.handler import public_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver


def build() -> APIGatewayRestResolver:
    from tixpilot.api.openapi import openapi_app

    return openapi_app()


lambda_handler = public_function(build)
