"""The state machines in the local stack: moto's Step Functions interpreter runs the real ASL of
the purchase pipeline (infra/definitions/purchase_pipeline.asl.json), its Lambda tasks dispatched
in-process and its Recrawl task's message sent to the emulator's queue, and of the fulfillment
retry timer (infra/definitions/fulfillment_timer.asl.json), whose SQS task does the same.

moto's parser-based interpreter (`execute_state_machine`) invokes a Lambda task through a boto3
"lambda" client it makes itself (moto.stepfunctions.parser.asl.utils.boto_client.boto_client_for,
imported into lambda_eval_utils). We replace that client with one whose `invoke` calls our
handler for the function named in the ARN (`tixpilot-<env>-<function id>`) via LocalLambdas,
and reports a raised exception as Lambda does (FunctionError + errorType/errorMessage), so
Retry/Catch on error names behave as in AWS. No function needs registering with moto's Lambda.
The SQS task's client (the same helper, imported into the SQS task's module) would address moto on
its own default port; ours points at this stack's emulator (AWS_ENDPOINT_URL).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import traceback
from typing import Any

from infra.definitions import fulfillment_timer
from infra.definitions.functions import FUNCTIONS
from infra.definitions.pipeline import STATE_MACHINE_ID, function_arns, queue_urls, render
from infra.local.lambdas import LocalLambdas
from tixpilot.settings import FULFILLMENT_TIMER_ARN, PIPELINE_ARN, Settings, get_settings

ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/tixpilot-local-pipeline"


def function_arn(settings: Settings, function_id: str) -> str:
    return f"arn:aws:lambda:{settings.region}:{ACCOUNT}:function:tixpilot-{settings.env}-{function_id}"


def state_machine_name(settings: Settings) -> str:
    return f"tixpilot-{settings.env}-{STATE_MACHINE_ID}"


class InProcessLambdaClient:
    """The `invoke` of a boto3 Lambda client, served by our handlers in this process."""

    def __init__(self, lambdas: LocalLambdas) -> None:
        self.lambdas = lambdas

    def invoke(self, FunctionName: str, Payload: bytes | str | None = None, **_: Any) -> dict[str, Any]:
        name = FunctionName.rsplit(":", 1)[-1]
        function_id = next((fid for fid in FUNCTIONS if name.endswith(f"-{fid}") or name == fid), None)
        if function_id is None:
            body = {"errorType": "ResourceNotFoundException", "errorMessage": f"no function {name}"}
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(body).encode()),
            }
        event = json.loads(Payload or b"{}")
        try:
            result = self.lambdas.invoke(function_id, event)
        except Exception as exc:  # reported to the state machine as Lambda reports it
            error: dict[str, Any] = {
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-3:],
            }
            return {
                "StatusCode": 200,
                "FunctionError": "Unhandled",
                "Payload": io.BytesIO(json.dumps(error).encode()),
            }
        return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(result, default=str).encode())}


_installed: dict[str, Any] = {}


def install_interpreter(lambdas: LocalLambdas) -> None:
    """Make moto's Step Functions execute state machines, with Lambda tasks run in-process and SQS
    tasks sent to the emulator."""
    from moto.core.config import default_user_config
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_sqs,
    )

    from tixpilot import aws

    default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True
    client = InProcessLambdaClient(lambdas)
    _installed["client"] = client

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        if service == "lambda":
            return client
        if service == "sqs":
            return aws.client("sqs")
        raise NotImplementedError(f"the local state machines run Lambda and SQS tasks only, not {service}")

    lambda_eval_utils.boto_client_for = boto_client_for
    state_task_service_sqs.boto_client_for = boto_client_for


def _ensure(sfn: Any, name: str, definition: str, variable: str) -> str:
    """Create (or update to the current definition) a state machine; its ARN, also put into
    `variable` for the handlers in this process."""
    existing = next(
        (m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"] if m["name"] == name), None
    )
    if existing:
        sfn.update_state_machine(stateMachineArn=existing, definition=definition)
        arn = existing
    else:
        arn = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE_ARN)["stateMachineArn"]
    os.environ[variable] = arn
    get_settings.cache_clear()  # the settings are read once; this process's handlers read them again
    return str(arn)


def queue_url(settings: Settings, queue_id: str) -> str:
    from tixpilot import aws

    return str(aws.client("sqs").get_queue_url(QueueName=settings.queue_name(queue_id))["QueueUrl"])


def ensure_state_machine(settings: Settings, sfn: Any) -> str:
    """The pipeline's state machine (TIXPILOT_PIPELINE_ARN)."""
    definition = render(
        function_arns(lambda fid: function_arn(settings, fid)) | queue_urls(lambda q: queue_url(settings, q))
    )
    return _ensure(sfn, state_machine_name(settings), definition, PIPELINE_ARN)


