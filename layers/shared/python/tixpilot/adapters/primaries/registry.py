"""Primary connectors by buying marketplace id (1 = Ticketmaster)."""

from __future__ import annotations

from tixpilot.adapters.primaries.base import PrimaryConnector
from tixpilot.settings import get_settings


def connector_for(marketplace_id: int) -> PrimaryConnector | None:
    """The connector for a buying marketplace, or None when TixPilot cannot crawl it.

    Ticketmaster is crawled through the sandbox API wherever the settings name one
    (`TIXPILOT_PRIMARY_URL`; the local stack sets it); a production connector is a new module
    registered here."""
    url = get_settings().primary_url
    if marketplace_id == 1 and url:
        from tixpilot.adapters.primaries.sandbox import SandboxConnector

        return SandboxConnector(url)
    return None
