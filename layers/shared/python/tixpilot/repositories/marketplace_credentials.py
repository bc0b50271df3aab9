"""Tenants' credentials for the resale marketplaces' own APIs, encrypted at rest.

One item per tenant and marketplace: `tenant_id`, `marketplace_id` (N), `ciphertext` (B: the KMS
ciphertext of the credentials as a JSON object, its encryption context naming the tenant and the
marketplace, so a ciphertext copied onto another item does not decrypt), `marketplace_account`
(`<marketplace id>#<account key>`, the `by_account` index key: the hash a webhook carries) and
`updated`. No credential is ever stored in clear.

An account key belongs to one tenant: a claim `marketplace-account#<marketplace>#<key>` is
written in the same transaction as the item, so two tenants cannot connect the same marketplace
account (its webhooks and polls would otherwise be processed for both).

The cipher is given, not built here (repositories sit below the adapters): anything with
`encrypt(plaintext, context)` and `decrypt(ciphertext, context)`, i.e. `adapters.kms.KmsCipher`.
Readers always want the plain mapping, so encryption happens here, at the storage boundary.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol

from tixpilot.errors import Conflict
from tixpilot.models.marketplace_credentials import SellerAccount
from tixpilot.repositories.dynamo import Table
from tixpilot.tables import MARKETPLACE_ACCOUNT_INDEX, MARKETPLACE_TENANTS_INDEX

_ATTEMPTS = 3  # a concurrent `set` of the same tenant and marketplace: read again and retry


class Cipher(Protocol):
    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes: ...

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str: ...


def encryption_context(tenant_id: str, marketplace_id: int) -> dict[str, str]:
    return {
        "purpose": "marketplace-credentials",
        "tenant_id": tenant_id,
        "marketplace_id": str(marketplace_id),
    }


def account_claim(marketplace_id: int, account_key: str) -> str:
    return f"marketplace-account#{marketplace_id}#{account_key}"


def _marketplace_account(marketplace_id: int, account_key: str) -> str:
    return f"{marketplace_id}#{account_key}"


class MarketplaceCredentialRepository:
    def __init__(self, cipher: Cipher, client: Any | None = None) -> None:
        self.cipher = cipher
        self.table = Table("marketplace_credentials", client)
        self.claims = Table("claims", client)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, tenant_id: str, marketplace_id: int) -> dict[str, str] | None:
        """The tenant's credentials for the marketplace (decrypted), or None: one GetItem."""
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key=self._key(tenant_id, marketplace_id),
            ProjectionExpression="ciphertext",
        ).get("Item")
        return self._decrypt(item, tenant_id, marketplace_id) if item else None

    def find_by_account(self, marketplace_id: int, account_key: str) -> SellerAccount | None:
        """Whose account on the marketplace has this account key (`adapter.account_key`), with its
        credentials: one Query on `by_account` (projected ALL). None when no tenant has it."""
        response = self.table.client.query(
            TableName=self.table.name,
            IndexName=MARKETPLACE_ACCOUNT_INDEX.name,
            KeyConditionExpression="#k = :k",
            ExpressionAttributeNames={"#k": MARKETPLACE_ACCOUNT_INDEX.partition_key.name},
            ExpressionAttributeValues={":k": {"S": _marketplace_account(marketplace_id, account_key)}},
            Limit=1,  # the claim keeps an account key to one tenant
        )
        items = response.get("Items", [])
        if not items:
            return None
        tenant_id = str(items[0]["tenant_id"]["S"])
        credentials = self._decrypt(items[0], tenant_id, marketplace_id)
        return SellerAccount(tenant_id=tenant_id, marketplace_id=marketplace_id, credentials=credentials)

    def tenants_of(self, marketplace_id: int) -> list[str]:
        """Every tenant with credentials for the marketplace (Queries on `by_marketplace`, keys
        only), in tenant id order; the credentials are read with `get` when needed."""
        index = MARKETPLACE_TENANTS_INDEX
        items = self.table.query_all(
            IndexName=index.name,
            KeyConditionExpression="#m = :m",
            ExpressionAttributeNames={"#m": index.partition_key.name},
            ExpressionAttributeValues={":m": {"N": str(marketplace_id)}},
        )
        return [str(item["tenant_id"]) for item in items]

    # -- writes ---------------------------------------------------------------------------------

    def put(
        self,
        tenant_id: str,
        marketplace_id: int,
        credentials: Mapping[str, str],
        account_key: str,
        now: datetime | None = None,
    ) -> None:
        """Store (or replace) the tenant's credentials for the marketplace, encrypted, with the
        account key's claim, in one transaction; the claim of a replaced key is released in it.

        Raises Conflict when the account key is another tenant's."""
        ciphertext = self.cipher.encrypt(
            json.dumps(dict(credentials), sort_keys=True), encryption_context(tenant_id, marketplace_id)
        )
        updated = (now or datetime.now(UTC)).isoformat()
        claim = account_claim(marketplace_id, account_key)
        client = self.table.client
        for attempt in range(_ATTEMPTS):
            previous = self._account_key_of(tenant_id, marketplace_id)
            item = {
                **self._key(tenant_id, marketplace_id),
                "ciphertext": {"B": ciphertext},
                MARKETPLACE_ACCOUNT_INDEX.partition_key.name: {
                    "S": _marketplace_account(marketplace_id, account_key)
                },
                "account_key": {"S": account_key},
                "updated": {"S": updated},
            }
            # The item changes only from the state just read, so the claims follow the item.
            if previous is None:
                item_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(tenant_id)"}
            else:
                item_condition = {
                    "ConditionExpression": "account_key = :previous",
                    "ExpressionAttributeValues": {":previous": {"S": previous}},
                }
            actions: list[dict[str, Any]] = [
                {
                    "Put": {
                        "TableName": self.claims.name,
                        "Item": {"claim": {"S": claim}, "tenant_id": {"S": tenant_id}},
                        "ConditionExpression": "attribute_not_exists(claim) OR tenant_id = :t",
                        "ExpressionAttributeValues": {":t": {"S": tenant_id}},
                    }
                },
                {"Put": {"TableName": self.table.name, "Item": item, **item_condition}},
            ]
            if previous is not None and previous != account_key:
                actions.append(
                    {
                        "Delete": {
                            "TableName": self.claims.name,
                            "Key": {"claim": {"S": account_claim(marketplace_id, previous)}},
                            "ConditionExpression": "tenant_id = :t",
                            "ExpressionAttributeValues": {":t": {"S": tenant_id}},
                        }
                    }
                )
            try:
                client.transact_write_items(TransactItems=actions)
                return
            except client.exceptions.TransactionCanceledException as exc:
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    raise Conflict(
                        f"this marketplace {marketplace_id} account is already connected to another "
                        "tenant; one marketplace account belongs to one tenant"
                    ) from None
                if attempt == _ATTEMPTS - 1:
                    raise

    # -- helpers --------------------------------------------------------------------------------

    def _account_key_of(self, tenant_id: str, marketplace_id: int) -> str | None:
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key=self._key(tenant_id, marketplace_id),
            ProjectionExpression="account_key",
            ConsistentRead=True,
        ).get("Item")
        return str(item["account_key"]["S"]) if item and "account_key" in item else None

    def _decrypt(self, item: Mapping[str, Any], tenant_id: str, marketplace_id: int) -> dict[str, str]:
        plaintext = self.cipher.decrypt(
            bytes(item["ciphertext"]["B"]), encryption_context(tenant_id, marketplace_id)
        )
        return {str(k): str(v) for k, v in json.loads(plaintext).items()}

    @staticmethod
    def _key(tenant_id: str, marketplace_id: int) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "marketplace_id": {"N": str(marketplace_id)}}
