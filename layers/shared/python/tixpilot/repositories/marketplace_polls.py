"""What the marketplace pollers share, so any number of them respect the marketplaces' rate limits.

Items of the `marketplace_polls` table, by `poll_key`:
- `feed#<tenant>#<marketplace>#<feed>`: `last_request_at` (N, epoch seconds) of the feed's last
  request, taken by a conditional UpdateItem (the slot: at most one request per interval however
  many pollers run), `cursor` where the feed's sweep continues, `last_error` and
  `last_finished_at` for whoever looks into a tenant's polling.
- `seen#<tenant>#<dedupe key>`: a notification already sent, until `expires_at` (N, the table's
  TTL attribute; TTL deletes late, so reads compare it with the time too).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from tixpilot.models.marketplace_polls import FeedSlot
from tixpilot.repositories.dynamo import Table

_BATCH_GET = 100  # BatchGetItem's limit
_BATCH_WRITE = 25  # BatchWriteItem's limit
_ATTEMPTS = 5  # for the unprocessed part of a batch (throttling)


def _feed_key(tenant_id: str, marketplace_id: int, feed: str) -> dict[str, Any]:
    return {"poll_key": {"S": f"feed#{tenant_id}#{marketplace_id}#{feed}"}}


def _seen_key(tenant_id: str, dedupe_key: str) -> str:
    return f"seen#{tenant_id}#{dedupe_key}"


def _number(value: float) -> dict[str, str]:
    return {"N": f"{value:.3f}"}


class MarketplacePollRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("marketplace_polls", client)

    def take_slot(
        self, tenant_id: str, marketplace_id: int, feed: str, now: float, interval_s: float
    ) -> FeedSlot | None:
        """The feed's slot if its last request was at least `interval_s` before `now`, recording
        `now` as the last; None otherwise. One conditional UpdateItem."""
        client = self.table.client
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=_feed_key(tenant_id, marketplace_id, feed),
                UpdateExpression="SET last_request_at = :now",
                ConditionExpression="attribute_not_exists(last_request_at) OR last_request_at <= :due",
                ExpressionAttributeValues={":now": _number(now), ":due": _number(now - interval_s)},
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        cursor = response["Attributes"].get("cursor")  # (reserved in expressions, not in items)
        return FeedSlot(cursor=cursor["S"] if cursor else None)

    def finish(
        self, tenant_id: str, marketplace_id: int, feed: str, cursor: str | None, error: str | None
    ) -> None:
        # `cursor` is one of DynamoDB's reserved words: every name goes through a placeholder
        names = {"#t": "last_finished_at", "#c": "cursor", "#e": "last_error"}
        sets, removes = ["#t = :t"], []
        values: dict[str, Any] = {":t": _number(time.time())}
        for placeholder, value in (("#c", cursor), ("#e", error[:500] if error else None)):
            if value is None:
                removes.append(placeholder)
            else:
                sets.append(f"{placeholder} = :{placeholder[1]}")
                values[f":{placeholder[1]}"] = {"S": value}
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        self.table.client.update_item(
            TableName=self.table.name,
            Key=_feed_key(tenant_id, marketplace_id, feed),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def unseen(self, tenant_id: str, keys: Sequence[str], now: float) -> set[str]:
        """Those dedupe keys without a live `seen` item: BatchGetItem, 100 keys a call."""
        by_item = {_seen_key(tenant_id, key): key for key in keys}
        live: set[str] = set()
        items = list(by_item)
        for start in range(0, len(items), _BATCH_GET):
            request: dict[str, Any] = {
                self.table.name: {
                    "Keys": [{"poll_key": {"S": k}} for k in items[start : start + _BATCH_GET]],
                    "ProjectionExpression": "poll_key, expires_at",
                }
            }
            for attempt in range(_ATTEMPTS):
                response = self.table.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table.name, []):
                    if float(item["expires_at"]["N"]) > now:
                        live.add(by_item[item["poll_key"]["S"]])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
            # keys still unprocessed count as unseen: at worst a notification is sent twice
        return set(keys) - live

    def mark_seen(self, tenant_id: str, keys: Sequence[str], until: float) -> None:
        """A `seen` item per dedupe key, expiring at `until`: BatchWriteItem, 25 a call. What
        stays unprocessed is left unmarked (sent again by a later poll, which the worker dedupes)."""
        expires_at = {"N": str(int(until))}
        puts = [
            {"PutRequest": {"Item": {"poll_key": {"S": _seen_key(tenant_id, key)}, "expires_at": expires_at}}}
            for key in dict.fromkeys(keys)
        ]
        for start in range(0, len(puts), _BATCH_WRITE):
            request: dict[str, Any] = {self.table.name: puts[start : start + _BATCH_WRITE]}
            for attempt in range(_ATTEMPTS):
                response = self.table.client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(0.05 * 2**attempt)
