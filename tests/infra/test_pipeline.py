"""The deployed state machine is the very ASL file the local stack runs, wired to the right
functions, with logging, X-Ray and an alarm on failed executions."""

from __future__ import annotations

import json

import pytest

from infra.definitions.pipeline import ASL_PATH, STATE_MACHINE_ID, TASK_FUNCTIONS, TASK_QUEUES, placeholders

pytestmark = pytest.mark.infra


def state_machine(synthesized, machine_id: str = STATE_MACHINE_ID):
    """(template, properties) of the state machine `tixpilot-<env>-<machine_id>`."""
    name = f"tixpilot-{synthesized.env}-{machine_id}"
    for template in synthesized.templates.values():
        for resource in template.of_type("AWS::StepFunctions::StateMachine").values():
            if resource["Properties"]["StateMachineName"] == name:
                return template, resource["Properties"]
    raise AssertionError(f"no state machine {name} in the app")


def uploaded_definition(synthesized, props) -> bytes:
    location = props["DefinitionS3Location"]
    key = location["Key"] if isinstance(location["Key"], str) else str(location["Key"])
    asset_hash = key.split(".")[0].split("/")[-1]
    uploaded = [p for p in synthesized.outdir.glob(f"asset.{asset_hash}*") if p.is_file()]
    assert uploaded, f"no asset {asset_hash} in {synthesized.outdir}"
    return uploaded[0].read_bytes()


def test_the_definition_is_the_asl_file_the_local_stack_runs(synthesized):
    _, props = state_machine(synthesized)
    assert uploaded_definition(synthesized, props) == ASL_PATH.read_bytes()


def test_every_placeholder_is_the_arn_of_its_pipeline_function(synthesized):
    template, props = state_machine(synthesized)
    substitutions = props["DefinitionSubstitutions"]
    assert set(substitutions) == placeholders() == set(TASK_FUNCTIONS) | set(TASK_QUEUES)
    for name, queue_id in TASK_QUEUES.items():  # the queue's URL, by its name in this environment
        assert f"/tixpilot-{synthesized.env}-{queue_id}" in json.dumps(substitutions[name])
    for name, function_id in TASK_FUNCTIONS.items():
        logical_id = template.referenced_id(substitutions[name])
        function = template.resources[logical_id]
        assert function["Type"] == "AWS::Lambda::Function"
        assert function["Properties"]["FunctionName"] == f"tixpilot-{synthesized.env}-{function_id}"


def test_logging_tracing_and_failed_execution_alarm(synthesized):
    _, props = state_machine(synthesized)
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    failed = [
        a
        for t in synthesized.templates.values()
        for a in t.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ExecutionsFailed"
        and a["Properties"]["AlarmName"].endswith("-pipeline-executions-failed")
    ]
    assert failed, "an alarm on failed executions"
