"""Order Integration's dependencies (the /oi/v1 holds, releases and invoices)."""

from __future__ import annotations

from functools import cache

from tixpilot.services.marketplace_orders import OrderRepos
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring.inventory import inventory_ports


@cache
def order_repos() -> OrderRepos:
    return OrderRepos(
        inventory=inventory_ports(),
        sales=components.sales(),
        tasks=components.ion_tasks(),
        hold_ttl_s=get_settings().hold_ttl_s,
    )
