"""Alarms on every function's errors, the DLQ depth and the API's 5XXs, to an encrypted topic."""

from __future__ import annotations

import pytest

from infra.definitions.functions import FUNCTIONS
from infra.definitions.tables import QUEUES

pytestmark = pytest.mark.infra


def _alarms(synthesized) -> dict[tuple[str, str], dict]:
    """(metric name, watched resource) -> alarm properties."""
    monitoring = synthesized.stack("Monitoring")
    alarms = {}
    for alarm in monitoring.of_type("AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        [dimension, *_] = sorted(props["Dimensions"], key=lambda d: d["Name"] != "ApiName")
        alarms[(props["MetricName"], dimension["Value"])] = props
    return alarms


def test_alarms_cover_functions_dlq_and_api(synthesized):
    env = synthesized.env
    expected = {("Errors", f"tixpilot-{env}-{f}") for f in FUNCTIONS}
    dead_letter_queues = {f"tixpilot-{env}-intake-dlq", *(f"tixpilot-{env}-{q}-dlq" for q in QUEUES)}
    expected |= {("ApproximateNumberOfMessagesVisible", name) for name in dead_letter_queues}
    expected.add(("5XXError", f"tixpilot-{env}-api"))
    expected.add(("PollErrors", "tixpilot"))  # the poller's custom metric, by service
    assert set(_alarms(synthesized)) == expected


def test_alarms_notify_an_encrypted_tls_only_topic(synthesized):
    monitoring = synthesized.stack("Monitoring")
    topic_id, topic = monitoring.one("AWS::SNS::Topic", TopicName=f"tixpilot-{synthesized.env}-alarms")
    key = monitoring.resources[monitoring.referenced_id(topic["Properties"]["KmsMasterKeyId"])]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert any(
        s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        for s in key["Properties"]["KeyPolicy"]["Statement"]
    ), "CloudWatch must be allowed to use the key, or alarms cannot publish"

    [policy] = monitoring.of_type("AWS::SNS::TopicPolicy").values()
    assert any(
        s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )
    for props in _alarms(synthesized).values():
        assert [monitoring.referenced_id(a) for a in props["AlarmActions"]] == [topic_id]


def test_alarm_email_subscription_follows_config(synthesized):
    subscriptions = synthesized.stack("Monitoring").of_type("AWS::SNS::Subscription").values()
    expected = [synthesized.config.alarm_email] if synthesized.config.alarm_email else []
    assert [s["Properties"]["Endpoint"] for s in subscriptions] == expected


def test_poll_errors_alarm_only_when_they_persist(synthesized):
    props = _alarms(synthesized)[("PollErrors", "tixpilot")]
    assert props["Namespace"] == "TixPilot" and props["Statistic"] == "Sum"
    assert props["EvaluationPeriods"] == 3 and props["Threshold"] == 1
