"""Step Functions: starting the purchase pipeline (one execution per run of a purchase), and the
fulfillment retry timer (one execution per scheduled retry).

A run's execution is named after tenant, rid and the run's generation (`p-<tenant>-<rid>-<n>`),
so starting the same run twice is a no-op (ExecutionAlreadyExists) and every later run has a
name of its own. Which generation runs, and that only one runs at a time, is decided on the
purchase (services.pipeline.start_run). The state machines' ARNs come from the settings
(TIXPILOT_PIPELINE_ARN, TIXPILOT_FULFILLMENT_TIMER_ARN, set by the CDK app and the local stack);
without the pipeline's nothing is started (the purchase is only stored).
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
from tixpilot.observability import logger
from tixpilot.settings import FULFILLMENT_TIMER_ARN, PIPELINE_ARN, get_settings


def execution_name(tenant_id: str, rid: int, generation: int) -> str:
    """`p-<tenant>-<rid>-<generation>`: at most 80 characters of [A-Za-z0-9_-]."""
    tenant = re.sub(r"[^A-Za-z0-9_-]", "_", tenant_id)[:50]
    return f"p-{tenant}-{rid}-{generation}"


def execution_arn(state_machine_arn: str, name: str) -> str:
    return state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + name


class StepFunctionsPipeline:
    def __init__(self, client: Any | None = None, arn: str | None = None) -> None:
        self._client = client
        self._arn = arn

    @property
    def arn(self) -> str | None:
        return self._arn or get_settings().pipeline_arn or None

    @property
    def client(self) -> Any:
        return self._client or aws.client("stepfunctions")

    def start_execution(self, tenant_id: str, rid: int, generation: int) -> bool:
        """Start run `generation` of the purchase; False when it exists already or no pipeline is
        configured (nothing done)."""
        arn = self.arn
        if not arn:
            logger.warning("no purchase pipeline configured", extra={"variable": PIPELINE_ARN})
            return False
        client = self.client
        try:
            client.start_execution(
                stateMachineArn=arn,
                name=execution_name(tenant_id, rid, generation),
                input=json.dumps(execution_input(tenant_id, rid, generation)),
            )
        except client.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def running(self, tenant_id: str, rid: int, generation: int) -> bool:
        """Whether run `generation`'s execution is still running (one DescribeExecution). An
        execution that ended without releasing its run (aborted, timed out, lost with a local
        stack's emulator) is not."""
        arn = self.arn
        if not arn:
            return False
        client = self.client
        try:
            described = client.describe_execution(
                executionArn=execution_arn(arn, execution_name(tenant_id, rid, generation))
            )
        except client.exceptions.ExecutionDoesNotExist:
            return False
        return bool(described["status"] == "RUNNING")


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


class TaskCallbacks:
    """Ends a callback task (`.waitForTaskToken`) of an execution with its output or an error."""

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws.client("stepfunctions")

    def succeed(self, token: str, output: dict[str, Any]) -> None:
        self.client.send_task_success(taskToken=token, output=json.dumps(output, default=str))

    def fail(self, token: str, error: str, cause: str) -> None:
        self.client.send_task_failure(taskToken=token, error=error[:256], cause=cause[:32768])
