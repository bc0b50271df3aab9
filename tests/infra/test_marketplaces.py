"""The marketplace poller runs on an EventBridge schedule, without retries (the next run does the
same work), with access to exactly what polling needs."""

from __future__ import annotations

import pytest

from infra.definitions.functions import MARKETPLACE_POLLER, POLL_SCHEDULE_MINUTES

pytestmark = pytest.mark.infra


def test_the_poller_runs_on_a_schedule_without_retries(synthesized):
    template, function_id, _ = synthesized.function(MARKETPLACE_POLLER.id)
    [rule] = template.of_type("AWS::Events::Rule").values()
    props = rule["Properties"]
    assert props["ScheduleExpression"] == f"rate({POLL_SCHEDULE_MINUTES} minute)"
    assert props["State"] == "ENABLED"
    [target] = props["Targets"]
    assert template.referenced_id(target["Arn"]) == function_id
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 0

    [invoke_config] = [
        c
        for c in template.of_type("AWS::Lambda::EventInvokeConfig").values()
        if template.referenced_id(c["Properties"]["FunctionName"]) == function_id
    ]
    assert invoke_config["Properties"]["MaximumRetryAttempts"] == 0
    [permission] = [
        p
        for p in template.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
    ]
    assert template.referenced_id(permission["Properties"]["SourceArn"]) in template.of_type(
        "AWS::Events::Rule"
    )
