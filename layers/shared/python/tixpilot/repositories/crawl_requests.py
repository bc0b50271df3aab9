"""Crawl requests, keyed by tenant and `<received ISO time>#<request id>`, expiring by TTL."""

from __future__ import annotations

from typing import Any

from tixpilot.models.crawl_requests import CrawlRequest
from tixpilot.repositories.dynamo import Table, to_item


class CrawlRequestRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("crawl_requests", client)

    def add(self, request: CrawlRequest) -> None:
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item(
                {
                    **request.model_dump(mode="json"),
                    "request_key": f"{request.received.isoformat()}#{request.request_id}",
                    "expires_at": int(request.expires_at.timestamp()),  # TTL wants epoch seconds
                }
            ),
        )
