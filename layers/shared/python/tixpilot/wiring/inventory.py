"""The inventory ports (services.pos_orders): a tenant's inventory POS, its adapter and the
tenant's credentials for it, for Order Integration, Instant Notification, fulfillment and the
sales decisions. Apart from `wiring.pos`, so that AutoPO's callers, which need only the
credentials, do not load the sales services."""

from __future__ import annotations

from functools import cache

from tixpilot.adapters.pos.registry import adapter_by_name
from tixpilot.services.pos_orders import InventoryPorts
from tixpilot.wiring import components
from tixpilot.wiring.pos import pos_credentials


@cache
def inventory_ports() -> InventoryPorts:
    return InventoryPorts(tenants=components.tenants(), adapter=adapter_by_name, credentials=pos_credentials)
