"""Crawl requests, keyed by tenant and `<received ISO time>#<request id>`, expiring after 30 days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tixpilot.repositories.dynamo import Table, to_item
from tixpilot.services.crawl_requests import KEEP_DAYS, CrawlRequest


class CrawlRequestRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("crawl_requests", client)

    def add(self, request: CrawlRequest) -> None:
        expires = request.received + dt.timedelta(days=KEEP_DAYS)
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item(
                {
                    **request.model_dump(mode="json"),
                    "request_key": f"{request.received.isoformat()}#{request.request_id}",
                    "expires_at": int(expires.timestamp()),
                }
            ),
        )
