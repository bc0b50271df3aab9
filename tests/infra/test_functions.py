"""Each FunctionDef is one function, built as the design says, whose role reaches exactly the
tables (and declared indexes) and buckets its definition lists, and nothing else."""

from __future__ import annotations

import dataclasses
import re

import pytest

from infra.cdk import constants
from infra.cdk.functions import IMPLEMENTED_FIELDS
from infra.definitions.functions import FUNCTIONS, FunctionDef
from infra.definitions.tables import TABLES

pytestmark = pytest.mark.infra

TABLE_ARN = re.compile(
    r"arn:(?:aws[\w-]*|\$\{AWS::Partition\}):dynamodb:(?:[\w-]+|\$\{AWS::Region\}):(?:\d{12}|\$\{AWS::AccountId\})"
    r":table/(?P<table>[^/*]+)(?:/index/(?P<index>[^/]+))?"
)
BUCKET_OBJECTS_ARN = re.compile(r"arn:[^:]+:s3:::(?P<bucket>[^/]+)/(?P<keys>.+)")
DYNAMODB_WRITES = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
}
S3_WRITES = {"s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl"}
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}

DEFINITIONS = list(FUNCTIONS.values())
IDS = list(FUNCTIONS)


def _as_list(value):
    return value if isinstance(value, list) else [value]


def _statements(template, role_id: str) -> list[dict]:
    role = template.resources[role_id]["Properties"]
    assert not role.get("ManagedPolicyArns"), "no managed policies: every permission is written out"
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for policy in template.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _table_of(template, synthesized, resource) -> tuple[str, str | None]:
    """(table name, index name or None) of a policy Resource, however the ARN is referenced:
    by name (the app's way), by Ref/GetAtt to a table of the same stack, or by an export."""
    rendered = template.render(resource)
    imported = re.fullmatch(r"\{Import:([^}]+)\}(/index/.+)?", rendered)
    if imported:
        for other in synthesized.templates.values():
            for output in other.body.get("Outputs", {}).values():
                if other.render(output.get("Export", {}).get("Name", "")) == imported.group(1):
                    name, _ = _table_of(other, synthesized, output["Value"])
                    return name, (imported.group(2) or "").removeprefix("/index/") or None
        raise AssertionError(f"no export {imported.group(1)}")
    ref = re.fullmatch(r"\{GetAtt:(\w+)\.Arn\}(?:/index/(.+))?", rendered)
    if ref:
        table = template.resources[ref.group(1)]
        assert table["Type"] == "AWS::DynamoDB::Table"
        return table["Properties"]["TableName"], ref.group(2)
    match = TABLE_ARN.fullmatch(rendered)
    assert match, f"not a table ARN: {rendered}"
    return match.group("table"), match.group("index")


@pytest.mark.parametrize("definition", DEFINITIONS, ids=IDS)
def test_function_is_built_as_designed(synthesized, definition: FunctionDef):
    template, _, function = synthesized.function(definition.id)
    props = function["Properties"]
    config = synthesized.config

    assert template.stack_name == f"TixPilot-{synthesized.env}-{'Api' if definition.routes else 'Intake'}"
    assert props["Runtime"] == "python3.12"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Handler"] == "handler.lambda_handler"
    assert props["Timeout"] == definition.timeout_s
    assert props["MemorySize"] == definition.memory_mb
    reserved = definition.reserved_concurrency if config.reserve_concurrency else None
    assert props.get("ReservedConcurrentExecutions") == reserved

    env = props["Environment"]["Variables"]
    assert env["TIXPILOT_ENV"] == synthesized.env
    assert env["POWERTOOLS_SERVICE_NAME"] == "tixpilot"
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "TixPilot"
    assert env["LOG_LEVEL"] == config.log_level
    assert env["PYDANTIC_DISABLE_PLUGINS"] == "__all__"  # we use none; finding them costs a first request
    for bucket_id in definition.buckets:
        variable = f"TIXPILOT_{bucket_id.upper().replace('-', '_')}_BUCKET"  # tixpilot.settings reads it
        assert template.render(env[variable]) == synthesized.bucket_name(bucket_id)

    # Our two layers and no other: the third-party libraries built from uv.lock (which of the two
    # it is: tests/infra/test_dependency_layer.py) and the tixpilot package.
    layers = [template.resources[template.referenced_id(layer)] for layer in props["Layers"]]
    assert [layer["Type"] for layer in layers] == ["AWS::Lambda::LayerVersion"] * 2
    for layer in layers:
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]

    log_group = template.resources[template.referenced_id(props["LoggingConfig"]["LogGroup"])]["Properties"]
    assert log_group["LogGroupName"] == f"/aws/lambda/tixpilot-{synthesized.env}-{definition.id}"
    assert log_group["RetentionInDays"] == config.log_retention_days


