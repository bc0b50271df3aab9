"""Receipt intake's dependencies (SES inbound)."""

from __future__ import annotations

from functools import cache

from tixpilot.services.intake import IntakeRepos
from tixpilot.wiring import components
from tixpilot.wiring.purchases import purchase_repos


@cache
def intake_repos() -> IntakeRepos:
    """Every recorded purchase gets its pipeline execution (pipeline_starter)."""
    return IntakeRepos(
        domains=components.domains(),
        receipts=components.receipts(),
        purchases=purchase_repos(),
        forwarders=components.forwarders(),
        pipeline=components.pipeline_starter(),
    )
