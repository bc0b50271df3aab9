"""The marketplaces' side: Order Integration (holds, release, invoice), the inventory POS every
marketplace order goes to, the tenants' credentials for the marketplaces' own APIs, and the
sales those APIs announce (webhooks, polls)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from tixpilot.adapters.pos.registry import adapter_by_name
from tixpilot.services.marketplace_credentials import SellerDeps
from tixpilot.services.marketplace_orders import OrderRepos
from tixpilot.services.pos_orders import InventoryPorts
from tixpilot.services.sales_inbound import PollDeps, WebhookDeps
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring.pos import pos_credentials

if TYPE_CHECKING:
    from tixpilot.adapters.marketplaces.base import MarketplaceAdapter


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
