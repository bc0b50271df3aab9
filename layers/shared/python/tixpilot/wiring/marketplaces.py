"""The marketplaces' own APIs: the tenants' credentials for them, and the sales they announce
(webhooks, polls). Order Integration's dependencies are in `oi`, the inventory POS every
marketplace order goes to in `pos`."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from tixpilot.services.marketplace_credentials import SellerDeps
from tixpilot.services.sales_inbound import PollDeps, WebhookDeps
from tixpilot.wiring import components

if TYPE_CHECKING:
    from tixpilot.adapters.marketplaces.base import MarketplaceAdapter


@cache
def seller_deps() -> SellerDeps:
    from tixpilot.adapters.marketplaces.registry import adapter_for

    return SellerDeps(
        store=components.marketplace_credentials(), tenants=components.tenants(), adapter_for=adapter_for
    )


def _native_adapters() -> list[MarketplaceAdapter]:
    from tixpilot.adapters.marketplaces.registry import adapter_for, registered

    return [adapter for mid in sorted(registered()) if (adapter := adapter_for(mid)) is not None]


@cache
def webhook_deps() -> WebhookDeps:
    return WebhookDeps(
        accounts=components.marketplace_credentials(),
        sink=components.ion_sales(),
        adapters={a.name: a for a in _native_adapters() if a.notifications == "webhook"},
    )


@cache
def poll_deps() -> PollDeps:
    return PollDeps(
        accounts=components.marketplace_credentials(),
        state=components.marketplace_polls(),
        sink=components.ion_sales(),
        adapters=[a for a in _native_adapters() if a.poll_feeds],
    )
