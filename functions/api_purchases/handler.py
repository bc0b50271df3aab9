"""Purchases: GET /v2/purchases (search), GET /v2/getpdf and POST /v2/purchases/recordpo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def routers() -> Sequence[Router]:
    from tixpilot.api.routes import purchases

    return [purchases.router]


lambda_handler = api_function(routers)
