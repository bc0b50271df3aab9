"""The marketplace adapters' HTTP client: the adapters' one retrying client (tixpilot.adapters.http)
raising `MarketplaceError`.

Every request is repeatable: the marketplaces' writes name the order, and each adapter treats
"already confirmed" / "already rejected" as done, so a repeat cannot do harm.
"""

from __future__ import annotations

from typing import Any

from tixpilot.adapters.http import Body, HttpResponse, RetryingHttp
from tixpilot.adapters.marketplaces.base import MarketplaceError

__all__ = ["Body", "HttpResponse", "MarketplaceHttp"]


class MarketplaceHttp(RetryingHttp):
    """Requests to one marketplace; failures are MarketplaceErrors naming it."""

    def __init__(self, marketplace: str, **options: Any) -> None:
        super().__init__(
            marketplace,
            error=lambda message, transient, status: MarketplaceError(
                message, transient=transient, status=status, marketplace=marketplace
            ),
            **options,
        )
        self.marketplace = marketplace
