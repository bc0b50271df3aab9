"""What every caller of a POS adapter needs besides the adapter: the tenant's credentials for
that POS's API (AutoPO and QuickPO, Order Integration, the sales worker), and the inventory ports
that find a tenant's inventory POS and its adapter."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from tixpilot.adapters.pos.registry import adapter_by_name
from tixpilot.models.pos import BY_NAME
from tixpilot.services.pos_orders import InventoryPorts
from tixpilot.wiring import components


def pos_credentials(tenant_id: str, pos: str) -> Mapping[str, str] | None:
    """The tenant's stored credentials for a POS: none for a POS that takes none (the builtin),
    else from the POS credentials store (SkyBox; `tixpilot pos-credentials set`)."""
    if not BY_NAME[pos].credentials:
        return None
    return components.pos_credentials().get(tenant_id, pos)


@cache
def inventory_ports() -> InventoryPorts:
    return InventoryPorts(tenants=components.tenants(), adapter=adapter_by_name, credentials=pos_credentials)
