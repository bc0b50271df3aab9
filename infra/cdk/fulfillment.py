"""Fulfillment's retry timer: the state machine of THE ASL file
(infra/definitions/fulfillment_timer.asl.json) the local stack runs, with the fulfillment queue's
URL substituted. Its role may only send to that queue. The fulfillment worker itself is a queue
worker (infra/cdk/workers.py); the alarm on its queue's oldest message is in Monitoring."""

from __future__ import annotations

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.cdk.functions import state_machine_name
from infra.cdk.nag import acknowledge
from infra.definitions.fulfillment_timer import ASL_PATH, QUEUE_ID, QUEUE_URL, STATE_MACHINE_ID


class FulfillmentTimer(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvConfig) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        name = state_machine_name(config.name, STATE_MACHINE_ID)
        queue_name = constants.queue_name(config.name, QUEUE_ID)
        queue_arn = f"arn:{stack.partition}:sqs:{stack.region}:{stack.account}:{queue_name}"
        queue_url = f"https://sqs.{stack.region}.{stack.url_suffix}/{stack.account}/{queue_name}"
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=config.log_retention,
            removal_policy=config.cdk_removal_policy,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description=f"{name}: send to the fulfillment queue only",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="SendToFulfillmentQueue", actions=["sqs:SendMessage"], resources=[queue_arn]
            )
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            state_machine_name=name,
            definition_body=sfn.DefinitionBody.from_file(str(ASL_PATH)),
            definition_substitutions={QUEUE_URL: queue_url},
            role=self.role,
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True
            ),
            # a retry is due at most a day after it is scheduled; the longest wait is to a delivery
            # delay's start (up to a year before the event), within Step Functions' one-year limit
            timeout=Duration.days(366),
        )
        cfn_machine = self.state_machine.node.default_child
        policy = self.role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(cfn_machine, CfnResource) and isinstance(policy, CfnResource)
        cfn_machine.add_override("DependsOn", [stack.get_logical_id(policy)])
        acknowledge(
            self.role,
            "IAM5",
            "Step Functions X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSampling*) "
            "and CloudWatch Logs delivery (logs:CreateLogDelivery, ...) do not support resource-level "
            "permissions, so AWS requires Resource '*'; sending is limited to the fulfillment queue.",
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
            alarm_name=f"{constants.PROJECT}-{config.name}-fulfillment-timer-executions-failed",
            alarm_description=f"{name}: a retry could not be put back on the fulfillment queue; the sale "
            "waits until GET /v2/fulfill asks again.",
            metric=self.state_machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        self.alarm.add_alarm_action(cw_actions.SnsAction(topic))
        self.alarm.add_ok_action(cw_actions.SnsAction(topic))
