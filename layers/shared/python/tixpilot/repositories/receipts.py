"""Inbound email records, and the raw messages in S3.

A record's key is `<tenant>#mid:<SHA-256 of the Message-ID>`: a Message-ID is any length (a key
is at most 2 KB), and duplicates are found by it. The Message-ID itself is an attribute. Records
written before keys were hashed (`<tenant>#<Message-ID>`) move to their hashed key with
`migrate_keys` (`tixpilot receipts migrate-keys`; `receipts replay` moves a tenant's first).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from typing import Any

from tixpilot import aws
from tixpilot.models.receipts import Receipt, ReceiptStatus
from tixpilot.repositories.dynamo import Table, from_item, to_item
from tixpilot.settings import get_settings

_RECEIVED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, so text order is time order
_BAD_CURSOR = "cursor is not one this API returned; pass the `cursor` of the previous page"


def receipt_key(tenant_id: str, key_suffix: str) -> str:
    return f"{tenant_id}#{key_suffix}"


_HASHED = "mid:"


def message_key(message_id: str) -> str:
    """The key suffix of a message's first record: a hash of its Message-ID, of fixed length."""
    digest = hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()
    return _HASHED + digest


def _is_legacy_key(key: str) -> bool:
    suffix = key.split("#", 1)[1] if "#" in key else key
    return not suffix.startswith((_HASHED, "dup:"))


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    """A page's LastEvaluatedKey as an opaque token without the tenant: the next request's
    token supplies it, so a cursor can never point into another tenant's receipts."""
    if not key:
        return None
    tenant_key = key["receipt_key"]["S"]
    position = {"received": key["received"]["S"], "key": tenant_key.split("#", 1)[1]}
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, str]:
    """{"received", "key"} of the previous page's last receipt; ValueError if not one we issued."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError(_BAD_CURSOR) from exc
    if (
        not isinstance(data, dict)
        or set(data) != {"received", "key"}
        or not all(isinstance(v, str) and v for v in data.values())
    ):
        raise ValueError(_BAD_CURSOR)
    return data


def _row(receipt: Receipt, key_suffix: str) -> dict[str, Any]:
    data = receipt.model_dump(mode="json")
    return {
        **data,
        "received": receipt.received.strftime(_RECEIVED_FORMAT),
        "receipt_key": receipt_key(receipt.tenant_id, key_suffix),
        "tenant_status": f"{receipt.tenant_id}#{receipt.status}",
    }


def _receipt(item: dict[str, Any]) -> Receipt:
    return Receipt.model_validate(
        {k: v for k, v in item.items() if k not in ("receipt_key", "tenant_status")}
    )


class ReceiptRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("receipts", client)

    def add_first(self, receipt: Receipt) -> bool:
        """Record a message for a tenant unless that tenant already has its Message-ID.

        Returns False (and writes nothing) when it is a duplicate: one conditional Put. The same
        delivery again (a retried invocation: same transport id) is not a duplicate, so a retry
        after a crash finishes the work instead of being swallowed.
        """
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_item(_row(receipt, message_key(receipt.message_id))),
                ConditionExpression="attribute_not_exists(receipt_key) OR transport_id = :t",
                ExpressionAttributeValues={":t": {"S": receipt.transport_id}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_duplicate(self, receipt: Receipt) -> None:
        """Keep a record of a repeated message under its transport id (each delivery once)."""
        self.table.client.put_item(
            TableName=self.table.name, Item=to_item(_row(receipt, f"dup:{receipt.transport_id}"))
        )

    def save(self, receipt: Receipt) -> None:
        """Write the outcome of a recorded message (parsed with its rid, or why not) over its record."""
        self.table.client.put_item(
            TableName=self.table.name, Item=to_item(_row(receipt, message_key(receipt.message_id)))
        )

    def page(
        self,
        tenant_id: str,
        limit: int,
        status: ReceiptStatus | None = None,
        after: dict[str, str] | None = None,
    ) -> tuple[list[Receipt], dict[str, Any] | None]:
        """A tenant's receipts newest first (one Query: by status, or all of them)."""
        if status is None:
            index, partition_name, partition = "by_tenant", "tenant_id", tenant_id
        else:
            index, partition_name, partition = "by_tenant_status", "tenant_status", f"{tenant_id}#{status}"
        kwargs: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": index,
            "KeyConditionExpression": "#p = :p",
            "ExpressionAttributeNames": {"#p": partition_name},
            "ExpressionAttributeValues": {":p": {"S": partition}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if after is not None:
            kwargs["ExclusiveStartKey"] = {
                "receipt_key": {"S": receipt_key(tenant_id, after["key"])},
                partition_name: {"S": partition},
                "received": {"S": after["received"]},
            }
        response = self.table.client.query(**kwargs)
        return [_receipt(from_item(i)) for i in response.get("Items", [])], response.get("LastEvaluatedKey")

    def stored(self, tenant_id: str, statuses: tuple[ReceiptStatus, ...]) -> Iterator[Receipt]:
        """Every receipt of a tenant in the given states (for replay; oldest first)."""
        for status in statuses:
            for item in self.table.query_all(
                IndexName="by_tenant_status",
                KeyConditionExpression="tenant_status = :s",
                ExpressionAttributeValues={":s": {"S": f"{tenant_id}#{status}"}},
            ):
                yield _receipt(item)

    def migrate_keys(self, tenant_id: str | None = None) -> dict[str, int]:
        """Move records written under `<tenant>#<Message-ID>` to their hashed key: one tenant's
        (a Query on by_tenant), or every tenant's (a Scan: an admin's one-off, never a request).
        A record whose hashed key is taken already (the same message arrived again after the
        upgrade) stays where it is and is counted as a conflict. Safe to run again."""
        if tenant_id is None:
            items: Iterator[dict[str, Any]] = self._scan()
        else:
            items = self.table.query_all(
                IndexName="by_tenant",
                KeyConditionExpression="tenant_id = :t",
                ExpressionAttributeValues={":t": {"S": tenant_id}},
            )
        counts = {"examined": 0, "migrated": 0, "conflicts": 0}
        client = self.table.client
        for item in items:
            counts["examined"] += 1
            if not _is_legacy_key(item["receipt_key"]):
                continue
            receipt = _receipt(item)
            try:
                client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self.table.name,
                                "Item": to_item(_row(receipt, message_key(receipt.message_id))),
                                "ConditionExpression": "attribute_not_exists(receipt_key)",
                            }
                        },
                        {
                            "Delete": {
                                "TableName": self.table.name,
                                "Key": {"receipt_key": {"S": item["receipt_key"]}},
                                "ConditionExpression": "attribute_exists(receipt_key)",
                            }
                        },
                    ]
                )
            except client.exceptions.TransactionCanceledException:
                counts["conflicts"] += 1
                continue
            counts["migrated"] += 1
        return counts

    def _scan(self) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {"TableName": self.table.name}
        while True:
            page = self.table.client.scan(**kwargs)
            for item in page.get("Items", []):
                yield from_item(item)
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class RawMailStore:
    """The bucket where inbound mail lands before anything else happens."""

    def __init__(self, client: Any | None = None, bucket: str | None = None) -> None:
        self._client = client
        self.bucket = bucket or get_settings().raw_email_bucket

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("s3")
        return self._client

    def put(self, key: str, raw: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=raw)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
