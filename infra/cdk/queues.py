"""The SQS queues of `infra.definitions.QUEUES`, each with its own dead-letter queue."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.definitions.tables import QUEUES


def secure_queue(
    scope: Construct,
    construct_id: str,
    *,
    name: str,
    config: EnvConfig,
    retention_period: Duration,
    visibility_timeout: Duration | None = None,
    dead_letter_queue: sqs.DeadLetterQueue | None = None,
) -> sqs.Queue:
    """SSE-SQS encryption and a policy that refuses anything but TLS."""
    return sqs.Queue(
        scope,
        construct_id,
        queue_name=name,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=retention_period,
        visibility_timeout=visibility_timeout,
        dead_letter_queue=dead_letter_queue,
        removal_policy=config.cdk_removal_policy,
    )


class Queues(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvConfig) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for queue_id, definition in QUEUES.items():
            construct_name = "".join(part.capitalize() for part in queue_id.split("-"))
            dlq = secure_queue(
                self,
                f"{construct_name}Dlq",
                name=constants.dead_letter_queue_name(config.name, queue_id),
                config=config,
                retention_period=Duration.days(14),
            )
            self.dead_letter_queues[queue_id] = dlq
            self.queues[queue_id] = secure_queue(
                self,
                construct_name,
                name=constants.queue_name(config.name, queue_id),
                config=config,
                # At least six times a consumer's timeout, as Lambda's SQS integration advises.
                visibility_timeout=Duration.seconds(definition.visibility_timeout_s),
                retention_period=Duration.days(4),
                dead_letter_queue=sqs.DeadLetterQueue(
                    queue=dlq, max_receive_count=definition.max_receive_count
                ),
            )
