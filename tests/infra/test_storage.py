"""Every bucket, queue and key of infra.definitions exists in the Data stack, locked down."""

from __future__ import annotations

import pytest

from infra.definitions.tables import BUCKETS, KEYS, QUEUES, SECRETS

pytestmark = pytest.mark.infra

PRIVATE = {
    "BlockPublicAcls": True,
    "BlockPublicPolicy": True,
    "IgnorePublicAcls": True,
    "RestrictPublicBuckets": True,
}


def bucket(synthesized, bucket_id: str):
    """(Data template, logical id, resource) of bucket `bucket_id`."""
    data = synthesized.stack("Data")
    name = synthesized.bucket_name(bucket_id)
    found = [
        (lid, r)
        for lid, r in data.of_type("AWS::S3::Bucket").items()
        if data.render(r["Properties"]["BucketName"]) == name
    ]
    assert len(found) == 1, f"one bucket named {name}"
    return data, *found[0]


def bucket_policy(template, bucket_id: str) -> list[dict]:
    for policy in template.of_type("AWS::S3::BucketPolicy").values():
        if template.referenced_id(policy["Properties"]["Bucket"]) == bucket_id:
            statements: list[dict] = policy["Properties"]["PolicyDocument"]["Statement"]
            return statements
    raise AssertionError(f"no policy on {bucket_id}")


def _denies_plain_http(template, bucket_id: str) -> bool:
    arns = {f"{{GetAtt:{bucket_id}.Arn}}", f"{{GetAtt:{bucket_id}.Arn}}/*"}
    return any(
        s["Effect"] == "Deny"
        and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        and {template.render(r) for r in s["Resource"]} == arns
        for s in bucket_policy(template, bucket_id)
    )


def test_only_the_declared_buckets_exist(synthesized):
    names = {
        template.render(r["Properties"]["BucketName"])
        for template in synthesized.templates.values()
        for r in template.of_type("AWS::S3::Bucket").values()
    }
    assert names == {synthesized.bucket_name(b) for b in (*BUCKETS, "access-logs")}


@pytest.mark.parametrize("bucket_id", list(BUCKETS))
def test_bucket_is_private_encrypted_versioned_logged_and_tls_only(synthesized, bucket_id):
    data, logical_id, resource = bucket(synthesized, bucket_id)
    props = resource["Properties"]
    assert props["PublicAccessBlockConfiguration"] == PRIVATE
    [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    _, logs_id, _ = bucket(synthesized, "access-logs")
    assert data.referenced_id(props["LoggingConfiguration"]["DestinationBucketName"]) == logs_id
    assert _denies_plain_http(data, logical_id)

    rules = props["LifecycleConfiguration"]["Rules"]
    assert any(
        t["StorageClass"] == "STANDARD_IA" and t["TransitionInDays"] == 30
        for r in rules
        for t in r.get("Transitions", [])
    )
    assert any("NoncurrentVersionExpiration" in r for r in rules)
    assert not any("ExpirationInDays" in r for r in rules), "objects are kept"


def test_access_log_bucket_is_private_and_tls_only(synthesized):
    data, logical_id, resource = bucket(synthesized, "access-logs")
    assert resource["Properties"]["PublicAccessBlockConfiguration"] == PRIVATE
    assert _denies_plain_http(data, logical_id)


@pytest.mark.parametrize("queue_id", list(QUEUES))
def test_queue_is_encrypted_tls_only_with_a_dead_letter_queue(synthesized, queue_id):
    data = synthesized.stack("Data")
    queue_lid, queue = data.one("AWS::SQS::Queue", QueueName=f"tixpilot-{synthesized.env}-{queue_id}")
    dlq_lid, dlq = data.one("AWS::SQS::Queue", QueueName=f"tixpilot-{synthesized.env}-{queue_id}-dlq")
    for props in (queue["Properties"], dlq["Properties"]):
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props
    redrive = queue["Properties"]["RedrivePolicy"]
    assert data.referenced_id(redrive["deadLetterTargetArn"]) == dlq_lid
    assert redrive["maxReceiveCount"] == QUEUES[queue_id].max_receive_count >= 1
    assert queue["Properties"]["VisibilityTimeout"] == QUEUES[queue_id].visibility_timeout_s
    for lid in (queue_lid, dlq_lid):
        [policy] = [
            p["Properties"]
            for p in data.of_type("AWS::SQS::QueuePolicy").values()
            if {"Ref": lid} in p["Properties"]["Queues"]
        ]
        assert any(
            s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
            for s in policy["PolicyDocument"]["Statement"]
        )


@pytest.mark.parametrize("key_id", list(KEYS))
def test_key_rotates_and_has_its_alias(synthesized, key_id):
    data = synthesized.stack("Data")
    _, alias = data.one("AWS::KMS::Alias", AliasName=f"alias/tixpilot-{synthesized.env}-{key_id}")
    key = data.resources[data.referenced_id(alias["Properties"]["TargetKeyId"])]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True


@pytest.mark.parametrize("secret_id", list(SECRETS))
def test_secret_is_generated_by_the_stack_under_its_derived_name(synthesized, secret_id):
    data = synthesized.stack("Data")
    _, secret = data.one("AWS::SecretsManager::Secret", Name=f"tixpilot-{synthesized.env}-{secret_id}")
    props = secret["Properties"]
    assert "SecretString" not in props  # never in the template
    assert props["GenerateSecretString"]["PasswordLength"] >= 32
