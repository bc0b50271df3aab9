"""The fulfillment retry timer's state machine: ONE ASL file (fulfillment_timer.asl.json), a Wait
until the retry is due and an SQS SendMessage back to the fulfillment queue, rendered here for the
local stack (moto's interpreter runs it) and read by the CDK app with the same substitution.

Why a state machine: a retry may be due in a day; SQS delays a message 15 minutes at most, and a
Wait state waits up to a year at no cost while it waits, identically in moto and in AWS.
"""

from __future__ import annotations

from pathlib import Path

from infra.definitions.pipeline import render_asl

ASL_PATH = Path(__file__).with_name("fulfillment_timer.asl.json")
STATE_MACHINE_ID = "fulfillment-timer"
QUEUE_ID = "fulfillment"  # the queue it sends to (infra.definitions.tables.QUEUES)
QUEUE_URL = "FulfillmentQueueUrl"  # its one substitution


def render(queue_url: str) -> str:
    return render_asl(ASL_PATH.read_text(), {QUEUE_URL: queue_url})
