"""Fulfillment in AWS: the worker consumes the fulfillment queue (partial batch failures, a DLQ,
an alarm on the oldest message's age), the retry timer is the very ASL file the local stack runs,
sending to that queue and nothing else, and only the worker may start it."""

from __future__ import annotations

import pytest

from infra.definitions import fulfillment_timer
from infra.definitions.tables import QUEUES
from tests.infra.test_pipeline import state_machine, uploaded_definition

pytestmark = pytest.mark.infra


def test_the_timer_is_the_asl_file_the_local_stack_runs(synthesized):
    _, props = state_machine(synthesized, fulfillment_timer.STATE_MACHINE_ID)
    assert uploaded_definition(synthesized, props) == fulfillment_timer.ASL_PATH.read_bytes()


def test_the_timer_sends_to_the_fulfillment_queue_only(synthesized):
    template, props = state_machine(synthesized, fulfillment_timer.STATE_MACHINE_ID)
    env = synthesized.env
    url = template.render(props["DefinitionSubstitutions"][fulfillment_timer.QUEUE_URL])
    assert url == (
        f"https://sqs.{synthesized.config.region}.${{AWS::URLSuffix}}/{synthesized.account}/tixpilot-{env}-fulfillment"
    )
    role_id = template.referenced_id(props["RoleArn"])
    statements = [
        s
        for policy in template.of_type("AWS::IAM::Policy").values()
        if any(template.referenced_id(r) == role_id for r in policy["Properties"]["Roles"])
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    sqs = [s for s in statements if str(s["Action"]).startswith("sqs")]
    assert [(s["Action"], template.render(s["Resource"])) for s in sqs] == [
        (
            "sqs:SendMessage",
            f"arn:aws:sqs:{synthesized.config.region}:{synthesized.account}:tixpilot-{env}-fulfillment",
        )
    ]
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"


def test_the_worker_starts_the_timer_and_knows_its_arn(synthesized):
    _, _, function = synthesized.function("fulfillment_worker")
    variables = function["Properties"]["Environment"]["Variables"]
    template = next(iter(t for t in synthesized.templates.values() if "Intake" in t.stack_name))
    assert template.render(variables["TIXPILOT_FULFILLMENT_TIMER_ARN"]).endswith(
        f":stateMachine:tixpilot-{synthesized.env}-fulfillment-timer"
    )


def test_the_fulfillment_queue_parks_what_keeps_failing(synthesized):
    data = synthesized.stack("Data")
    env = synthesized.env
    _, queue = data.one("AWS::SQS::Queue", QueueName=f"tixpilot-{env}-fulfillment")
    redrive = queue["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == QUEUES["fulfillment"].max_receive_count
    dlq = data.resources[data.referenced_id(redrive["deadLetterTargetArn"])]
    assert dlq["Properties"]["QueueName"] == f"tixpilot-{env}-fulfillment-dlq"
    assert queue["Properties"]["VisibilityTimeout"] >= 6 * 60  # six times the worker's timeout
