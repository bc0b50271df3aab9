"""The queue workers in the local stack: each function that `consumes` a queue gets it from moto
in this process, as Lambda's SQS event source mapping does in AWS.

A poller per queue receives batches of up to 10 (long polling), invokes the function's handler
in-process with an SQS event of the same shape, then deletes the messages the handler did not
report in `batchItemFailures`; those stay on the queue, visible again when their visibility
timeout (or the one the handler set) runs out. moto moves a message received more often than the
queue's maxReceiveCount to its dead-letter queue, as SQS does.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from infra.definitions.functions import FUNCTIONS
from infra.local.lambdas import LocalLambdas
from tixpilot.observability import logger
from tixpilot.settings import Settings

BATCH_SIZE = 10
WAIT_S = 1  # long polling: an idle poller asks moto once a second


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS integration sends for a batch of received messages."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


@dataclass
class QueuePoller:
    lambdas: LocalLambdas
    function_id: str
    queue_url: str
    queue_arn: str
    region: str
    sqs: Any
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.poll_once()
            except Exception:  # the emulator going away at shutdown, or a bug: keep polling
                if not self.stop.is_set():
                    logger.exception("local queue poller failed", extra={"queue": self.queue_url})
                    self.stop.wait(1)

    def poll_once(self) -> int:
        """One receive and its batch; how many messages came."""
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=WAIT_S,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            result = self.lambdas.invoke(self.function_id, sqs_event(messages, self.queue_arn, self.region))
        except Exception:  # the whole batch failed: every message comes back after its timeout
            logger.exception("queue worker failed", extra={"function": self.function_id})
            return len(messages)
        failed = {f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)


class LocalQueueWorkers:
    """Starts `pollers_per_queue` pollers for each queue a function consumes (Lambda polls a
    queue with several concurrent batches too)."""

    def __init__(
        self, settings: Settings, lambdas: LocalLambdas, sqs: Any, pollers_per_queue: int = 2
    ) -> None:
        self.pollers: list[QueuePoller] = []
        self.threads: list[threading.Thread] = []
        for function in FUNCTIONS.values():
            for queue_id in function.consumes:
                url = sqs.get_queue_url(QueueName=settings.queue_name(queue_id))["QueueUrl"]
                arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                    "QueueArn"
                ]
                for _ in range(pollers_per_queue):
                    self.pollers.append(QueuePoller(lambdas, function.id, url, arn, settings.region, sqs))

    def start(self) -> LocalQueueWorkers:
        for poller in self.pollers:
            thread = threading.Thread(target=poller.run, daemon=True, name=f"queue-{poller.function_id}")
            thread.start()
            self.threads.append(thread)
        return self

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop.set()
        for thread in self.threads:
            thread.join(timeout=WAIT_S + 5)