@pytest.mark.parametrize("definition", DEFINITIONS, ids=IDS)
def test_role_reaches_only_what_the_definition_lists(synthesized, definition: FunctionDef):
    template, _, function = synthesized.function(definition.id)
    props = function["Properties"]
    role_id = template.referenced_id(props["Role"])
    assert (
        sum(
            template.referenced_id(f["Properties"]["Role"]) == role_id
            for f in template.of_type("AWS::Lambda::Function").values()
        )
        == 1
    ), "a role per function"
    own_log_group = f"{{GetAtt:{template.referenced_id(props['LoggingConfig']['LogGroup'])}.Arn}}"
    dlq = template.render(props["DeadLetterConfig"]["TargetArn"]) if "DeadLetterConfig" in props else None

    tables: dict[str, bool] = {}  # table name -> write access
    buckets: dict[str, bool] = {}
    queues: set[str] = set()
    consumed: set[str] = set()
    keys: set[str] = set()
    secrets: set[str] = set()
    for statement in _statements(template, role_id):
        assert statement["Effect"] == "Allow"
        actions = set(_as_list(statement["Action"]))
        resources = _as_list(statement["Resource"])
        services = {action.split(":")[0] for action in actions}
        assert len(services) == 1, f"one service per statement: {actions}"
        service = services.pop()
        rendered = [template.render(r) for r in resources]

        if service == "dynamodb":
            assert all("*" not in r for r in rendered), f"wildcard on DynamoDB: {rendered}"
            assert all("*" not in a for a in actions), actions
            assert "dynamodb:Scan" not in actions, "no request path may scan"
            for resource in resources:
                name, index = _table_of(template, synthesized, resource)
                tables[name] = tables.get(name, False) or bool(actions & DYNAMODB_WRITES)
                if index is not None:
                    table_id = name.removeprefix(f"tixpilot-{synthesized.env}-")
                    assert index in {i.name for i in TABLES[table_id].indexes}, f"{name} has no index {index}"
        elif service == "s3":
            for r in rendered:
                match = BUCKET_OBJECTS_ARN.fullmatch(r)
                assert match, f"only object ARNs of a named bucket: {r}"
                buckets[match.group("bucket")] = buckets.get(match.group("bucket"), False) or bool(
                    actions & S3_WRITES
                )
        elif service == "secretsmanager":
            assert actions == {"secretsmanager:GetSecretValue"}, actions
            [arn] = rendered
            secret_id = arn.rsplit(f":secret:tixpilot-{synthesized.env}-", 1)[1].removesuffix("-??????")
            assert definition.secrets.get(secret_id) == "read", (definition.id, arn)
            secrets.add(secret_id)
        elif service == "logs":
            assert actions <= {"logs:CreateLogStream", "logs:PutLogEvents"}, actions
            assert rendered == [own_log_group], f"logs only to its own log group: {rendered}"
        elif service == "xray":
            assert actions <= XRAY and rendered == ["*"], (actions, rendered)
        elif service == "sqs":
            [queue] = rendered
            if queue == dlq:
                assert actions == {"sqs:SendMessage"}, actions
                continue
            queue_id = queue.rsplit(f":tixpilot-{synthesized.env}-", 1)[1]
            sends = "sqs:SendMessage" in actions
            consumes = bool(actions & {"sqs:ReceiveMessage", "sqs:DeleteMessage"})
            if consumes and queue_id in definition.consumes:
                assert not sends, actions
                consumed.add(queue_id)
                continue
            access = definition.queues.get(queue_id)
            assert access, f"{definition.id} may not use queue {queue}"
            assert (sends, consumes) == ((True, False) if access == "write" else (False, True)), actions
            queues.add(queue_id)
        elif service == "kms":
            assert rendered == [f"arn:aws:kms:{synthesized.config.region}:{synthesized.account}:key/*"], (
                rendered
            )
            [alias] = _as_list(statement["Condition"]["ForAnyValue:StringEquals"]["kms:ResourceAliases"])
            key_id = alias.removeprefix(f"alias/tixpilot-{synthesized.env}-")
            access = definition.keys.get(key_id)
            assert access, f"{definition.id} may not use key {alias}"
            assert actions == ({"kms:Encrypt"} if access == "write" else {"kms:Decrypt"}), actions
            keys.add(key_id)
        elif service == "states" and actions == {"states:DescribeExecution"}:  # is the last run running?
            [executions] = rendered
            machine_id = executions.rsplit(f":execution:tixpilot-{synthesized.env}-", 1)[1].removesuffix(":*")
            assert definition.state_machines.get(machine_id) == "write", (definition.id, executions)
        elif service == "states":  # starting the purchase pipeline, by its derived name
            [machine] = rendered
            machine_id = machine.rsplit(f":stateMachine:tixpilot-{synthesized.env}-", 1)[1]
            access = definition.state_machines.get(machine_id)
            expected = (
                {"states:StartExecution"}
                if access == "write"
                else {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
            )
            assert access in ("write", "answer") and actions == expected, (definition.id, actions)
        else:
            pytest.fail(f"{definition.id} may not use {service}: {actions} on {rendered}")

    expected_tables = {
        f"tixpilot-{synthesized.env}-{t}": access == "write" for t, access in definition.tables.items()
    }
    assert tables == expected_tables
    expected_buckets = {
        synthesized.bucket_name(b): access == "write" for b, access in definition.buckets.items()
    }
    assert buckets == expected_buckets
    assert queues == set(definition.queues)
    assert consumed == set(definition.consumes)
    assert keys == set(definition.keys)
    assert secrets == set(definition.secrets)


@pytest.mark.parametrize("definition", [d for d in DEFINITIONS if d.consumes], ids=lambda d: d.id)
def test_a_queue_worker_is_invoked_by_its_queues_with_partial_batch_failures(synthesized, definition):
    template, function_id, _ = synthesized.function(definition.id)
    mappings = [
        m["Properties"]
        for m in template.of_type("AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    sources = sorted(template.render(m["EventSourceArn"]).rsplit(":", 1)[1] for m in mappings)
    assert sources == sorted(f"tixpilot-{synthesized.env}-{q}" for q in definition.consumes)
    for mapping in mappings:
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BatchSize"] <= 10


def test_every_functiondef_field_is_implemented():
    # A new FunctionDef field must be turned into infrastructure (infra/cdk/functions.py) and
    # checked here; the synth refuses a FunctionDef that sets an unimplemented one.
    assert {f.name for f in dataclasses.fields(FunctionDef)} <= IMPLEMENTED_FIELDS


def test_every_function_has_its_code_folder():
    missing = [f.id for f in DEFINITIONS if not (constants.FUNCTIONS_DIR / f.id / "handler.py").is_file()]
    assert missing == [], "the synth refuses a FunctionDef without functions/<id>/handler.py"


def test_no_function_outside_the_definitions(synthesized):
    names = {
        r["Properties"].get("FunctionName")
        for t in synthesized.templates.values()
        for r in t.of_type("AWS::Lambda::Function").values()
    }
    assert names == {f"tixpilot-{synthesized.env}-{f}" for f in FUNCTIONS}


def test_a_definition_without_code_is_refused():
    import aws_cdk as cdk

    from infra.app import read_cdk_json_context
    from infra.cdk.config import load_env_config
    from infra.cdk.functions import SharedLayers, TixPilotFunction

    stack = cdk.Stack(cdk.App(), "Refused")
    with pytest.raises(FileNotFoundError, match=r"functions/no_such_function/handler\.py"):
        TixPilotFunction(
            stack,
            "Function",
            definition=FunctionDef(id="no_such_function", description="not written"),
            config=load_env_config("dev", read_cdk_json_context()),
            layers=SharedLayers(stack, "Layers"),
        )


def test_a_consumed_queue_outlasts_its_worker():
    # Lambda's SQS integration advises a visibility timeout of six times the function's timeout;
    # shorter, a batch still being handled comes back to another worker.
    from infra.definitions.tables import QUEUES

    for definition in DEFINITIONS:
        for queue_id in definition.consumes:
            assert QUEUES[queue_id].visibility_timeout_s >= 6 * definition.timeout_s, (
                definition.id,
                queue_id,
            )
