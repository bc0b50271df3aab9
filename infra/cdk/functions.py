"""One Lambda function per `FunctionDef`: its own role, log group, layers and nothing more.

Permissions are written from the definitions, not from CDK's `grant*` helpers, so a role names
exactly the tables (and their declared indexes) and buckets its `FunctionDef` lists, with no
wildcard that would also cover another table. Tables and buckets are referenced by their
derived physical names, which keeps the stacks free of CloudFormation exports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from aws_cdk import Annotations, ArnFormat, AssetHashType, CfnResource, Duration, Stack, Token
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.cdk.dependency_layer import build_compiled_copy, build_dependency_layer, direct_dependencies
from infra.cdk.nag import acknowledge
from infra.definitions.functions import STATE_MACHINE_ARN_VARIABLES, Access, FunctionDef, MachineAccess
from infra.definitions.tables import BUCKETS, KEYS, QUEUES, SECRETS, TABLES

RUNTIME = lambda_.Runtime.PYTHON_3_12  # pinned: the dependency layer is built for python3.12
ARCHITECTURE = lambda_.Architecture.ARM_64  # and for ARM64 (dependency_layer.PLATFORM)

# No Scan: no request path may scan a table (docs/data-model.md), and IAM enforces it.
TABLE_READ_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
)
TABLE_WRITE_ACTIONS = (
    *TABLE_READ_ACTIONS,
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
)
BUCKET_READ_ACTIONS = ("s3:GetObject",)
BUCKET_WRITE_ACTIONS = ("s3:GetObject", "s3:PutObject")
KEY_ACTIONS = {"read": ("kms:Decrypt",), "write": ("kms:Encrypt",)}  # FunctionDef.keys: write = encrypt
QUEUE_ACTIONS = {
    "read": (
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
    ),
    "write": ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"),
}
# The FunctionDef fields this module turns into infrastructure. A field added to FunctionDef
# fails the synth until it is implemented here, instead of being silently ignored.
IMPLEMENTED_FIELDS = frozenset(
    {
        "id",
        "reserved_concurrency",
        "description",
        "routes",
        "tables",
        "buckets",
        "keys",
        "queues",
        "consumes",
        "secrets",
        "state_machines",
        "timeout_s",
        "memory_mb",
        "files",
    }
)


class SharedLayers(Construct):
    """The layers every function gets: the third-party libraries at the versions uv.lock pins
    (built at synth time, infra/cdk/dependency_layer.py) and the tixpilot package."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        built = build_dependency_layer(RUNTIME.name.removeprefix("python"))
        self.dependencies = lambda_.LayerVersion(
            self,
            "Dependencies",
            # The digest covers everything the folder is built from, so CDK need not hash its files.
            code=lambda_.Code.from_asset(
                str(built.path), asset_hash=built.digest, asset_hash_type=AssetHashType.CUSTOM
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description=f"uv.lock, for {RUNTIME.name}/arm64: {built.summary(direct_dependencies())}"[:256],
        )
        # Our code with its bytecode, like the libraries: a layer is read-only in Lambda, so a
        # module shipped as source alone is compiled again at every cold start.
        shared, shared_digest = build_compiled_copy(
            constants.SHARED_LAYER_DIR, RUNTIME.name.removeprefix("python")
        )
        self.shared = lambda_.LayerVersion(
            self,
            "Shared",
            code=lambda_.Code.from_asset(
                str(shared), asset_hash=shared_digest, asset_hash_type=AssetHashType.CUSTOM
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="tixpilot: models, services, repositories and adapters shared by every function",
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.dependencies, self.shared]


class TixPilotFunction(Construct):
    """A function of `infra.definitions.FUNCTIONS`, with least-privilege access to its tables."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: FunctionDef,
        config: EnvConfig,
        layers: SharedLayers,
        environment: Mapping[str, str] | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        retry_attempts: int | None = None,
        max_event_age: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        _check_implemented(definition)
        self.definition = definition
        stack = Stack.of(self)
        self.function_name = constants.function_name(config.name, definition.id)

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/lambda/{self.function_name}",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        # No AWSLambdaBasicExecutionRole: its logs:* on every log group is more than this needs.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self.function_name}: only the tables and buckets its FunctionDef lists",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        for table_id, access in sorted(definition.tables.items()):
            self.role.add_to_policy(self._table_statement(stack, config, table_id, access))
        for bucket_id, access in sorted(definition.buckets.items()):
            self.role.add_to_policy(self._bucket_statement(stack, config, bucket_id, access))
        for key_id, access in sorted(definition.keys.items()):
            self.role.add_to_policy(self._key_statement(stack, config, key_id, access))
        for queue_id, access in sorted(definition.queues.items()):
            self.role.add_to_policy(self._queue_statement(stack, config, queue_id, access))
        for queue_id in definition.consumes:
            self.role.add_to_policy(self._queue_statement(stack, config, queue_id, "read"))
        for secret_id, access in sorted(definition.secrets.items()):
            self.role.add_to_policy(self._secret_statement(stack, config, secret_id, access))
        for machine_id, machine_access in sorted(definition.state_machines.items()):
            self.role.add_to_policy(self._state_machine_statement(stack, config, machine_id, machine_access))
            if machine_access == "write":  # whoever starts a run asks whether the last one still runs
                name = state_machine_name(config.name, machine_id)
                acknowledge(
                    self.role,
                    "IAM5",
                    f"Execution names are made per run (p-<tenant>-<rid>-<generation>); the statement "
                    f"allows DescribeExecution only, on the executions of {name} only.",
                    f"Resource::arn:{_nag_token(stack.partition, 'AWS::Partition')}:states:{stack.region}:"
                    f"{_nag_token(stack.account, 'AWS::AccountId')}:execution:{name}:*",
                )
                self.role.add_to_policy(
                    iam.PolicyStatement(
                        sid=f"DescribeExecutions{_pascal(machine_id)}",
                        actions=["states:DescribeExecution"],
                        resources=[execution_arns(stack, config, machine_id)],
                    )
                )

        code_dir = constants.FUNCTIONS_DIR / definition.id
        if not (code_dir / "handler.py").is_file():
            raise FileNotFoundError(
                f"FunctionDef {definition.id!r} has no functions/{definition.id}/handler.py: "
                "write the handler or remove the definition"
            )
        # The handler with its bytecode (as the layers), and the repository files it needs.
        code_copy, code_digest = build_compiled_copy(
            code_dir,
            RUNTIME.name.removeprefix("python"),
            extra_files=tuple(constants.REPO_ROOT / path for path in definition.files),
        )
        code = lambda_.Code.from_asset(
            str(code_copy), asset_hash=code_digest, asset_hash_type=AssetHashType.CUSTOM
        )

        env = {
            constants.ENV_VAR_ENV: config.name,
            "POWERTOOLS_SERVICE_NAME": constants.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": constants.METRICS_NAMESPACE,
            "LOG_LEVEL": config.log_level,
            **constants.RUNTIME_ENVIRONMENT,
            **{
                constants.bucket_env_var(bucket_id): constants.bucket_name(
                    config.name, bucket_id, stack.account, stack.region
                )
                for bucket_id in sorted(definition.buckets)
            },
            **{
                STATE_MACHINE_ARN_VARIABLES[machine_id]: state_machine_arn(stack, config, machine_id)
                for machine_id in sorted(definition.state_machines)
                if machine_id in STATE_MACHINE_ARN_VARIABLES
            },
            **(environment or {}),
        }

        self.snap_start = config.snap_start and bool(definition.routes)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=self.function_name,
            description=definition.description[:256],
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=constants.HANDLER,
            code=code,
            layers=layers.all,
            environment=env,
            tracing=lambda_.Tracing.ACTIVE,
            timeout=Duration.seconds(definition.timeout_s),
            memory_size=definition.memory_mb,
            role=self.role,
            log_group=self.log_group,
            dead_letter_queue=dead_letter_queue,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            reserved_concurrent_executions=(
                definition.reserved_concurrency if config.reserve_concurrency else None
            ),
            snap_start=lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS if self.snap_start else None,
        )
        # What API Gateway invokes: with SnapStart the alias of the published version (SnapStart
        # applies to published versions only), else the function itself.
        self.target: lambda_.IFunction = self.function
        if self.snap_start:
            Annotations.of(self.function).acknowledge_warning(
                "@aws-cdk/aws-lambda:snapStartRequirePublish",
                "the alias `live` below publishes a version (current_version) and API Gateway invokes it",
            )
            self.target = lambda_.Alias(
                self, "Live", alias_name="live", version=self.function.current_version
            )

        self._depend_on_policy_only(stack)

        # Each consumed queue invokes the function with batches; the failed messages of a batch
        # (batchItemFailures) stay on the queue and the others are deleted.
        for queue_id in definition.consumes:
            mapping = lambda_.EventSourceMapping(
                self,
                f"From{_pascal(queue_id)}",
                target=self.function,
                event_source_arn=self._queue_arn(stack, config, queue_id),
                batch_size=10,
                report_batch_item_failures=True,
            )
            # The role's policy (with the consume statement) must exist before Lambda checks it.
            cfn_mapping = mapping.node.default_child
            policy = self.role.node.find_child("DefaultPolicy").node.default_child
            assert isinstance(cfn_mapping, CfnResource) and isinstance(policy, CfnResource)
            cfn_mapping.add_dependency(policy)

        acknowledge(
            self.function,
            "L1",
            "python3.12 is pinned on purpose: the dependency layer is built for python3.12/arm64 "
            "(compiled pydantic-core, bytecode compiled by Python 3.12); moving the runtime means "
            "rebuilding the layer for it (infra/cdk/dependency_layer.py).",
        )
        acknowledge(
            self.role,
            "IAM5",
            "X-Ray tracing (active): xray:PutTraceSegments and xray:PutTelemetryRecords do not "
            "support resource-level permissions, so AWS requires Resource '*'.",
            "Resource::*",
        )

    def _depend_on_policy_only(self, stack: Stack) -> None:
        """CDK makes the function depend on its role and the role's policy; the role dependency
        is already implied by `GetAtt Role.Arn` (cfn-lint W3005). The policy one must stay:
        Lambda checks at creation that the role may send to the DLQ."""
        cfn_function = self.function.node.default_child
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(cfn_function, CfnResource) and isinstance(policy, CfnResource)
        cfn_function.add_override("DependsOn", [stack.get_logical_id(policy)])

    def _table_statement(
        self, stack: Stack, config: EnvConfig, table_id: str, access: Access
    ) -> iam.PolicyStatement:
        table = TABLES.get(table_id)
        if table is None:
            raise KeyError(
                f"FunctionDef {self.definition.id!r}: unknown table {table_id!r}; known: {sorted(TABLES)}"
            )
        table_arn = stack.format_arn(
            service="dynamodb", resource="table", resource_name=constants.table_name(config.name, table_id)
        )
        return iam.PolicyStatement(
            sid=f"{access.capitalize()}Table{_pascal(table_id)}",
            actions=list(TABLE_WRITE_ACTIONS if access == "write" else TABLE_READ_ACTIONS),
            resources=[table_arn, *(f"{table_arn}/index/{index.name}" for index in table.indexes)],
        )

    def _bucket_statement(
        self, stack: Stack, config: EnvConfig, bucket_id: str, access: Access
    ) -> iam.PolicyStatement:
        if bucket_id not in BUCKETS:
            raise KeyError(
                f"FunctionDef {self.definition.id!r}: unknown bucket {bucket_id!r}; known: {sorted(BUCKETS)}"
            )
        name = constants.bucket_name(config.name, bucket_id, stack.account, stack.region)
        objects_arn = f"arn:{stack.partition}:s3:::{name}/*"
        nag_name = constants.bucket_name(
            config.name, bucket_id, _nag_token(stack.account, "AWS::AccountId"), stack.region
        )
        acknowledge(
            self.role,
            "IAM5",
            f"Objects of the {bucket_id} bucket are keyed per message (SES message id), so access "
            "is to the bucket's objects, not to a fixed key; no other bucket is covered.",
            f"Resource::arn:{_nag_token(stack.partition, 'AWS::Partition')}:s3:::{nag_name}/*",
        )
        return iam.PolicyStatement(
            sid=f"{access.capitalize()}Bucket{_pascal(bucket_id)}",
            actions=list(BUCKET_WRITE_ACTIONS if access == "write" else BUCKET_READ_ACTIONS),
            resources=[objects_arn],
        )

    def _key_statement(
        self, stack: Stack, config: EnvConfig, key_id: str, access: Access
    ) -> iam.PolicyStatement:
        if key_id not in KEYS:
            raise KeyError(
                f"FunctionDef {self.definition.id!r}: unknown key {key_id!r}; known: {sorted(KEYS)}"
            )
        # The key lives in the Data stack and is found by alias, so the grant names the alias
        # (kms:ResourceAliases) rather than importing the key's generated id across stacks.
        keys_arn = stack.format_arn(service="kms", resource="key", resource_name="*")
        acknowledge(
            self.role,
            "IAM5",
            f"KMS key ids are generated; the statement is limited to the one key whose alias is "
            f"{constants.key_alias(config.name, key_id)} by the kms:ResourceAliases condition.",
            f"Resource::arn:{_nag_token(stack.partition, 'AWS::Partition')}:kms:{stack.region}:"
            f"{_nag_token(stack.account, 'AWS::AccountId')}:key/*",
        )
        return iam.PolicyStatement(
            sid=f"{'Encrypt' if access == 'write' else 'Decrypt'}Key{_pascal(key_id)}",
            actions=list(KEY_ACTIONS[access]),
            resources=[keys_arn],
            conditions={
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": constants.key_alias(config.name, key_id)}
            },
        )

    def _secret_statement(
        self, stack: Stack, config: EnvConfig, secret_id: str, access: Access
    ) -> iam.PolicyStatement:
        if secret_id not in SECRETS or access != "read":
            raise KeyError(
                f"FunctionDef {self.definition.id!r}: secret {secret_id!r} ({access}); "
                f"known (read only): {sorted(SECRETS)}"
            )
        # Secrets Manager appends 6 random characters to a secret's name in its ARN: `??????`
        # matches exactly those (no `*`, so this one secret only).
        name = constants.secret_name(config.name, secret_id)
        return iam.PolicyStatement(
            sid=f"ReadSecret{_pascal(secret_id)}",
            actions=["secretsmanager:GetSecretValue"],
            resources=[
                stack.format_arn(
                    service="secretsmanager",
                    resource="secret",
                    resource_name=f"{name}-??????",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )

    def _queue_statement(
        self, stack: Stack, config: EnvConfig, queue_id: str, access: Access
    ) -> iam.PolicyStatement:
        if queue_id not in QUEUES:
            raise KeyError(
                f"FunctionDef {self.definition.id!r}: unknown queue {queue_id!r}; known: {sorted(QUEUES)}"
            )
        queue_arn = self._queue_arn(stack, config, queue_id)
        return iam.PolicyStatement(
            sid=f"{'Send' if access == 'write' else 'Consume'}Queue{_pascal(queue_id)}",
            actions=list(QUEUE_ACTIONS[access]),
            resources=[queue_arn],
        )

    @staticmethod
    def _queue_arn(stack: Stack, config: EnvConfig, queue_id: str) -> str:
        return stack.format_arn(
            service="sqs",
            resource=constants.queue_name(config.name, queue_id),
            arn_format=ArnFormat.NO_RESOURCE_NAME,
        )

    def _state_machine_statement(
        self, stack: Stack, config: EnvConfig, machine_id: str, access: MachineAccess
    ) -> iam.PolicyStatement:
        if machine_id not in STATE_MACHINE_ARN_VARIABLES:
            raise KeyError(
                f"FunctionDef {self.definition.id!r}: unknown state machine {machine_id!r}; "
                f"known: {sorted(STATE_MACHINE_ARN_VARIABLES)}"
            )
        if access == "answer":  # the task tokens of its callback tasks
            return iam.PolicyStatement(
                sid=f"AnswerTasks{_pascal(machine_id)}",
                actions=["states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"],
                resources=[state_machine_arn(stack, config, machine_id)],
            )
        return iam.PolicyStatement(
            sid=f"{'Start' if access == 'write' else 'Describe'}StateMachine{_pascal(machine_id)}",
            actions=["states:StartExecution"] if access == "write" else ["states:DescribeStateMachine"],
            resources=[state_machine_arn(stack, config, machine_id)],
        )


# A state machine's ARN is passed by its derived name (no cross-stack export) to the functions
# that start executions (adapters/stepfunctions.py reads it), in the variable
# STATE_MACHINE_ARN_VARIABLES names.


def state_machine_name(env: str, machine_id: str) -> str:
    return f"{constants.PROJECT}-{env}-{machine_id}"


def state_machine_arn(stack: Stack, config: EnvConfig, machine_id: str) -> str:
    return stack.format_arn(
        service="states",
        resource="stateMachine",
        resource_name=state_machine_name(config.name, machine_id),
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def execution_arns(stack: Stack, config: EnvConfig, machine_id: str) -> str:
    """Every execution of the state machine (`execution:<machine name>:*`)."""
    return stack.format_arn(
        service="states",
        resource="execution",
        resource_name=f"{state_machine_name(config.name, machine_id)}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def _check_implemented(definition: FunctionDef) -> None:
    for spec in dataclasses.fields(definition):
        if spec.name in IMPLEMENTED_FIELDS:
            continue
        default = spec.default_factory() if spec.default_factory is not dataclasses.MISSING else spec.default
        if getattr(definition, spec.name) != default:
            raise NotImplementedError(
                f"FunctionDef {definition.id!r} sets {spec.name!r}, which infra/cdk/functions.py "
                "does not turn into infrastructure yet"
            )


def _nag_token(value: str, pseudo_parameter: str) -> str:
    """How cdk-nag writes a value in a finding id: a pseudo parameter's token as `<AWS::...>`."""
    return f"<{pseudo_parameter}>" if Token.is_unresolved(value) else value


def _pascal(text: str) -> str:
    return "".join(part.capitalize() for part in text.replace("-", "_").split("_"))
