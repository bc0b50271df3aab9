"""The ION intake queue (SQS): where every sale notification waits for the worker.

The queue's URL is looked up once by name (`Settings.queue_name("ion-sales")`), the same rule
the CDK app names it by. A send that SQS does not take raises `Unavailable`, so a webhook
answers 503 (the marketplace retries) and the poller leaves the orders unmarked (the next poll
sends them again).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tixpilot import aws
from tixpilot.errors import Unavailable
from tixpilot.models.ion_queue import ION_QUEUE, IonSaleMessage
from tixpilot.models.marketplaces import SaleNotification
from tixpilot.settings import get_settings

BATCH = 10  # SendMessageBatch's limit


class IonSalesQueue:
    def __init__(self, client: Any | None = None) -> None:
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
            name = get_settings().queue_name(ION_QUEUE)
            self._url = str(self.client.get_queue_url(QueueName=name)["QueueUrl"])
        return self._url

    def send(self, tenant_id: str, notifications: Sequence[SaleNotification]) -> None:
        """One message per notification, in batches; Unavailable if any is not taken."""
        from botocore.exceptions import BotoCoreError, ClientError

        for start in range(0, len(notifications), BATCH):
            entries = [
                {
                    "Id": str(n),
                    "MessageBody": IonSaleMessage(
                        tenant_id=tenant_id, notification=notification
                    ).model_dump_json(),
                }
                for n, notification in enumerate(notifications[start : start + BATCH])
            ]
            try:
                url = self.url
                response = self.client.send_message_batch(QueueUrl=url, Entries=entries)
            except (BotoCoreError, ClientError) as exc:
                raise Unavailable(f"the ION queue did not take the notifications ({exc}); try again") from exc
            failed = response.get("Failed") or []
            if failed:
                reasons = ", ".join(sorted({str(f.get("Code")) for f in failed}))
                raise Unavailable(f"the ION queue refused {len(failed)} notifications ({reasons}); try again")
