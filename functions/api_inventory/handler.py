"""The builtin POS: GET /v2/inventory and POST /v2/purchases/quickpo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def routers() -> Sequence[Router]:
    from tixpilot.api.routes import inventory, purchases_actions

    return [inventory.router, purchases_actions.router]


lambda_handler = api_function(routers)
