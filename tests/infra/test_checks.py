"""cdk-nag (AwsSolutions) and cfn-lint are clean on every synthesized template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.infra


def test_no_unacknowledged_nag_findings(synthesized):
    # An unacknowledged error already fails the synth; this also catches warnings, and proves
    # the report exists (cdk-nag really ran).
    for plugin in synthesized.validation_report["pluginReports"]:
        assert plugin["conclusion"] == "success", plugin["pluginName"]
        assert plugin["violations"] == [], plugin["violations"]
    assert {p["pluginName"] for p in synthesized.validation_report["pluginReports"]} == {"AwsSolutions"}


def test_no_error_or_warning_annotations(synthesized):
    flagged = [
        (path, entry["type"], entry.get("data"))
        for path, entry in synthesized.metadata_entries()
        if entry["type"] in {"aws:cdk:error", "aws:cdk:warning"}
    ]
    assert flagged == []


def test_every_acknowledgement_has_a_reason_and_is_used(synthesized):
    suppressed = synthesized.validation_report["pluginReports"][0].get("suppressedViolations", [])
    for violation in suppressed:
        assert len(violation["reason"]) >= 40, f"{violation['ruleName']}: say why, concretely"
    used = {(v["acknowledgedAt"], v["acknowledgedId"]) for v in suppressed}
    declared = {
        (path.lstrip("/"), rule_id)
        for path, entry in synthesized.metadata_entries()
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule_id in entry["data"]
    }
    assert declared - used == set(), "acknowledgements that no finding needs any more"


def test_cfn_lint_is_clean(synthesized):
    # Started by the fixture right after the synth (conftest.IGNORED_CFN_LINT_RULES says what
    # is ignored, and why); here we only collect its verdict.
    assert synthesized.cfn_lint is not None
    stdout, stderr = synthesized.cfn_lint.communicate(timeout=300)
    findings = [
        f"{Path(m['Filename']).name}:{m['Location']['Start']['LineNumber']} {m['Rule']['Id']} {m['Message']}"
        for m in (json.loads(stdout) if stdout.strip() else [])
    ]
    assert findings == []
    assert synthesized.cfn_lint.returncode == 0, stderr
