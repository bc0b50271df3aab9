"""The builtin POS: GET /v2/inventory and POST /v2/purchases/quickpo (each its own group)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def inventory() -> Sequence[Router]:
    from tixpilot.api.routes import inventory

    return [inventory.router]


def quickpo() -> Sequence[Router]:
    from tixpilot.api.routes import purchases_actions

    return [purchases_actions.router]


# apart: the inventory is a read of the tickets table, QuickPO loads the whole AutoPO path
ROUTES = {"/v2/purchases/quickpo": quickpo, "": inventory}
lambda_handler = api_function(ROUTES)
