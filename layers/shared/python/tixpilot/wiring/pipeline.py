"""The purchase pipeline's dependencies: the real repositories, POS adapters and connectors."""

from __future__ import annotations

from functools import cache

from tixpilot.adapters.pos.registry import adapter_by_name
from tixpilot.adapters.primaries.base import PrimaryUnavailable
from tixpilot.adapters.primaries.registry import connector_for
from tixpilot.models.crawl_requests import CrawlRequest
from tixpilot.observability import logger
from tixpilot.repositories.accounts import AccountRepository
from tixpilot.repositories.purchases import PurchaseRepository
from tixpilot.repositories.sequences import SequenceRepository
from tixpilot.repositories.tenants import TenantRepository
from tixpilot.services.autopo import PoDeps
from tixpilot.services.pipeline import CrawlResult, PipelineDeps, crawl_account
from tixpilot.services.purchases import PurchaseRepos


@cache
def pipeline_deps() -> PipelineDeps:
    purchases = PurchaseRepository()  # one per container: it remembers which names it indexed
    return PipelineDeps(
        repos=PurchaseRepos(purchases=purchases, sequences=SequenceRepository()),
        po=PoDeps(
            purchases=purchases,
            tenants=TenantRepository(),
            accounts=AccountRepository(),
            adapter=adapter_by_name,
        ),
        connector=connector_for,
    )


def crawl_request_now(tenant_id: str, request: CrawlRequest) -> CrawlResult:
    """Act on a recorded GET /v2/crawl request: crawl the account (one order or all) and start
    the pipeline for every order found."""
    from tixpilot.adapters.stepfunctions import StepFunctionsPipeline

    username = request.username
    marketplace_id = request.marketplace_id or 1
    if request.account_id is not None:
        account = AccountRepository().get(tenant_id, request.account_id)
        if account is None:  # the request stays recorded, as the legacy API does; nothing to crawl
            return CrawlResult(0, 0)
        username, marketplace_id = account.username, account.marketplace_id
    if not username:
        return CrawlResult(0, 0)
    try:
        return crawl_account(
            pipeline_deps(), StepFunctionsPipeline(), tenant_id, username, marketplace_id, request.confnum
        )
    except PrimaryUnavailable:
        logger.warning("primary unavailable for a crawl request", extra={"request_id": request.request_id})
        return CrawlResult(0, 0)
