"""Inbound email: SES receives for the tenants' domains, stores the raw message in the raw-email
bucket first, then invokes the intake function (asynchronously, failures to an encrypted DLQ).

The bucket itself is stateful and lives with the others in the Data stack (`storage.py`); its
policy there lets SES deliver, with `ses_delivery_statement` below.

The receipt rule set is created but not activated: SES has one active rule set per account and
region, and CloudFormation cannot activate one. After the first deploy run
`aws ses set-active-receipt-rule-set --rule-set-name <RuleSetName output>`.
"""

from __future__ import annotations

import typing

import jsii
from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_ses as ses
from aws_cdk import aws_ses_actions as ses_actions
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.cdk.functions import SharedLayers, TixPilotFunction
from infra.cdk.queues import secure_queue
from infra.definitions.functions import FUNCTIONS

INTAKE_FUNCTION = "intake"  # the id in infra.definitions.FUNCTIONS


def _receipt_rule_arn(stack: Stack, config: EnvConfig) -> str:
    return stack.format_arn(
        service="ses",
        resource="receipt-rule-set",
        resource_name=(
            f"{constants.receipt_rule_set_name(config.name)}:receipt-rule/{constants.receipt_rule_name(config.name)}"
        ),
    )


def ses_delivery_statement(bucket_arn: str, stack: Stack, config: EnvConfig) -> iam.PolicyStatement:
    """Lets this environment's receipt rule, and only it, write under `inbound/` of the bucket."""
    return iam.PolicyStatement(
        sid="AllowSesReceiptRuleDelivery",
        principals=[iam.ServicePrincipal("ses.amazonaws.com")],
        actions=["s3:PutObject"],
        resources=[f"{bucket_arn}/{constants.INBOUND_PREFIX}*"],
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": _receipt_rule_arn(stack, config)},
        },
    )


@jsii.implements(ses.IReceiptRuleAction)
class _StoreInBucket:
    """The S3 action, for a bucket of another stack whose policy already admits SES (CDK's own
    `ses_actions.S3` would try to edit that policy and warn that it cannot)."""

    def __init__(self, bucket_name: str, object_key_prefix: str) -> None:
        self._action = ses.S3ActionConfig(bucket_name=bucket_name, object_key_prefix=object_key_prefix)

    def bind(self, _rule: ses.IReceiptRule) -> ses.ReceiptRuleActionConfig:
        return ses.ReceiptRuleActionConfig(s3_action=self._action)


class EmailIntake(Construct):
    """The SES receipt rule set, the intake function and its DLQ."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvConfig, layers: SharedLayers
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.dead_letter_queue = secure_queue(
            self,
            "IntakeDlq",
            name=constants.queue_name(config.name, constants.INTAKE_DLQ),
            config=config,
            retention_period=Duration.days(14),
        )
        self.function = TixPilotFunction(
            self,
            INTAKE_FUNCTION,
            definition=FUNCTIONS[INTAKE_FUNCTION],
            config=config,
            layers=layers,
            dead_letter_queue=self.dead_letter_queue,
            retry_attempts=2,
            max_event_age=Duration.hours(6),
        )

        self.rule_set = ses.ReceiptRuleSet(
            self, "RuleSet", receipt_rule_set_name=constants.receipt_rule_set_name(config.name)
        )
        raw_email = constants.bucket_name(
            config.name, constants.RAW_EMAIL_BUCKET, stack.account, stack.region
        )
        self.rule = self.rule_set.add_rule(
            "Receipts",
            receipt_rule_name=constants.receipt_rule_name(config.name),
            recipients=list(config.ses_domains),
            enabled=True,
            scan_enabled=True,
            tls_policy=ses.TlsPolicy.OPTIONAL,  # receipts are forwarded by many mail systems
            # Order matters: the raw message is in S3 before the function hears of it.
            actions=[
                typing.cast(ses.IReceiptRuleAction, _StoreInBucket(raw_email, constants.INBOUND_PREFIX)),
                ses_actions.Lambda(
                    function=self.function.function, invocation_type=ses_actions.LambdaInvocationType.EVENT
                ),
            ],
        )

        CfnOutput(
            self,
            "RuleSetName",
            value=self.rule_set.receipt_rule_set_name,
            description="Activate it once: aws ses set-active-receipt-rule-set --rule-set-name <this>",
        )
