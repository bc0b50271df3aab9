"""Alarms to an encrypted SNS topic: each function's errors, the DLQ depth, the API's 5XXs, and
marketplace feeds that keep failing to be polled.

Metrics are addressed by the resources' derived names, so this stack needs no exports from the
others and can be deployed (or torn down) on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig

PERIOD = Duration.minutes(5)
# The poller's PollErrors (a tenant's feed the marketplace refused or did not answer) alarm when
# they persist this many periods: one failed poll is retried a minute later anyway.
POLL_ERROR_PERIODS = 3


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvConfig,
        function_ids: Sequence[str],
        dead_letter_queue_names: Sequence[str],
        api_name: str,
        api_stage: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config

        # A customer key: CloudWatch can only publish to an encrypted topic whose key policy
        # lets it, which the AWS-managed aws/sns key does not.
        self.key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"{constants.topic_name(config.name)}: encrypts alarm notifications",
            enable_key_rotation=True,
            removal_policy=config.cdk_removal_policy,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
            )
        )
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=constants.topic_name(config.name),
            display_name=f"TixPilot {config.name} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))

        self.alarms: list[cloudwatch.Alarm] = []
        for function_id in function_ids:
            name = constants.function_name(config.name, function_id)
            self._alarm(
                f"{function_id}-errors",
                cloudwatch.Metric(
                    namespace="AWS/Lambda",
                    metric_name="Errors",
                    dimensions_map={"FunctionName": name},
                    statistic="Sum",
                    period=PERIOD,
                ),
                f"{name} raised an error (an unhandled exception, a timeout or running out of memory).",
            )
        for queue_name in dead_letter_queue_names:
            self._alarm(
                f"{queue_name.removeprefix(f'{constants.PROJECT}-{config.name}-')}-depth",
                cloudwatch.Metric(
                    namespace="AWS/SQS",
                    metric_name="ApproximateNumberOfMessagesVisible",
                    dimensions_map={"QueueName": queue_name},
                    statistic="Maximum",
                    period=PERIOD,
                ),
                f"{queue_name} holds events that failed every retry; inspect and redrive them.",
            )
        self._alarm(
            "api-5xx",
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="5XXError",
                dimensions_map={"ApiName": api_name, "Stage": api_stage},
                statistic="Sum",
                period=PERIOD,
            ),
            f"{api_name} ({api_stage}) answered 5XX: a handler failed or the integration did.",
        )
        self._alarm(
            "marketplace-poll-errors",
            cloudwatch.Metric(
                namespace=constants.METRICS_NAMESPACE,
                metric_name="PollErrors",
                dimensions_map={"service": constants.SERVICE_NAME},
                statistic="Sum",
                period=PERIOD,
            ),
            "Marketplace feeds keep failing to be polled (revoked credentials, the marketplace down): "
            "those tenants' sales are not arriving. The poller's log names tenant and feed.",
            evaluation_periods=POLL_ERROR_PERIODS,
        )

    def _alarm(
        self, alarm_id: str, metric: cloudwatch.Metric, description: str, evaluation_periods: int = 1
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            alarm_id,
            alarm_name=f"{constants.PROJECT}-{self._config.name}-{alarm_id}",
            alarm_description=description,
            metric=metric,
            threshold=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=evaluation_periods,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        action = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm
