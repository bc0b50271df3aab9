"""Instant Notification's dependencies: the generic v1 routes, the sales worker, and a person's
confirm/reject (POST /v2/sales/confirm|reject)."""

from __future__ import annotations

from functools import cache

from tixpilot.adapters.marketplaces.registry import adapter_for
from tixpilot.services.ion import IonDeps
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring.inventory import inventory_ports


@cache
def ion_deps() -> IonDeps:
    settings = get_settings()
    return IonDeps(
        inventory=inventory_ports(),
        sales=components.sales(),
        orders=components.ion_orders(),
        credentials=components.marketplace_credentials(),
        adapter_for=adapter_for,
        sale_queue=components.ion_sales(),
        tasks=components.ion_tasks(),
        hold_ttl_s=settings.hold_ttl_s,
        reject_after_s=settings.ion_reject_after_s,
    )
