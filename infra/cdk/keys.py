"""The KMS keys of `infra.definitions.KEYS`, found by the app through their alias
(`alias/tixpilot-<env>-<key id>`, tixpilot.settings.Settings.key_alias)."""

from __future__ import annotations

from aws_cdk import aws_kms as kms
from constructs import Construct

from infra.cdk import constants
from infra.cdk.config import EnvConfig
from infra.definitions.tables import KEYS


class Keys(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, config: EnvConfig) -> None:
        super().__init__(scope, construct_id)
        self.keys: dict[str, kms.Key] = {
            key_id: kms.Key(
                self,
                "".join(part.capitalize() for part in key_id.split("-")),
                alias=constants.key_alias(config.name, key_id),
                description=purpose[:8192],
                enable_key_rotation=True,
                removal_policy=config.cdk_removal_policy,
            )
            for key_id, purpose in KEYS.items()
        }
