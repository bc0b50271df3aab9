"""Create the tables and buckets of infra.definitions in an emulator (or any DynamoDB/S3)."""

from __future__ import annotations

import json
import secrets
from typing import Any

from infra.definitions.tables import BUCKETS, KEYS, QUEUES, SECRETS, TABLES, TableDef
from tixpilot.settings import Settings


def create_table_request(table: TableDef, name: str) -> dict[str, Any]:
    """The CreateTable call for one definition: the same keys and indexes CDK synthesizes."""

    def schema(pk: Any, sk: Any) -> list[dict[str, str]]:
        keys = [{"AttributeName": pk.name, "KeyType": "HASH"}]
        if sk:
            keys.append({"AttributeName": sk.name, "KeyType": "RANGE"})
        return keys

    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": k.name, "AttributeType": k.type} for k in table.key_attributes()
        ],
        "KeySchema": schema(table.partition_key, table.sort_key),
    }
    if table.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": index.projection},
            }
            for index in table.indexes
        ]
    return request


def ensure_resources(
    settings: Settings,
    dynamodb: Any,
    s3: Any,
    sqs: Any | None = None,
    kms: Any | None = None,
    secretsmanager: Any | None = None,
) -> None:
    """Create whatever of the tables and buckets is missing (idempotent)."""
    existing = set(dynamodb.list_tables().get("TableNames", []))
    for table in TABLES.values():
        name = settings.table_name(table.id)
        if name not in existing:
            dynamodb.create_table(**create_table_request(table, name))
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
    buckets = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for purpose in BUCKETS:
        name = settings.bucket_name(purpose)
        if name not in buckets:
            s3.create_bucket(Bucket=name)
    if QUEUES:
        if sqs is None:
            from tixpilot import aws

            sqs = aws.client("sqs")
        for purpose, definition in QUEUES.items():
            # Each with its dead-letter queue, as the CDK app makes them (moto moves a message
            # received max_receive_count times, as SQS does).
            dlq_url = sqs.create_queue(QueueName=settings.queue_name(f"{purpose}-dlq"))["QueueUrl"]
            dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(definition.max_receive_count)}
            url = sqs.create_queue(QueueName=settings.queue_name(purpose))["QueueUrl"]  # idempotent by name
            sqs.set_queue_attributes(
                QueueUrl=url,
                Attributes={
                    "RedrivePolicy": json.dumps(redrive),
                    "VisibilityTimeout": str(definition.visibility_timeout_s),
                },
            )
    if KEYS:
        if kms is None:
            from tixpilot import aws

            kms = aws.client("kms")
        for purpose, description in KEYS.items():
            alias = settings.key_alias(purpose)
            try:
                kms.describe_key(KeyId=alias)
            except kms.exceptions.NotFoundException:
                key_id = kms.create_key(Description=description)["KeyMetadata"]["KeyId"]
                kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    if SECRETS:
        if secretsmanager is None:
            from tixpilot import aws

            secretsmanager = aws.client("secretsmanager")
        for purpose, description in SECRETS.items():
            ensure_secret(secretsmanager, settings.secret_name(purpose), description)


def ensure_secret(secretsmanager: Any, name: str, description: str, value: str | None = None) -> None:
    """Create the secret with a random value (as CloudFormation generates it) unless it exists;
    with `value` (restored from the state folder), set that value."""
    try:
        secretsmanager.describe_secret(SecretId=name)
    except secretsmanager.exceptions.ResourceNotFoundException:
        secretsmanager.create_secret(
            Name=name, Description=description, SecretString=value or secrets.token_urlsafe(48)
        )
        return
    if value is not None:
        secretsmanager.put_secret_value(SecretId=name, SecretString=value)
