"""Recording purchases (intake, the crawl): the purchase repository and the rid sequence."""

from __future__ import annotations

from functools import cache

from tixpilot.services.purchases import PurchaseRepos
from tixpilot.wiring import components


@cache
def purchase_repos() -> PurchaseRepos:
    return PurchaseRepos(purchases=components.purchases(), sequences=components.sequences())
