"""The marketplaces' side: Order Integration (holds, release, invoice), the inventory POS every
marketplace order goes to, and the tenants' credentials for the marketplaces' own APIs."""

from __future__ import annotations

from functools import cache

from tixpilot.adapters.pos.registry import adapter_by_name
from tixpilot.services.marketplace_credentials import SellerDeps
from tixpilot.services.marketplace_orders import OrderRepos
from tixpilot.services.pos_orders import InventoryPorts
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring.pos import pos_credentials


@cache
def inventory_ports() -> InventoryPorts:
    return InventoryPorts(tenants=components.tenants(), adapter=adapter_by_name, credentials=pos_credentials)


@cache
def order_repos() -> OrderRepos:
    return OrderRepos(
        inventory=inventory_ports(),
        sales=components.sales(),
        tasks=components.ion_tasks(),
        hold_ttl_s=get_settings().hold_ttl_s,
    )


@cache
def seller_deps() -> SellerDeps:
    from tixpilot.adapters.marketplaces.registry import adapter_for

    return SellerDeps(
        store=components.marketplace_credentials(), tenants=components.tenants(), adapter_for=adapter_for
    )
