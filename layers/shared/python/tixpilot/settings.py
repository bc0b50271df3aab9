"""Configuration, read from the environment once per container."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

_ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")


@dataclass(frozen=True)
class Settings:
    """What every function needs to know about where it runs.

    Physical names are derived from the environment name (`tixpilot-<env>-<table>`), the same rule
    the CDK app uses, so the CLI can find a deployed stack's tables from `--env` alone.

    A dataclass, not a pydantic model: every cold start reads it before its first client exists,
    and pydantic's import is a third of a handler's init (bench/cold_start.py).
    """

    env: str = "local"
    region: str = "us-east-1"
    # Deployed bucket names carry account and region (names are global); the CDK app passes each
    # function `TIXPILOT_<ID>_BUCKET` for the buckets it uses. Locally the derived name holds.
    bucket_overrides: Mapping[str, str] = field(default_factory=dict)
    # The resale marketplaces' APIs (TIXPILOT_STUBHUB_URL, ...): the real ones unless pointed
    # elsewhere (the local stack points them at its marketplace simulator).
    stubhub_url: str = "https://api.stubhub.net/v2"
    tevo_url: str = "https://api.ticketevolution.com"
    vivid_url: str = "https://brokers.vividseats.com/webservices"

    def __post_init__(self) -> None:
        if not _ENV_NAME.fullmatch(self.env):
            raise ValueError(
                f"environment name {self.env!r}: a lower-case letter, then up to 19 of a-z, 0-9 and '-'"
            )

    def table_name(self, table: str) -> str:
        return f"tixpilot-{self.env}-{table}"

    def bucket_name(self, purpose: str) -> str:
        return self.bucket_overrides.get(purpose) or f"tixpilot-{self.env}-{purpose}"

    def queue_name(self, purpose: str) -> str:
        return f"tixpilot-{self.env}-{purpose}"

    def key_alias(self, purpose: str) -> str:
        """A KMS key's alias (`alias/tixpilot-<env>-<purpose>`), as the CDK app and local stack name it."""
        return f"alias/tixpilot-{self.env}-{purpose}"

    @property
    def raw_email_bucket(self) -> str:
        return self.bucket_name("raw-email")


def _bucket_overrides(environ: Mapping[str, str]) -> dict[str, str]:
    """`TIXPILOT_TICKET_PDFS_BUCKET=x` -> {"ticket-pdfs": "x"} (the CDK app's naming rule)."""
    prefix, suffix = "TIXPILOT_", "_BUCKET"
    return {
        name[len(prefix) : -len(suffix)].lower().replace("_", "-"): value
        for name, value in environ.items()
        if name.startswith(prefix) and name.endswith(suffix) and value
    }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings(
        env=os.environ.get("TIXPILOT_ENV", "local"),
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        bucket_overrides=_bucket_overrides(os.environ),
        stubhub_url=os.environ.get("TIXPILOT_STUBHUB_URL") or Settings.stubhub_url,
        tevo_url=os.environ.get("TIXPILOT_TEVO_URL") or Settings.tevo_url,
        vivid_url=os.environ.get("TIXPILOT_VIVID_URL") or Settings.vivid_url,
    )
