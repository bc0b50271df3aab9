"""Per-environment settings, read from the `tixpilot:environments` context of `cdk.json`."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from infra.cdk import constants

_ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,19}$")  # same rule as tixpilot.settings.Settings.env
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_REMOVAL = {"retain": RemovalPolicy.RETAIN, "destroy": RemovalPolicy.DESTROY}
# The retention periods CloudWatch Logs accepts, in days, and CDK's names for them.
_RETENTION_DAYS = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS", 30: "ONE_MONTH",
    60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS", 150: "FIVE_MONTHS", 180: "SIX_MONTHS",
    365: "ONE_YEAR", 400: "THIRTEEN_MONTHS", 545: "EIGHTEEN_MONTHS", 731: "TWO_YEARS",
    1096: "THREE_YEARS", 1827: "FIVE_YEARS", 2192: "SIX_YEARS", 2557: "SEVEN_YEARS",
    2922: "EIGHT_YEARS", 3288: "NINE_YEARS", 3653: "TEN_YEARS",
}  # fmt: skip


class ConfigError(ValueError):
    """The cdk.json context does not describe a deployable environment."""


@dataclass(frozen=True)
class EnvConfig:
    name: str
    account: str | None  # None: environment-agnostic account (resolved at deploy time)
    region: str
    log_retention_days: int
    log_level: str
    alarm_email: str | None
    ses_domains: tuple[str, ...]
    removal_policy: str  # "retain" | "destroy"
    api_throttle_rate: float
    api_throttle_burst: int
    # Reserved concurrency takes from the account's pool; a new account's pool can be too small
    # for it, so dev leaves it off.
    reserve_concurrency: bool = False
    # Lambda SnapStart for the API functions: published versions, an alias `live` behind API
    # Gateway; their routes load before the snapshot (tixpilot.deferred), so a restored container
    # answers its first request warm.
    snap_start: bool = False

    @property
    def retain(self) -> bool:
        return self.removal_policy == "retain"

    @property
    def cdk_removal_policy(self) -> RemovalPolicy:
        return _REMOVAL[self.removal_policy]

    @property
    def log_retention(self) -> logs.RetentionDays:
        try:
            return logs.RetentionDays[_RETENTION_DAYS[self.log_retention_days]]
        except KeyError as exc:
            raise ConfigError(
                f"{self.name}: log_retention_days={self.log_retention_days} is not a CloudWatch "
                f"Logs retention; use one of {sorted(_RETENTION_DAYS)}"
            ) from exc


def select_env_name(context_env: str | None) -> str:
    """`-c env=...` wins, then $TIXPILOT_SYNTH_ENV, then dev."""
    name = context_env or os.environ.get(constants.SYNTH_ENV_VAR) or constants.DEFAULT_ENV
    if not _ENV_NAME.match(name):
        raise ConfigError(f"environment name {name!r} must match {_ENV_NAME.pattern}")
    return name


def load_env_config(name: str, context: dict[str, Any]) -> EnvConfig:
    """Build the settings of environment `name` from the app context (cdk.json + -c overrides)."""
    environments = context.get(constants.CONTEXT_ENVIRONMENTS) or {}
    if name not in environments:
        raise ConfigError(
            f"no environment {name!r} in cdk.json context {constants.CONTEXT_ENVIRONMENTS!r}; "
            f"known: {sorted(environments)}"
        )
    raw: dict[str, Any] = environments[name]

    account = str(raw.get("account") or os.environ.get("CDK_DEFAULT_ACCOUNT") or "") or None
    region = str(raw.get("region") or os.environ.get("CDK_DEFAULT_REGION") or "us-east-1")

    domains = raw.get("ses_domains") or []
    if isinstance(domains, str):  # `-c` overrides arrive as strings: allow "a.com,b.com"
        domains = [d for d in domains.split(",") if d.strip()]
    ses_domains = tuple(str(d).strip().lower() for d in domains)
    bad = [d for d in ses_domains if not _DOMAIN.match(d)]
    if bad:
        raise ConfigError(f"{name}: ses_domains has entries that are not domain names: {bad}")
    if not ses_domains:
        # An SES rule without recipients matches every address of every verified domain.
        raise ConfigError(f"{name}: ses_domains is empty; list the tenants' receipt domains")
    if len(ses_domains) > 100:
        raise ConfigError(f"{name}: an SES receipt rule takes at most 100 recipients")

    removal = str(raw.get("removal_policy", "retain")).lower()
    if removal not in _REMOVAL:
        raise ConfigError(f"{name}: removal_policy must be one of {sorted(_REMOVAL)}, not {removal!r}")

    config = EnvConfig(
        name=name,
        account=account,
        region=region,
        log_retention_days=int(raw.get("log_retention_days", 30)),
        log_level=str(raw.get("log_level", "INFO")).upper(),
        alarm_email=str(raw.get("alarm_email") or "") or None,
        ses_domains=ses_domains,
        removal_policy=removal,
        api_throttle_rate=float(raw.get("api_throttle_rate", 50)),
        api_throttle_burst=int(raw.get("api_throttle_burst", 100)),
        reserve_concurrency=bool(raw.get("reserve_concurrency", False)),
        snap_start=bool(raw.get("snap_start", False)),
    )
    config.log_retention  # noqa: B018 - validate early, with the message above
    if config.log_level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ConfigError(f"{name}: log_level {config.log_level!r} is not a Python logging level")
    return config
