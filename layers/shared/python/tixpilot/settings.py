"""Configuration, read from the environment once per container.

`get_settings()` is the only reader of TixPilot's environment variables: services, repositories
and adapters take what they need from it (or as arguments), never from `os.environ`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

_ENV_NAME = re.compile(r"[a-z][a-z0-9-]{0,19}")

# The variables the CDK app and the local stack set for a function (besides TIXPILOT_ENV and
# the TIXPILOT_<ID>_BUCKET names).
PIPELINE_ARN = "TIXPILOT_PIPELINE_ARN"
PRIMARY_URL = "TIXPILOT_PRIMARY_URL"
FULFILLMENT_QUEUE_URL = "TIXPILOT_FULFILLMENT_QUEUE_URL"
RECRAWL_INITIAL_S = "TIXPILOT_RECRAWL_INITIAL_S"
RECRAWL_MAX_S = "TIXPILOT_RECRAWL_MAX_S"
SAFEGUARD_WINDOW_S = "TIXPILOT_SAFEGUARD_WINDOW_S"
SKYBOX_URL = "TIXPILOT_SKYBOX_URL"
HOLD_TTL_S = "TIXPILOT_HOLD_TTL_S"
ION_REJECT_AFTER_S = "TIXPILOT_ION_REJECT_AFTER_S"
ION_RETRY_S = "TIXPILOT_ION_RETRY_S"
WEBHOOK_BASE_URL = "TIXPILOT_WEBHOOK_BASE_URL"
POLL_S = "TIXPILOT_POLL_S"


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
    # The purchase pipeline's state machine; "" = none (purchases are only stored).
    pipeline_arn: str = ""
    # The primary sandbox's base URL (the local stack's); "" = no primary can be crawled.
    primary_url: str = ""
    # The fulfillment queue's URL (set by CDK); "" = looked up by name (locally).
    fulfillment_queue_url: str = ""
    # The recrawl waits of the pipeline: the first, the longest, and how long the Safeguard
    # waits for the data it needs before the purchase is parked for QuickPO.
    recrawl_initial_s: int = 30
    recrawl_max_s: int = 600
    safeguard_window_s: int = 21600
    # How long a marketplace's hold keeps its seats when it is neither invoiced nor released.
    hold_ttl_s: int = 1800
    # Instant Notification: how long a sale whose seats are gone waits for a person to confirm or
    # reject it before it is rejected through its marketplace; and the first wait before a
    # notification that failed for a passing reason (a marketplace down) is tried again (it
    # doubles per attempt, up to SQS's 15 minutes).
    ion_reject_after_s: int = 1800
    ion_retry_s: int = 10
    # The resale marketplaces' APIs (TIXPILOT_STUBHUB_URL, ...): the real ones unless pointed
    # elsewhere (the local stack points them at its marketplace simulator).
    stubhub_url: str = "https://api.stubhub.net/v2"
    tevo_url: str = "https://api.ticketevolution.com"
    vivid_url: str = "https://brokers.vividseats.com/webservices"
    # SkyBox's API (TIXPILOT_SKYBOX_URL): the real one unless pointed elsewhere (the local stack's
    # fake SkyBox, or another fake).
    skybox_url: str = "https://skybox.vividseats.com/services"
    # Where the marketplaces reach TixPilot's webhook routes (`<base>/webhooks/stubhub`): the
    # API's URL (the CDK app sets it; the local stack to its API). "" = unknown: no webhook can be
    # registered, and the routes take the URL from the request.
    webhook_base_url: str = ""
    # How often poll-only marketplaces are polled (each feed still within its rate limit); the
    # deployed schedule runs every minute, the local stack's loop every `poll_s`.
    poll_s: int = 60

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

    def secret_name(self, purpose: str) -> str:
        """A Secrets Manager secret's name (`tixpilot-<env>-<purpose>`), as the CDK app names it."""
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


def _seconds(environ: Mapping[str, str], name: str, default: int, least: int) -> int:
    text = environ.get(name, "").strip()
    try:
        return max(least, int(text)) if text else default
    except ValueError:
        raise ValueError(f"{name}={text!r}: a whole number of seconds, e.g. {default}") from None


def read_settings(environ: Mapping[str, str]) -> Settings:
    """The settings an environment (a function's variables) describes; unset = the default."""
    return Settings(
        env=environ.get("TIXPILOT_ENV", "local"),
        region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        bucket_overrides=_bucket_overrides(environ),
        pipeline_arn=environ.get(PIPELINE_ARN, ""),
        primary_url=environ.get(PRIMARY_URL, ""),
        fulfillment_queue_url=environ.get(FULFILLMENT_QUEUE_URL, ""),
        recrawl_initial_s=_seconds(environ, RECRAWL_INITIAL_S, 30, least=1),
        recrawl_max_s=_seconds(environ, RECRAWL_MAX_S, 600, least=1),
        safeguard_window_s=_seconds(environ, SAFEGUARD_WINDOW_S, 21600, least=0),
        hold_ttl_s=_seconds(environ, HOLD_TTL_S, 1800, least=1),
        ion_reject_after_s=_seconds(environ, ION_REJECT_AFTER_S, 1800, least=0),
        ion_retry_s=_seconds(environ, ION_RETRY_S, 10, least=0),
        stubhub_url=environ.get("TIXPILOT_STUBHUB_URL") or Settings.stubhub_url,
        tevo_url=environ.get("TIXPILOT_TEVO_URL") or Settings.tevo_url,
        vivid_url=environ.get("TIXPILOT_VIVID_URL") or Settings.vivid_url,
        skybox_url=environ.get(SKYBOX_URL) or Settings.skybox_url,
        webhook_base_url=environ.get(WEBHOOK_BASE_URL, "").rstrip("/"),
        poll_s=_seconds(environ, POLL_S, 60, least=1),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """This process's settings, read once. Whoever changes the environment afterwards (the local
    stack, once its state machine exists; a test) calls `get_settings.cache_clear()`."""
    return read_settings(os.environ)
