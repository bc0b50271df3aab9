"""The purchase pipeline's dependencies (its tasks, QuickPO, GET /v2/crawl)."""

from __future__ import annotations

from functools import cache

from tixpilot.adapters.pos.registry import adapter_by_name
from tixpilot.adapters.primaries.registry import connector_for
from tixpilot.services.autopo import PoDeps
from tixpilot.services.pipeline import Backoff, CrawlDeps, PipelineDeps, PipelineRuns
from tixpilot.settings import get_settings
from tixpilot.wiring import components
from tixpilot.wiring.pos import pos_credentials
from tixpilot.wiring.purchases import purchase_repos


@cache
def po_deps() -> PoDeps:
    """AutoPO's and QuickPO's: the purchase, its tenant's settings, its account, the POSes."""
    return PoDeps(
        purchases=components.purchases(),
        tenants=components.tenants(),
        accounts=components.accounts(),
        adapter=adapter_by_name,
        credentials=pos_credentials,
    )


@cache
def pipeline_deps() -> PipelineDeps:
    return PipelineDeps(repos=purchase_repos(), po=po_deps(), connector=connector_for)


@cache
def backoff() -> Backoff:
    return Backoff.from_settings(get_settings())


@cache
def pipeline_runs() -> PipelineRuns:
    """What starts a purchase's next run (intake, crawls, the local stack's resume)."""
    return PipelineRuns(purchases=components.purchases(), executions=components.pipeline_starter())


@cache
def crawl_deps() -> CrawlDeps:
    """GET /v2/crawl's: crawl now, start the pipeline for every order found."""
    return CrawlDeps(pipeline=pipeline_deps(), accounts=components.accounts(), starter=pipeline_runs())
