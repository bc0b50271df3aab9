"""Order Integration for marketplaces (x-marketplace-key): holds, releases, invoices; and the
delivered tickets, a group of their own (a read of the sales table, loaded when first asked for)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from tixpilot.api.handler import api_function

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.api_gateway import Router


def orders() -> Sequence[Router]:
    from tixpilot.api.routes import marketplace_oi

    return [marketplace_oi.router]


def tickets() -> Sequence[Router]:
    from tixpilot.api.routes import marketplace_oi_tickets

    return [marketplace_oi_tickets.router]


ROUTES = {"/oi/v1/orders/{order_id}/tickets": tickets, "": orders}
lambda_handler = api_function(ROUTES, kind="marketplace")
