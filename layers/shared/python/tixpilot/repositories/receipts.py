"""Inbound email records, and the raw messages in S3."""

from __future__ import annotations

from typing import Any

from tixpilot import aws
from tixpilot.models.receipts import Receipt
from tixpilot.repositories.dynamo import Table, to_item
from tixpilot.settings import get_settings


class ReceiptRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("receipts", client)

    def add_first(self, receipt: Receipt) -> bool:
        """Record a message for a tenant unless that tenant already has its Message-ID.

        Returns False (and writes nothing) when it is a duplicate: one conditional Put.
        """
        client = self.table.client
        try:
            client.put_item(
                TableName=self.table.name,
                Item=to_item(_row(receipt, receipt.message_id)),
                ConditionExpression="attribute_not_exists(receipt_key)",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def add_duplicate(self, receipt: Receipt) -> None:
        """Keep a record of a repeated message under its transport id (each delivery once)."""
        self.table.client.put_item(
            TableName=self.table.name, Item=to_item(_row(receipt, f"dup:{receipt.transport_id}"))
        )


def _row(receipt: Receipt, key_suffix: str) -> dict[str, Any]:
    data = receipt.model_dump(mode="json")
    return {
        **data,
        "receipt_key": f"{receipt.tenant_id}#{key_suffix}",
        "tenant_status": f"{receipt.tenant_id}#{receipt.status}",
    }


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
