"""Instant Notification for marketplaces (x-marketplace-key): sales, their state, holds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def routers() -> Sequence[Router]:
    from tixpilot.api.routes import marketplace_ion

    return [marketplace_ion.router]


lambda_handler = api_function(routers, kind="marketplace")
