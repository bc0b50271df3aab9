"""GET /v2/crawl: a client asks TixPilot to crawl the primary for one order or a whole account.

The request is validated and recorded (table `crawl_requests`, kept 30 days); the purchase
pipeline issue makes the crawl happen. Recording first means no request is lost while the
crawler is down, and the pipeline can start from the record.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from functools import cache
from typing import Protocol

from tixpilot.data.reference import BUYING_MARKETPLACES
from tixpilot.errors import InvalidParameter
from tixpilot.models.crawl_requests import CrawlRequest

TICKETMASTER = 1
MISSING_ACCOUNT = (
    "username: say which account to crawl: id (the account id) or username "
    "(with marketplaceid, default 1 = Ticketmaster)"
)
KEEP_DAYS = 30
# Region codes are letters and digits (NY, SF3, LA2).
_CONFNUM = re.compile(r"^[0-9]{1,3}-[0-9]{4,6}(/[A-Z][A-Z0-9]{1,3})?$")


class CrawlRequestStore(Protocol):
    def add(self, request: CrawlRequest) -> None: ...


def normalize_confnum(value: str) -> str:
    """`12-34567/NY` (uppercased) or `all`; ValueError naming the accepted form."""
    text = value.strip()
    if text.lower() == "all":
        return "all"
    if not _CONFNUM.match(text.upper()):
        raise ValueError(
            f"'{text[:40]}' is not a Ticketmaster order number; use the form 12-34567/NY "
            "(region optional), or all for a full crawl of the account"
        )
    return text.upper()


@cache
def _buying_ids() -> frozenset[int]:
    return frozenset(int(str(m["id"])) for m in BUYING_MARKETPLACES)


def check_buying_marketplace(marketplace_id: int) -> int:
    if marketplace_id not in _buying_ids():
        raise ValueError(
            f"{marketplace_id} is not a buying marketplace id (1 = Ticketmaster); see GET /v2/marketplaces"
        )
    return marketplace_id


def record_crawl_request(
    store: CrawlRequestStore,
    tenant_id: str,
    *,
    source: str,
    confnum: str = "all",
    account_id: int | None = None,
    username: str | None = None,
    marketplace_id: int | None = None,
    now: dt.datetime,
) -> CrawlRequest:
    """Record a crawl request. With `account_id`, username and marketplace are ignored (as the
    legacy API does); without it, `username` is required and the marketplace defaults to 1."""
    if account_id is None and not (username and username.strip()):
        raise InvalidParameter("username", MISSING_ACCOUNT)
    request = CrawlRequest(
        tenant_id=tenant_id,
        request_id=str(uuid.uuid4()),
        source=source.strip(),
        confnum=confnum,
        account_id=account_id,
        username=None if account_id is not None else (username or "").strip().lower(),
        marketplace_id=None if account_id is not None else (marketplace_id or TICKETMASTER),
        received=now,
        expires_at=now + dt.timedelta(days=KEEP_DAYS),
    )
    store.add(request)
    return request
