"""Receipt intake's dependencies (SES inbound)."""

from __future__ import annotations

from functools import cache

from tixpilot.services.intake import IntakeRepos
from tixpilot.wiring import components
from tixpilot.wiring.pipeline import pipeline_runs
from tixpilot.wiring.purchases import purchase_repos


@cache
def intake_repos() -> IntakeRepos:
    """Every recorded purchase gets a run of its pipeline, unless one is going (pipeline_runs)."""
    return IntakeRepos(
        domains=components.domains(),
        receipts=components.receipts(),
        purchases=purchase_repos(),
        forwarders=components.forwarders(),
        pipeline=pipeline_runs(),
    )
