"""Order Integration for marketplaces (x-marketplace-key): holds, releases, invoices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def routers() -> Sequence[Router]:
    from tixpilot.api.routes import marketplace_oi

    return [marketplace_oi.router]


lambda_handler = api_function(routers, kind="marketplace")
