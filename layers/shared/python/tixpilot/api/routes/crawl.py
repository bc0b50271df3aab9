"""GET /v2/crawl."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import AfterValidator

from tixpilot.api.app import tenant_id
from tixpilot.api.schemas import Envelope, Result
from tixpilot.errors import InvalidParameter
from tixpilot.services.crawl_requests import (
    MISSING_ACCOUNT,
    check_buying_marketplace,
    normalize_confnum,
    record_crawl_request,
)
from tixpilot.services.pipeline import account_to_crawl, crawl_request_now
from tixpilot.wiring import components
from tixpilot.wiring.pipeline import crawl_deps

router = Router()


def _source(value: str) -> str:
    if not value.strip():
        raise ValueError("must name your service, e.g. joebroker_app")
    return value.strip()


@router.get("/v2/crawl", summary="Ask for a crawl of the primary for an order or an account", tags=["crawl"])
def crawl(
    source: Annotated[
        str,
        AfterValidator(_source),
        Query(max_length=100, description="where the request comes from, e.g. joebroker_app"),
    ],
    confnum: Annotated[
        str,
        AfterValidator(normalize_confnum),
        Query(max_length=40, description='Ticketmaster order number (12-34567/NY) or "all"'),
    ] = "all",
    id: Annotated[int | None, Query(ge=1, description="account id; when given, username is ignored")] = None,
    username: Annotated[str | None, Query(max_length=200, description="marketplace account username")] = None,
    marketplaceid: Annotated[
        int, AfterValidator(check_buying_marketplace), Query(description="buying marketplace id")
    ] = 1,
) -> Envelope[dict[str, Any]]:
    """Records the request, crawls the primary for it, and starts the purchase pipeline for each
    order found (output is empty). An account you do not have (by id, or username on the
    marketplace) is a 404: a crawl reads only your own accounts."""
    tenant = tenant_id()
    if id is None and not (username and username.strip()):
        raise InvalidParameter("username", MISSING_ACCOUNT)
    deps = crawl_deps()
    account = account_to_crawl(
        deps.accounts, tenant, account_id=id, username=username, marketplace_id=marketplaceid
    )
    request = record_crawl_request(
        components.crawl_requests(),
        tenant,
        source=source,
        confnum=confnum,
        account_id=account.account_id,
        now=dt.datetime.now(dt.UTC),
    )
    crawl_request_now(deps, tenant, request, account)  # each order found gets its purchase and its pipeline
    return Envelope(
        result=Result(
            message=f"crawl request {request.request_id} recorded; it is crawled in the order received"
        )
    )
