"""Instant Notification for marketplaces (x-marketplace-key): sales, holds; and what the
marketplace reads back (a sale's state, its delivered tickets), a group of their own (reads of the
sales tables, loaded when first asked for)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def notifications() -> Sequence[Router]:
    from tixpilot.api.routes import marketplace_ion

    return [marketplace_ion.router]


def reads() -> Sequence[Router]:
    from tixpilot.api.routes import marketplace_ion_reads

    return [marketplace_ion_reads.router]


ROUTES = {
    "/ion/v1/sales/{order_id}/cancel": notifications,
    "/ion/v1/sales/{order_id}": reads,
    "": notifications,
}
lambda_handler = api_function(ROUTES, kind="marketplace")
