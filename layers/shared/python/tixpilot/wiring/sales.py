"""The sales routes' dependencies (sales/add, the query, fulfill, complete-sale)."""

from __future__ import annotations

from functools import cache

from tixpilot.services.sales import SalesRepos
from tixpilot.wiring import components


@cache
def sales_repos() -> SalesRepos:
    return SalesRepos(
        sales=components.sales(),
        credentials=components.credentials(),
        tenants=components.tenants(),
        fulfillment=components.fulfillment_queue(),
    )
