"""Primary connectors by buying marketplace id (1 = Ticketmaster)."""

from __future__ import annotations

import os

from tixpilot.adapters.primaries.base import PrimaryConnector


def connector_for(marketplace_id: int) -> PrimaryConnector | None:
    """The connector for a buying marketplace, or None when TixPilot cannot crawl it.

    Ticketmaster is crawled through the sandbox API wherever TIXPILOT_PRIMARY_URL names one (the
    local stack sets it); a production connector is a new module registered here."""
    if marketplace_id == 1 and os.environ.get("TIXPILOT_PRIMARY_URL"):
        from tixpilot.adapters.primaries.sandbox import SandboxConnector

        return SandboxConnector(os.environ["TIXPILOT_PRIMARY_URL"])
    return None
