"""A tenant's POS API credentials (SkyBox's account id and tokens), as KMS ciphertext.

One attribute per POS on the tenant's own item (`pos_credentials_<pos>`, binary): whoever reads
the tenant can find them, but only a role allowed to decrypt with the `pos-credentials` key can
read them. The tenant model does not declare them, so they never reach an API answer.
"""

from __future__ import annotations

from typing import Any

from tixpilot.repositories.dynamo import Table


def attribute(pos: str) -> str:
    return f"pos_credentials_{pos}"


class PosCredentialRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("tenants", client)

    def put(self, tenant_id: str, pos: str, ciphertext: bytes) -> bool:
        """Store (or replace) the ciphertext; False when there is no such tenant."""
        client = self.table.client
        try:
            client.update_item(
                TableName=self.table.name,
                Key={"tenant_id": {"S": tenant_id}},
                UpdateExpression="SET #c = :c",
                ConditionExpression="attribute_exists(tenant_id)",
                ExpressionAttributeNames={"#c": attribute(pos)},
                ExpressionAttributeValues={":c": {"B": ciphertext}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def get(self, tenant_id: str, pos: str) -> bytes | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key={"tenant_id": {"S": tenant_id}},
            ProjectionExpression="#c",
            ExpressionAttributeNames={"#c": attribute(pos)},
        ).get("Item")
        return bytes(item[attribute(pos)]["B"]) if item and attribute(pos) in item else None
