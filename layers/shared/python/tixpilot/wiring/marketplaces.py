"""The marketplaces' side of the API: Order Integration (holds, release, invoice)."""

from __future__ import annotations

from functools import cache

from tixpilot.services.marketplace_orders import OrderRepos
from tixpilot.wiring import components


@cache
def order_repos() -> OrderRepos:
    return OrderRepos(
        ledger=components.ledger(), orders=components.marketplace_orders(), sales=components.sales()
    )
