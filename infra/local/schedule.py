"""What EventBridge schedules do in AWS, done by a thread: invoke a function every few seconds."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from infra.local.lambdas import LocalLambdas
from tixpilot.observability import logger


def scheduled_event(function_id: str) -> dict[str, Any]:
    """An EventBridge scheduled event, as a rule's Lambda target receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:123456789012:rule/tixpilot-local-{function_id}"],
        "detail": {},
    }


def start_schedule(
    lambdas: LocalLambdas, function_id: str, every_s: float, stop: threading.Event
) -> threading.Thread:
    """Invoke the function now and then every `every_s` seconds until `stop` is set; a failed run
    is logged and the next one goes ahead, as with a schedule that does not retry."""

    def loop() -> None:
        while not stop.is_set():
            try:
                lambdas.invoke(function_id, scheduled_event(function_id))
            except Exception:
                logger.exception("scheduled run failed", extra={"function": function_id})
            stop.wait(every_s)

    thread = threading.Thread(target=loop, name=f"schedule-{function_id}", daemon=True)
    thread.start()
    return thread