def ensure_fulfillment_timer(settings: Settings, sfn: Any, sqs: Any) -> str:
    """The fulfillment retry timer's state machine (TIXPILOT_FULFILLMENT_TIMER_ARN), sending to
    this stack's fulfillment queue."""
    queue = sqs.get_queue_url(QueueName=settings.queue_name(fulfillment_timer.QUEUE_ID))["QueueUrl"]
    name = f"tixpilot-{settings.env}-{fulfillment_timer.STATE_MACHINE_ID}"
    return _ensure(sfn, name, fulfillment_timer.render(queue), FULFILLMENT_TIMER_ARN)


def start_local_pipeline(settings: Settings, sfn: Any, lambdas: LocalLambdas) -> str:
    install_interpreter(lambdas)
    return ensure_state_machine(settings, sfn)


def start_local_timer(settings: Settings, sfn: Any, sqs: Any, lambdas: LocalLambdas) -> str:
    install_interpreter(lambdas)
    return ensure_fulfillment_timer(settings, sfn, sqs)


def resume_unfinished(settings: Settings, dynamodb: Any) -> int:
    """After a restart from TIXPILOT_STATE_DIR: moto's executions are not part of the snapshot, so
    every purchase whose run was going (or that was waiting) runs again: its run is marked
    active but its execution no longer exists, so start_run takes it over with the next
    generation. AWS keeps executions; this is the local stack only, and a Scan at start-up, never
    on a request path. Returns how many runs were started."""
    from tixpilot.services.pipeline import start_run
    from tixpilot.wiring.pipeline import pipeline_runs

    runs = pipeline_runs()
    started = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=settings.table_name("purchases"),
        ProjectionExpression="tenant_id, rid, doc",
        FilterExpression="contains(doc, :active) OR contains(doc, :waiting)",
        ExpressionAttributeValues={
            ":active": {"S": '"run_active":true'},
            ":waiting": {"S": '"pipeline_state":"waiting"'},
        },
    )
    for page in pages:
        for item in page.get("Items", []):
            tenant_id, rid = item["tenant_id"]["S"], int(item["rid"]["N"])
            # nothing was starting an execution across the restart: no grace for the claim
            started += start_run(runs.purchases, runs.executions, tenant_id, rid, start_grace_s=0) is not None
    return started


def resume_fulfillment(settings: Settings, dynamodb: Any) -> int:
    """After a restart from TIXPILOT_STATE_DIR: the retry timers were moto executions, not in the
    snapshot, so every sale with a retry scheduled gets its timer again, due when it was (at once
    if that has passed). A Scan at start-up, local stack only. Returns how many."""
    from tixpilot.adapters.stepfunctions import FulfillmentTimer
    from tixpilot.models.fulfillment import FulfillmentMessage
    from tixpilot.repositories.dynamo import from_item

    timer = FulfillmentTimer()
    resumed = 0
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=settings.table_name("sales"),
        ProjectionExpression="tenant_id, marketplace_id, order_id, fulfillment",
        FilterExpression="attribute_exists(fulfillment.#s)",
        ExpressionAttributeNames={"#s": "schedule"},
    )
    for page in pages:
        for item in page.get("Items", []):
            sale = from_item(item)
            state = sale["fulfillment"]
            message = FulfillmentMessage(
                tenant_id=sale["tenant_id"],
                marketplace_id=int(sale["marketplace_id"]),
                order_id=str(sale["order_id"]),
                schedule=state["schedule"],
            )
            timer.schedule(message, dt.datetime.fromisoformat(state["next_at"]))
            resumed += 1
    return resumed
