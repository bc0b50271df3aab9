"""Tenants and their credentials (API tokens, marketplace keys)."""

from __future__ import annotations

from typing import Any

from tixpilot.models.tenants import Credential, Tenant
from tixpilot.repositories.dynamo import Table, from_item, to_item, to_value


class TenantRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("tenants", client)

    def get(self, tenant_id: str) -> Tenant | None:
        response = self.table.client.get_item(TableName=self.table.name, Key={"tenant_id": {"S": tenant_id}})
        item = response.get("Item")
        return Tenant.model_validate(from_item(item)) if item else None

    def create(self, tenant: Tenant) -> None:
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item(tenant.model_dump(mode="json")),
            ConditionExpression="attribute_not_exists(tenant_id)",
        )

    def update_settings(self, tenant_id: str, changes: dict[str, Any]) -> Tenant | None:
        """Set some of a tenant's settings with one conditional UpdateItem (every tenant item has
        its `settings` map from creation); None when there is no such tenant."""
        names = {"#s": "settings", **{f"#k{i}": key for i, key in enumerate(changes)}}
        client = self.table.client
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key={"tenant_id": {"S": tenant_id}},
                UpdateExpression="SET " + ", ".join(f"#s.#k{i} = :v{i}" for i in range(len(changes))),
                ConditionExpression="attribute_exists(tenant_id)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={f":v{i}": to_value(v) for i, v in enumerate(changes.values())},
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return Tenant.model_validate(from_item(response["Attributes"]))


class CredentialRepository:
    """Token hash -> credential. A token is looked up by its hash only: one GetItem."""

    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("tokens", client)

    def get(self, token_hash: str) -> Credential | None:
        response = self.table.client.get_item(
            TableName=self.table.name, Key={"token_hash": {"S": token_hash}}
        )
        item = response.get("Item")
        return Credential.model_validate(from_item(item)) if item else None

    def hash_of(self, tenant_id: str, credential_id: str) -> str | None:
        """The stored hash of a tenant's credential by its id (Query on by_tenant), or None."""
        response = self.table.client.query(
            TableName=self.table.name,
            IndexName="by_tenant",
            KeyConditionExpression="tenant_id = :t AND credential_id = :c",
            ExpressionAttributeValues={":t": {"S": tenant_id}, ":c": {"S": credential_id}},
        )
        items = response.get("Items", [])
        return str(items[0]["token_hash"]["S"]) if items else None

    def of_tenant(self, tenant_id: str) -> list[tuple[str, Credential]]:
        """Every credential of a tenant with its hash: the hashes from by_tenant (keys only),
        the credentials in BatchGetItem calls of up to 100."""
        hashes = [
            str(item["token_hash"])
            for item in self.table.query_all(
                IndexName="by_tenant",
                KeyConditionExpression="tenant_id = :t",
                ExpressionAttributeValues={":t": {"S": tenant_id}},
            )
        ]
        found: list[tuple[str, Credential]] = []
        for start in range(0, len(hashes), 100):
            pending: dict[str, Any] = {
                self.table.name: {"Keys": [{"token_hash": {"S": h}} for h in hashes[start : start + 100]]}
            }
            while pending:
                response = self.table.client.batch_get_item(RequestItems=pending)
                for item in response.get("Responses", {}).get(self.table.name, []):
                    row = from_item(item)
                    found.append((str(row.pop("token_hash")), Credential.model_validate(row)))
                pending = response.get("UnprocessedKeys") or {}
        return sorted(found, key=lambda pair: int(pair[1].credential_id))

    def delete(self, token_hash: str) -> None:
        self.table.client.delete_item(TableName=self.table.name, Key={"token_hash": {"S": token_hash}})

    def put(self, token_hash: str, credential: Credential) -> None:
        self.table.client.put_item(
            TableName=self.table.name,
            Item=to_item({"token_hash": token_hash, **credential.model_dump(mode="json")}),
            ConditionExpression="attribute_not_exists(token_hash)",
        )
