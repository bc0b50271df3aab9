"""The purchase pipeline: its Lambda tasks and the state machine, from THE ASL file
(infra/definitions/purchase_pipeline.asl.json) with the functions' ARNs substituted, so the
local stack (infra/local/pipeline.py) and AWS run the same definition."""

from __future__ import annotations

from aws_cdk import ArnFormat, CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.cdk.functions import SharedLayers, TixPilotFunction, state_machine_name
from infra.cdk.nag import acknowledge
from infra.definitions.functions import FUNCTIONS
from infra.definitions.pipeline import ASL_PATH, STATE_MACHINE_ID, TASK_FUNCTIONS, TASK_QUEUES


class PurchasePipeline(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvConfig, layers: SharedLayers
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.functions = {
            function_id: TixPilotFunction(
                self, function_id, definition=FUNCTIONS[function_id], config=config, layers=layers
            )
            for function_id in sorted(set(TASK_FUNCTIONS.values()))
        }
        name = state_machine_name(config.name, STATE_MACHINE_ID)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        # Exactly the pipeline's functions, nothing else (no CDK grant with its version wildcards).
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description=f"{name}: invoke the pipeline's own functions only",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="InvokePipelineFunctions",
                actions=["lambda:InvokeFunction"],
                resources=[f.function.function_arn for f in self.functions.values()],
            )
        )
        # The Recrawl task sends the first delayed message of a wait (the recrawl function the
        # rest); by name, as the queues live in the data stack.
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="SendRecrawlMessages",
                actions=["sqs:SendMessage"],
                resources=[
                    stack.format_arn(
                        service="sqs",
                        resource=constants.queue_name(config.name, queue_id),
                        arn_format=ArnFormat.NO_RESOURCE_NAME,
                    )
                    for queue_id in sorted(set(TASK_QUEUES.values()))
                ],
            )
        )
        queue_urls = {
            placeholder: f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/"
            + constants.queue_name(config.name, queue_id)
            for placeholder, queue_id in TASK_QUEUES.items()
        }
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=name,
            definition_body=sfn.DefinitionBody.from_file(str(ASL_PATH)),
            definition_substitutions={
                **{
                    placeholder: self.functions[function_id].function.function_arn
                    for placeholder, function_id in TASK_FUNCTIONS.items()
                },
                **queue_urls,
            },
            role=self.role,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            timeout=Duration.hours(8),  # the Safeguard window (6 h) and the last crawl and PO
        )
        # The role dependency is implied by GetAtt Role.Arn (cfn-lint W3005); keep the policy one.
        cfn_machine = self.state_machine.node.default_child
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(cfn_machine, CfnResource) and isinstance(policy, CfnResource)
        cfn_machine.add_override("DependsOn", [stack.get_logical_id(policy)])
        acknowledge(
            self.role,
            "IAM5",
            "Step Functions X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) "
            "and CloudWatch Logs delivery (logs:CreateLogDelivery, ...) do not support resource-level "
            "permissions, so AWS requires Resource '*'; Lambda invocation is limited to the three "
            "pipeline functions.",
            "Resource::*",
        )
        topic = sns.Topic.from_topic_arn(
            self,
            "AlarmTopic",
            stack.format_arn(service="sns", resource=constants.topic_name(config.name)),
        )
        self.alarm = cloudwatch.Alarm(
            self,
            "ExecutionsFailed",
            alarm_name=f"{constants.PROJECT}-{config.name}-pipeline-executions-failed",
            alarm_description=f"{name}: an execution failed (the reason is on the purchase: errors).",
            metric=self.state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(topic))
        self.alarm.add_ok_action(cw_actions.SnsAction(topic))
