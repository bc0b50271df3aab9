"""A client's request (GET /v2/crawl) to crawl the primary for one order or a whole account."""

import datetime as dt

from tixpilot.models.base import Model


class CrawlRequest(Model):
    tenant_id: str
    request_id: str
    source: str
    confnum: str  # a Ticketmaster order number like 12-34567/NY, or "all"
    account_id: int | None = None
    username: str | None = None
    marketplace_id: int | None = None
    received: dt.datetime
    expires_at: dt.datetime  # the record is dropped then (table TTL)
    status: str = "recorded"
