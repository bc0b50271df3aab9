"""SES stores the raw message in the raw-email bucket before the intake function hears of it;
failed invocations land in an encrypted queue."""

from __future__ import annotations

import pytest

from tests.infra.test_storage import bucket, bucket_policy

pytestmark = pytest.mark.infra


def test_receipt_rule_stores_then_invokes(synthesized):
    intake = synthesized.stack("Intake")
    _, function_id, _ = synthesized.function("intake")
    [(_, rule)] = intake.of_type("AWS::SES::ReceiptRule").items()
    props = rule["Properties"]
    rule_set = intake.resources[intake.referenced_id(props["RuleSetName"])]
    assert rule_set["Type"] == "AWS::SES::ReceiptRuleSet"

    spec = props["Rule"]
    assert spec["Enabled"] is True
    assert spec["ScanEnabled"] is True
    assert spec["Recipients"] == list(synthesized.config.ses_domains)
    first, second = spec["Actions"]  # order matters: stored before anyone is told
    assert set(first) == {"S3Action"}
    assert intake.render(first["S3Action"]["BucketName"]) == synthesized.bucket_name("raw-email")
    assert first["S3Action"]["ObjectKeyPrefix"] == "inbound/"
    assert set(second) == {"LambdaAction"}
    assert intake.referenced_id(second["LambdaAction"]["FunctionArn"]) == function_id
    assert second["LambdaAction"]["InvocationType"] == "Event"

    [permission] = [
        p["Properties"]
        for p in intake.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "ses.amazonaws.com"
    ]
    assert intake.referenced_id(permission["FunctionName"]) == function_id
    assert "SourceAccount" in permission


def test_only_this_receipt_rule_may_deliver_into_the_bucket(synthesized):
    data, bucket_id, _ = bucket(synthesized, "raw-email")
    rule_set = rule = None
    for resource in synthesized.stack("Intake").resources.values():
        if resource["Type"] == "AWS::SES::ReceiptRuleSet":
            rule_set = resource["Properties"]["RuleSetName"]
        if resource["Type"] == "AWS::SES::ReceiptRule":
            rule = resource["Properties"]["Rule"]["Name"]

    [ses] = [
        s for s in bucket_policy(data, bucket_id) if s.get("Principal") == {"Service": "ses.amazonaws.com"}
    ]
    assert ses["Effect"] == "Allow"
    assert ses["Action"] == "s3:PutObject"
    assert data.render(ses["Resource"]) == f"{{GetAtt:{bucket_id}.Arn}}/inbound/*"
    assert data.render(ses["Condition"]["StringEquals"]["aws:SourceAccount"]) in {
        "${AWS::AccountId}",
        synthesized.account,
    }
    source_arn = data.render(ses["Condition"]["ArnLike"]["aws:SourceArn"])
    assert source_arn.endswith(f":receipt-rule-set/{rule_set}:receipt-rule/{rule}"), source_arn


def test_failed_intake_lands_in_an_encrypted_tls_only_queue(synthesized):
    intake, function_id, function = synthesized.function("intake")
    queue_id = intake.referenced_id(function["Properties"]["DeadLetterConfig"]["TargetArn"])
    queue = intake.resources[queue_id]["Properties"]
    assert queue["QueueName"] == f"tixpilot-{synthesized.env}-intake-dlq"
    assert queue.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in queue
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600

    [policy] = [
        p["Properties"]
        for p in intake.of_type("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in p["Properties"]["Queues"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in policy["PolicyDocument"]["Statement"]
    )

    [invoke_config] = [  # the stack holds the marketplace poller's too
        c
        for c in intake.of_type("AWS::Lambda::EventInvokeConfig").values()
        if intake.referenced_id(c["Properties"]["FunctionName"]) == function_id
    ]
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 2
