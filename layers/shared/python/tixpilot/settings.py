"""Configuration, read from the environment once per container."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field


class Settings(BaseModel):
    """What every function needs to know about where it runs.

    Physical names are derived from the environment name (`tixpilot-<env>-<table>`), the same rule
    the CDK app uses, so the CLI can find a deployed stack's tables from `--env` alone.
    """

    env: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{0,19}$")
    region: str = "us-east-1"
    raw_email_bucket_override: str = ""

    def table_name(self, table: str) -> str:
        return f"tixpilot-{self.env}-{table}"

    def bucket_name(self, purpose: str) -> str:
        return f"tixpilot-{self.env}-{purpose}"

    def queue_name(self, purpose: str) -> str:
        return f"tixpilot-{self.env}-{purpose}"

    def key_alias(self, purpose: str) -> str:
        """A KMS key's alias (`alias/tixpilot-<env>-<purpose>`), as the CDK app and local stack name it."""
        return f"alias/tixpilot-{self.env}-{purpose}"

    @property
    def raw_email_bucket(self) -> str:
        # In AWS the bucket name carries the account id (names are global), so CDK passes it in.
        return self.raw_email_bucket_override or self.bucket_name("raw-email")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        env=os.environ.get("TIXPILOT_ENV", "local"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        raw_email_bucket_override=os.environ.get("TIXPILOT_RAW_EMAIL_BUCKET", ""),
    )
