"""Marketplace accounts: one item per account in the tenant's partition, plus a uniqueness claim.

Item shape (the repository's own; the domain model is `tixpilot.models.accounts.Account`):
`tenant_id`, `account_id` (N), `username` (as given), `tenant_username` (`<tenant>#<lower username>`,
the `by_username` index key), `marketplace_id` (N), `active`, `note`, `password_ciphertext` (B, KMS),
`error` (map), `created`, `updated`, and per POS flat attributes `pos_<pos>_customer_id`,
`pos_<pos>_creditcard_id`, `pos_<pos>_autopo`, `pos_<pos>_autopo_after`. Flat, so an update can SET
one POS field with a single UpdateItem whatever the item held before (a nested path would need
its parent map to exist).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from tixpilot.models.accounts import (
    Account,
    AccountChanges,
    AccountError,
    PosSettings,
    normalize_username,
)
from tixpilot.models.pos import POS_NAMES
from tixpilot.repositories.dynamo import Table, from_item, to_item, to_value

_POS_FIELDS = ("customer_id", "creditcard_id", "autopo", "autopo_after")


def account_claim(tenant_id: str, username: str, marketplace_id: int) -> str:
    """One account per tenant, username (case-insensitive) and buying marketplace."""
    return f"account#{tenant_id}#{normalize_username(username)}#{marketplace_id}"


def _tenant_username(tenant_id: str, username: str) -> str:
    return f"{tenant_id}#{normalize_username(username)}"


def _pos_attr(pos: str, name: str) -> str:
    return f"pos_{pos}_{name}"


def _row(account: Account, password_ciphertext: bytes | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "tenant_id": account.tenant_id,
        "account_id": account.account_id,
        "username": account.username,
        "tenant_username": _tenant_username(account.tenant_id, account.username),
        "marketplace_id": account.marketplace_id,
        "active": account.active,
        "note": account.note,
        "password_ciphertext": password_ciphertext,
        "error": account.error.model_dump(mode="json") if account.error else None,
        "created": account.created.isoformat(),
        "updated": account.updated.isoformat() if account.updated else None,
    }
    for pos, settings in account.pos.items():
        for name, value in settings.model_dump(mode="json").items():
            row[_pos_attr(pos, name)] = value
    return row


def _account(item: dict[str, Any]) -> Account:
    pos: dict[str, PosSettings] = {}
    for name in POS_NAMES:
        fields = {f: item[_pos_attr(name, f)] for f in _POS_FIELDS if _pos_attr(name, f) in item}
        if fields:
            pos[name] = PosSettings.model_validate(fields)
    return Account.model_validate(
        {
            "tenant_id": item["tenant_id"],
            "account_id": item["account_id"],
            "username": item["username"],
            "marketplace_id": item["marketplace_id"],
            "active": item.get("active", True),
            "note": item.get("note", ""),
            "has_password": "password_ciphertext" in item,
            "error": item.get("error"),
            "pos": pos,
            "created": item["created"],
            "updated": item.get("updated"),
        }
    )


class AccountRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("accounts", client)
        self.claims = Table("claims", client)

    def list(
        self, tenant_id: str, username: str | None = None, marketplace_id: int | None = None
    ) -> list[Account]:
        """The tenant's accounts: one Query on the partition, or on `by_username` when a username
        is given (then the marketplace goes into the key condition too). Ordered by account id."""
        if username is None:
            items = self.table.query_all(
                KeyConditionExpression="tenant_id = :t",
                ExpressionAttributeValues={":t": {"S": tenant_id}},
            )
            accounts = [_account(i) for i in items]
            if marketplace_id is not None:
                accounts = [a for a in accounts if a.marketplace_id == marketplace_id]
            return accounts
        condition = "tenant_username = :u"
        values: dict[str, Any] = {":u": {"S": _tenant_username(tenant_id, username)}}
        if marketplace_id is not None:
            condition += " AND marketplace_id = :m"
            values[":m"] = {"N": str(marketplace_id)}
        items = self.table.query_all(
            IndexName="by_username", KeyConditionExpression=condition, ExpressionAttributeValues=values
        )
        return sorted((_account(i) for i in items), key=lambda a: a.account_id)

    def find_by_username(self, tenant_id: str, username: str, marketplace_id: int = 1) -> Account | None:
        """The account a receipt was sent to (its recipient address), on one buying marketplace."""
        found = self.list(tenant_id, username, marketplace_id)
        return found[0] if found else None

    def get(self, tenant_id: str, account_id: int) -> Account | None:
        item = self.table.client.get_item(
            TableName=self.table.name, Key=self._key(tenant_id, account_id)
        ).get("Item")
        return _account(from_item(item)) if item else None

    def create_unique(self, account: Account, password_ciphertext: bytes | None) -> int | None:
        """Create the account and its claim in one transaction.

        None when created; the existing account's id when the tenant already has this username on
        this marketplace (nothing is written then).
        """
        client = self.table.client
        claim = account_claim(account.tenant_id, account.username, account.marketplace_id)
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.claims.name,
                            "Item": {"claim": {"S": claim}, "account_id": {"N": str(account.account_id)}},
                            "ConditionExpression": "attribute_not_exists(claim)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": to_item(_row(account, password_ciphertext)),
                            "ConditionExpression": "attribute_not_exists(account_id)",
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException:
            existing = client.get_item(
                TableName=self.claims.name, Key={"claim": {"S": claim}}, ConsistentRead=True
            ).get("Item")
            return int(existing["account_id"]["N"]) if existing else 0
        return None

    def update(
        self, tenant_id: str, account_id: int, changes: AccountChanges, now: datetime
    ) -> Account | None:
        """Apply a partial update with one conditional UpdateItem; None when the tenant has no
        such account (another tenant's id included: the key carries the tenant)."""
        sets = {"updated": now.isoformat()}
        values: dict[str, Any] = {}
        if changes.active is not None:
            values["active"] = changes.active
        if changes.note is not None:
            values["note"] = changes.note
        if changes.password_ciphertext is not None:
            values["password_ciphertext"] = changes.password_ciphertext
        for pos, pos_changes in changes.pos.items():
            for name, value in pos_changes.given().items():
                values[_pos_attr(pos, name)] = value.isoformat() if isinstance(value, date) else value
        values.update(sets)
        names = {f"#a{i}": attr for i, attr in enumerate(values)}
        client = self.table.client
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, account_id),
                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
                ConditionExpression="attribute_exists(account_id)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={f":v{i}": to_value(v) for i, v in enumerate(values.values())},
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return _account(from_item(response["Attributes"]))

    def set_error(self, tenant_id: str, account_id: int, error: AccountError | None) -> None:
        """Record (or clear, with None) the sign-in problem the crawl met; for the pipeline."""
        client = self.table.client
        key = self._key(tenant_id, account_id)
        if error is None:
            client.update_item(
                TableName=self.table.name,
                Key=key,
                UpdateExpression="REMOVE #e",
                ConditionExpression="attribute_exists(account_id)",
                ExpressionAttributeNames={"#e": "error"},
            )
            return
        client.update_item(
            TableName=self.table.name,
            Key=key,
            UpdateExpression="SET #e = :e",
            ConditionExpression="attribute_exists(account_id)",
            ExpressionAttributeNames={"#e": "error"},
            ExpressionAttributeValues={":e": to_value(error.model_dump(mode="json"))},
        )

    def password_ciphertext(self, tenant_id: str, account_id: int) -> bytes | None:
        """The stored KMS ciphertext of the account's password, for the crawl (never the API)."""
        item = self.table.client.get_item(
            TableName=self.table.name,
            Key=self._key(tenant_id, account_id),
            ProjectionExpression="password_ciphertext",
        ).get("Item")
        return bytes(item["password_ciphertext"]["B"]) if item and "password_ciphertext" in item else None

    @staticmethod
    def _key(tenant_id: str, account_id: int) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "account_id": {"N": str(account_id)}}
