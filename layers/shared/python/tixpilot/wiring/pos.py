"""What every caller of a POS adapter needs besides the adapter: the tenant's credentials for
that POS's API (AutoPO and QuickPO, Order Integration, the sales worker). The inventory ports,
which find a tenant's inventory POS and its adapter, are in `wiring.inventory`."""

from __future__ import annotations

from collections.abc import Mapping

from tixpilot.models.pos import BY_NAME
from tixpilot.wiring import components


def pos_credentials(tenant_id: str, pos: str) -> Mapping[str, str] | None:
    """The tenant's stored credentials for a POS: none for a POS that takes none (the builtin),
    else from the POS credentials store (SkyBox; `tixpilot pos-credentials set`)."""
    if not BY_NAME[pos].credentials:
        return None
    return components.pos_credentials().get(tenant_id, pos)
