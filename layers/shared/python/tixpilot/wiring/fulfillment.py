"""Fulfillment's dependencies: the fulfillment worker, and what generic v1 marketplaces read."""

from __future__ import annotations

from functools import cache

from tixpilot.adapters.marketplaces.registry import adapter_for
from tixpilot.adapters.primaries.registry import connector_for
from tixpilot.services.fulfillment import FulfillmentDeps
from tixpilot.services.fulfillment_schedule import RetrySchedule
from tixpilot.services.tickets import TicketDeps, refresh_ticket_group
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring.inventory import inventory_ports
from tixpilot.wiring.purchases import purchase_repos


@cache
def ticket_deps() -> TicketDeps:
    """A crawl for a sale's tickets: the primary, the purchases, the ticket files, the ledger."""
    return TicketDeps(
        repos=purchase_repos(),
        purchases=components.purchases(),
        files=components.ticket_files(),
        connector=connector_for,
        groups=components.ledger(),
    )


@cache
def fulfillment_deps() -> FulfillmentDeps:
    return FulfillmentDeps(
        inventory=inventory_ports(),
        sales=components.sales(),
        locks=components.fulfillment_locks(),
        credentials=components.marketplace_credentials(),
        adapter_for=adapter_for,
        timer=components.fulfillment_timer(),
        files=components.ticket_files(),
        refresh=lambda tenant_id, tgid: refresh_ticket_group(ticket_deps(), tenant_id, tgid),
        schedule=RetrySchedule(get_settings().fulfill_retry_s),
    )
