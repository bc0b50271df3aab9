"""Step Functions: starting the purchase pipeline (one execution per purchase), and the
fulfillment retry timer (one execution per scheduled retry).

A pipeline execution's name is derived from tenant and rid, so a second start for the same
purchase is a no-op (ExecutionAlreadyExists, or the running execution itself for the same input).
The state machines' ARNs come from the settings (TIXPILOT_PIPELINE_ARN,
TIXPILOT_FULFILLMENT_TIMER_ARN, set by the CDK app and the local stack); without the pipeline's
nothing is started (the purchase is only stored).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any

from tixpilot import aws
from tixpilot.models.fulfillment import FulfillmentMessage
from tixpilot.models.pipeline import execution_input
from tixpilot.models.purchases import Purchase
from tixpilot.observability import logger
from tixpilot.settings import FULFILLMENT_TIMER_ARN, PIPELINE_ARN, get_settings


def execution_name(tenant_id: str, rid: int) -> str:
    """`p-<tenant>-<rid>`: at most 80 characters of [A-Za-z0-9_-]."""
    tenant = re.sub(r"[^A-Za-z0-9_-]", "_", tenant_id)[:60]
    return f"p-{tenant}-{rid}"


class StepFunctionsPipeline:
    def __init__(self, client: Any | None = None, arn: str | None = None) -> None:
        self._client = client
        self._arn = arn

    @property
    def arn(self) -> str | None:
        return self._arn or get_settings().pipeline_arn or None

    def start_execution(self, tenant_id: str, rid: int) -> bool:
        """Start the purchase's execution; False when it already has one (nothing done)."""
        arn = self.arn
        if not arn:
            logger.warning("no purchase pipeline configured", extra={"variable": PIPELINE_ARN})
            return False
        client = self._client or aws.client("stepfunctions")
        try:
            client.start_execution(
                stateMachineArn=arn,
                name=execution_name(tenant_id, rid),
                input=json.dumps(execution_input(tenant_id, rid)),
            )
        except client.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def start(self, purchase: Purchase, created: bool) -> None:
        """intake's PipelineStarter: every recorded purchase gets its execution (once)."""
        self.start_execution(purchase.tenant_id, purchase.rid)


def timer_input(message: FulfillmentMessage, due: dt.datetime) -> dict[str, Any]:
    """The timer execution's input: when (`due`, UTC, whole seconds rounded up, the form a Wait
    state's TimestampPath reads) and the message to queue then."""
    utc = due.astimezone(dt.UTC)
    if utc.microsecond:
        utc = utc.replace(microsecond=0) + dt.timedelta(seconds=1)
    return {"due": utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "message": message.model_dump(mode="json")}


class FulfillmentTimer:
    """The fulfillment retry timer: each scheduled retry is one execution of the timer state
    machine, which waits until `due` (a Wait state) and puts the message back on the fulfillment
    queue. Named after the message's schedule token, so scheduling the same retry twice starts it
    once."""

    def __init__(self, client: Any | None = None, arn: str | None = None) -> None:
        self._client = client
        self._arn = arn

    @property
    def arn(self) -> str:
        arn = self._arn or get_settings().fulfillment_timer_arn
        if not arn:
            raise RuntimeError(f"no fulfillment timer state machine is configured ({FULFILLMENT_TIMER_ARN})")
        return arn

    def schedule(self, message: FulfillmentMessage, due: dt.datetime) -> None:
        token = re.sub(r"[^A-Za-z0-9_-]", "_", message.schedule or "")[:70]
        if not token:
            raise ValueError("a scheduled retry carries its schedule token")
        client = self._client or aws.client("stepfunctions")
        with contextlib.suppress(client.exceptions.ExecutionAlreadyExists):  # scheduled already
            client.start_execution(
                stateMachineArn=self.arn, name=f"f-{token}", input=json.dumps(timer_input(message, due))
            )
