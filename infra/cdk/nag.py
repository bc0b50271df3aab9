"""cdk-nag (v3) acknowledgements: every one names the rule, the finding where a rule has several,
and the concrete reason it does not apply."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct

PACK = "AwsSolutions"


def acknowledge(scope: IConstruct, rule: str, reason: str, *findings: str) -> None:
    """Acknowledge `AwsSolutions-<rule>` on `scope` (and its children).

    With `findings` (e.g. `Resource::*`), only those findings of the rule are acknowledged, the
    v3 equivalent of v2's `appliesTo`; any other finding of the same rule still fails synth.
    """
    rule_id = f"{PACK}-{rule}"
    ids = [f"{rule_id}[{finding}]" for finding in findings] if findings else [rule_id]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=f"{PACK}::{i}", reason=reason) for i in ids))
