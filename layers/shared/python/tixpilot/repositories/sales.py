"""Sales, keyed by tenant and `<marketplaceid>#<orderid>`; and the fulfillment queue.

Indexes: `by_event_date` (tenant, event start `yyyy-mm-ddTHH:MM:SS` local) serves date windows,
`by_order` (`<tenant>#<orderid>`) serves an order id given without its marketplace.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from tixpilot import aws
from tixpilot.models.sales import CreateOutcome, Sale, Step, StepResult
from tixpilot.repositories.dynamo import Table, from_item, side_by_side, to_item, to_value
from tixpilot.settings import get_settings

_BATCH_GET = 100  # BatchGetItem's limit


def sale_key(marketplace_id: int, order_id: str) -> str:
    return f"{marketplace_id}#{order_id}"


def order_key(tenant_id: str, order_id: str) -> str:
    return f"{tenant_id}#{order_id}"


_DERIVED = ("sale_key", "event_date_key", "tenant_order")


def _row(sale: Sale) -> dict[str, Any]:
    return {
        **sale.model_dump(mode="json"),
        "sale_key": sale_key(sale.marketplace_id, sale.order_id),
        "event_date_key": sale.event.starts_at.isoformat(timespec="seconds"),
        "tenant_order": order_key(sale.tenant_id, sale.order_id),
    }


def _sale(item: dict[str, Any]) -> Sale:
    return Sale.model_validate({k: v for k, v in item.items() if k not in _DERIVED})


class SaleRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("sales", client)
        self.tokens = Table("tokens", client)

    def _key(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "sale_key": {"S": sale_key(marketplace_id, order_id)}}

    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> Sale | None:
        item = self.table.client.get_item(
            TableName=self.table.name, Key=self._key(tenant_id, marketplace_id, order_id)
        ).get("Item")
        return _sale(from_item(item)) if item else None

    def find_by_order(self, tenant_id: str, order_id: str) -> list[Sale]:
        """The tenant's sales with this order id, on any marketplace (Query on by_order)."""
        return [
            _sale(item)
            for item in self.table.query_all(
                IndexName="by_order",
                KeyConditionExpression="tenant_order = :k",
                ExpressionAttributeValues={":k": {"S": order_key(tenant_id, order_id)}},
            )
        ]

    def in_window(self, tenant_id: str, start: dt.date, end: dt.date) -> list[Sale]:
        """The tenant's sales whose event starts from `start` to `end` (local dates, included)."""
        return [
            _sale(item)
            for item in self.table.query_all(
                IndexName="by_event_date",
                KeyConditionExpression="tenant_id = :t AND event_date_key BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":t": {"S": tenant_id},
                    ":a": {"S": start.isoformat()},
                    ":b": {"S": f"{end.isoformat()}~"},  # '~' sorts after any time of that day
                },
            )
        ]

    def get_many(self, tenant_id: str, keys: Sequence[tuple[int, str]]) -> list[Sale]:
        """The tenant's sales among (marketplace id, order id) keys: BatchGetItem calls of up to
        100 keys, side by side, each retrying what DynamoDB leaves unprocessed."""
        found: list[Sale] = []
        lock = threading.Lock()

        def read(chunk: Sequence[tuple[int, str]]) -> None:
            wanted = [self._key(tenant_id, marketplace_id, order_id) for marketplace_id, order_id in chunk]
            pending: dict[str, Any] = {self.table.name: {"Keys": wanted}}
            while pending:
                response = self.table.client.batch_get_item(RequestItems=pending)
                sales = [_sale(from_item(i)) for i in response.get("Responses", {}).get(self.table.name, [])]
                with lock:
                    found.extend(sales)
                pending = response.get("UnprocessedKeys") or {}

        chunks = [keys[i : i + _BATCH_GET] for i in range(0, len(keys), _BATCH_GET)]
        side_by_side([partial(read, chunk) for chunk in chunks])
        return found

    def find_by_orders(self, tenant_id: str, order_ids: Sequence[str]) -> list[Sale]:
        """The tenant's sales with any of these order ids, on any marketplace: one Query on
        by_order per id, side by side."""
        found: list[Sale] = []
        lock = threading.Lock()

        def read(order_id: str) -> None:
            sales = self.find_by_order(tenant_id, order_id)
            with lock:
                found.extend(sales)

        side_by_side([partial(read, order_id) for order_id in order_ids])
        return found

    def window_page(
        self, tenant_id: str, start: dt.date, end: dt.date, limit: int, after: tuple[str, str] | None
    ) -> tuple[list[Sale], tuple[str, str] | None]:
        """Up to `limit` of the tenant's sales whose event is from `start` to `end`, by event
        date, after the position `after` ((event_date_key, sale_key) of the last one read);
        with the position of the last one read when there may be more."""
        request: dict[str, Any] = {
            "TableName": self.table.name,
            "IndexName": "by_event_date",
            "KeyConditionExpression": "tenant_id = :t AND event_date_key BETWEEN :a AND :b",
            "ExpressionAttributeValues": {
                ":t": {"S": tenant_id},
                ":a": {"S": start.isoformat()},
                ":b": {"S": f"{end.isoformat()}~"},
            },
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = {
                "tenant_id": {"S": tenant_id},
                "event_date_key": {"S": after[0]},
                "sale_key": {"S": after[1]},
            }
        response = self.table.client.query(**request)
        last = response.get("LastEvaluatedKey")
        position = (last["event_date_key"]["S"], last["sale_key"]["S"]) if last else None
        return [_sale(from_item(i)) for i in response.get("Items", [])], position

    def create(self, sale: Sale, credential_hash: str | None) -> CreateOutcome:
        """Create a sale if its order is new and its credential is this tenant's key for its
        marketplace, in one transaction: "created", "exists" (the order is already recorded) or
        "credential" (the key is not a marketplace key of that marketplace). `credential_hash`
        None: the sale came through a channel authenticated otherwise (a native marketplace's
        signed webhook or its polled API), so there is no key to check."""
        client = self.table.client
        if credential_hash is None:
            try:
                client.put_item(
                    TableName=self.table.name,
                    Item=to_item(_row(sale)),
                    ConditionExpression="attribute_not_exists(sale_key)",
                )
            except client.exceptions.ConditionalCheckFailedException:
                return "exists"
            return "created"
        try:
            client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self.tokens.name,
                            "Key": {"token_hash": {"S": credential_hash}},
                            "ConditionExpression": "tenant_id = :t AND kind = :k AND marketplace_id = :m",
                            "ExpressionAttributeValues": {
                                ":t": {"S": sale.tenant_id},
                                ":k": {"S": "marketplace"},
                                ":m": {"N": str(sale.marketplace_id)},
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": to_item(_row(sale)),
                            "ConditionExpression": "attribute_not_exists(sale_key)",
                        }
                    },
                ]
            )
        except client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return "credential"
            if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
                return "exists"
            raise
        return "created"

    def record_steps(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        steps: dict[Step, StepResult],
        *,
        fulfilled: bool | None = None,
    ) -> Sale | None:
        """Set processing steps (and the fulfilled flag) of an existing sale; None if there is none."""
        return self.update(
            tenant_id,
            marketplace_id,
            order_id,
            steps=steps,
            sets={} if fulfilled is None else {"fulfilled": fulfilled},
        )

    def update(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        *,
        steps: Mapping[Step, StepResult] | None = None,
        sets: Mapping[str, Any] | None = None,
        require: Mapping[str, Any] | None = None,
        removes: tuple[str, ...] = (),
    ) -> Sale | None:
        """Change an existing sale in one conditional UpdateItem and answer it as it is now:
        `steps` set processing steps, `sets` other attributes (dotted paths, e.g. `hold.removed_at`;
        None removes one), `removes` more paths to remove, `require` attribute values it must have
        (None: must be absent). None when there is no such sale or a requirement does not hold."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def path(dotted: str) -> str:
            parts = []
            for part in dotted.split("."):
                alias = f"#n{len(names)}"
                names[alias] = part
                parts.append(alias)
            return ".".join(parts)

        def value(data: Any) -> str:
            alias = f":v{len(values)}"
            values[alias] = to_value(data)
            return alias

        changes: dict[str, Any] = {
            **{f"processing.{name}": step.model_dump(mode="json") for name, step in (steps or {}).items()},
            **{k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in (sets or {}).items()},
        }
        stamps = [step.at for step in (steps or {}).values()]
        if "updated" not in changes:
            changes["updated"] = max(stamps).isoformat() if stamps else dt.datetime.now(dt.UTC).isoformat()
        gone = [*removes, *(name for name, data in changes.items() if data is None)]
        clauses = [f"{path(name)} = {value(data)}" for name, data in changes.items() if data is not None]
        conditions = ["attribute_exists(sale_key)"]
        for name, expected in (require or {}).items():
            if expected is None:
                conditions.append(f"attribute_not_exists({path(name)})")
            else:
                conditions.append(f"{path(name)} = {value(expected)}")
        client = self.table.client
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, marketplace_id, order_id),
                UpdateExpression="SET "
                + ", ".join(clauses)
                + (" REMOVE " + ", ".join(path(name) for name in gone) if gone else ""),
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return _sale(from_item(response["Attributes"]))


class FulfillmentQueue:
    """The SQS queue the fulfillment function reads. Its URL comes from the settings in AWS
    (`TIXPILOT_FULFILLMENT_QUEUE_URL`, set by CDK); locally it is looked up once by name."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client
        self._url = get_settings().fulfillment_queue_url

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("sqs")
        return self._client

    @property
    def url(self) -> str:
        if not self._url:
            name = get_settings().queue_name("fulfillment")
            self._url = str(self.client.get_queue_url(QueueName=name)["QueueUrl"])
        return self._url

    def send(self, tenant_id: str, marketplace_id: int, order_id: str) -> None:
        body = {"tenant_id": tenant_id, "marketplace_id": marketplace_id, "order_id": order_id}
        self.client.send_message(QueueUrl=self.url, MessageBody=json.dumps(body, sort_keys=True))
