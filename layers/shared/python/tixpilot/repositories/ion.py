"""Instant Notification's state per order and its two queues.

The per-order record lives in the sales table beside the order's sale, keyed
`ion#<marketplaceid>#<orderid>` (no index key attributes, so no sales query ever sees it):
`events` (a string set of the notifications handled), `cancelled`, `received_at`, and a lease
(`lease_owner`, `lease_until` in epoch seconds) that lets one worker at a time handle the
order. A worker that dies holding it blocks the order only until `lease_until`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from tixpilot import aws
from tixpilot.errors import Unavailable
from tixpilot.models.ion import IonOrder, IonTask, SaleMessage
from tixpilot.repositories.dynamo import Table, from_item
from tixpilot.settings import get_settings

MAX_DELAY_S = 900  # SQS's longest delay
SEND_BATCH = 10  # SendMessageBatch's limit


def record_key(marketplace_id: int, order_id: str) -> str:
    return f"ion#{marketplace_id}#{order_id}"


def _record(tenant_id: str, marketplace_id: int, order_id: str, item: dict[str, Any] | None) -> IonOrder:
    data = from_item(item) if item else {}
    received = data.get("received_at")
    return IonOrder(
        tenant_id=tenant_id,
        marketplace_id=marketplace_id,
        order_id=order_id,
        events=set(data.get("events") or ()),
        cancelled=bool(data.get("cancelled", False)),
        received_at=dt.datetime.fromisoformat(received) if received else None,
    )


class IonOrderRepository:
    def __init__(self, client: Any | None = None) -> None:
        self.table = Table("sales", client)

    def _key(self, tenant_id: str, marketplace_id: int, order_id: str) -> dict[str, Any]:
        return {"tenant_id": {"S": tenant_id}, "sale_key": {"S": record_key(marketplace_id, order_id)}}

    def get(self, tenant_id: str, marketplace_id: int, order_id: str) -> IonOrder | None:
        item = self.table.client.get_item(
            TableName=self.table.name, Key=self._key(tenant_id, marketplace_id, order_id), ConsistentRead=True
        ).get("Item")
        return _record(tenant_id, marketplace_id, order_id, item) if item else None

    def note_received(self, tenant_id: str, marketplace_id: int, order_id: str, at: dt.datetime) -> None:
        """Record when a notification of the order first arrived (kept: the first one counts)."""
        self.table.client.update_item(
            TableName=self.table.name,
            Key=self._key(tenant_id, marketplace_id, order_id),
            UpdateExpression="SET received_at = if_not_exists(received_at, :at)",
            ExpressionAttributeValues={":at": {"S": at.isoformat()}},
        )

    def lock(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        owner: str,
        now_s: int,
        lease_s: int,
        received_at: dt.datetime | None = None,
    ) -> IonOrder | None:
        """Take the order's lease (creating its record; `received_at`: when the notification being
        handled arrived, kept if an earlier one did) and answer the record; None while another
        worker holds an unexpired lease."""
        client = self.table.client
        values: dict[str, Any] = {}
        expression = "SET lease_owner = :o, lease_until = :u"
        if received_at is not None:
            expression += ", received_at = if_not_exists(received_at, :r)"
            values[":r"] = {"S": received_at.isoformat()}
        try:
            response = client.update_item(
                TableName=self.table.name,
                Key=self._key(tenant_id, marketplace_id, order_id),
                UpdateExpression=expression,
                ConditionExpression=(
                    "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :o"
                ),
                ExpressionAttributeValues={
                    ":o": {"S": owner},
                    ":u": {"N": str(now_s + lease_s)},
                    ":now": {"N": str(now_s)},
                    **values,
                },
                ReturnValues="ALL_NEW",
            )
        except client.exceptions.ConditionalCheckFailedException:
            return None
        return _record(tenant_id, marketplace_id, order_id, response["Attributes"])

    def unlock(
        self,
        tenant_id: str,
        marketplace_id: int,
        order_id: str,
        owner: str,
        *,
        handled: str | None = None,
        cancelled: bool = False,
    ) -> None:
        """Give the lease back, recording a handled notification (`dedupe_key`) and a cancellation.
        A lease that expired meanwhile (and may be someone else's now) is left alone; what was
        handled is recorded all the same."""
        sets, adds = [], []
        values: dict[str, Any] = {}
        if handled is not None:
            adds.append("events :e")
            values[":e"] = {"SS": [handled]}
        if cancelled:
            sets.append("cancelled = :c")
            values[":c"] = {"BOOL": True}
        changes = (f"SET {', '.join(sets)} " if sets else "") + (f"ADD {', '.join(adds)} " if adds else "")
        client = self.table.client
        key = self._key(tenant_id, marketplace_id, order_id)
        try:
            client.update_item(
                TableName=self.table.name,
                Key=key,
                UpdateExpression=changes + "REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :o",
                ExpressionAttributeValues={**values, ":o": {"S": owner}},
            )
        except client.exceptions.ConditionalCheckFailedException:
            if changes:
                client.update_item(
                    TableName=self.table.name,
                    Key=key,
                    UpdateExpression=changes.strip(),
                    ExpressionAttributeValues=values,
                )


class SqsQueue:
    """A queue of `infra.definitions` found by its name (one GetQueueUrl per container)."""

    def __init__(self, purpose: str, client: Any | None = None) -> None:
        self.name = get_settings().queue_name(purpose)
        self._client = client
        self._url = ""

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("sqs")
        return self._client

    @property
    def url(self) -> str:
        if not self._url:
            self._url = str(self.client.get_queue_url(QueueName=self.name)["QueueUrl"])
        return self._url

    def send(self, body: str, delay_s: int = 0) -> None:
        self.client.send_message(
            QueueUrl=self.url, MessageBody=body, DelaySeconds=max(0, min(MAX_DELAY_S, delay_s))
        )

    def retry_later(self, receipt_handle: str, delay_s: int) -> None:
        """Make a received message visible again after `delay_s` (it stays on the queue)."""
        self.client.change_message_visibility(
            QueueUrl=self.url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(MAX_DELAY_S, delay_s)),
        )


class IonSales(SqsQueue):
    """The `ion-sales` queue: sale notifications for the sales worker."""

    def __init__(self, client: Any | None = None) -> None:
        super().__init__("ion-sales", client)

    def put(self, message: SaleMessage) -> None:
        self.send(message.model_dump_json())

    def put_all(self, messages: Sequence[SaleMessage]) -> None:
        """Many messages, ten a call (the webhooks and the poller); Unavailable when SQS does not
        take them all, so a webhook answers 503 (the marketplace retries) and the poller leaves
        the orders unmarked (the next poll sends them again)."""
        from botocore.exceptions import BotoCoreError, ClientError

        for start in range(0, len(messages), SEND_BATCH):
            entries = [
                {"Id": str(n), "MessageBody": message.model_dump_json()}
                for n, message in enumerate(messages[start : start + SEND_BATCH])
            ]
            try:
                failed = self.client.send_message_batch(QueueUrl=self.url, Entries=entries).get("Failed")
            except (BotoCoreError, ClientError) as exc:
                raise Unavailable(f"the ION queue did not take the notifications ({exc}); try again") from exc
            if failed:
                codes = ", ".join(sorted({str(f.get("Code")) for f in failed}))
                raise Unavailable(f"the ION queue refused {len(failed)} notifications ({codes}); try again")


class IonTasks(SqsQueue):
    """The `ion-tasks` queue: tasks due now or later (delayed up to 15 minutes a hop)."""

    def __init__(self, client: Any | None = None) -> None:
        super().__init__("ion-tasks", client)

    def put(self, task: IonTask, now: dt.datetime) -> None:
        self.send(task.model_dump_json(), delay_s=int((task.due - now).total_seconds() + 0.999))
