"""The marketplaces' side: Order Integration (holds, release, invoice) and the tenants'
credentials for the marketplaces' own APIs."""

from __future__ import annotations

from functools import cache

from tixpilot.services.marketplace_credentials import SellerDeps
from tixpilot.services.marketplace_orders import OrderRepos
from tixpilot.wiring import components


@cache
def order_repos() -> OrderRepos:
    return OrderRepos(
        ledger=components.ledger(), orders=components.marketplace_orders(), sales=components.sales()
    )


@cache
def seller_deps() -> SellerDeps:
    from tixpilot.adapters.marketplaces.registry import adapter_for

    return SellerDeps(
        store=components.marketplace_credentials(), tenants=components.tenants(), adapter_for=adapter_for
    )
