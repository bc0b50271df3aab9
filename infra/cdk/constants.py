"""Names and fixed values shared by every construct, so a physical name is derived in one place.

The rules match `tixpilot.settings.Settings` where the app code derives the same names:
tables are `tixpilot-<env>-<table id>`, functions `tixpilot-<env>-<function id>`. Bucket names
are global across AWS accounts, so theirs also carry the account and region.
"""

from __future__ import annotations

from pathlib import Path

from tixpilot.adapters.ses import RAW_PREFIX

PROJECT = "tixpilot"
STACK_PREFIX = "TixPilot"
SERVICE_NAME = "tixpilot"  # POWERTOOLS_SERVICE_NAME, same as tixpilot.observability.SERVICE
METRICS_NAMESPACE = "TixPilot"
# Every Python function's environment beside its own settings (the cold start bench runs its probes
# with it too). Pydantic looks its plugins up in every installed package's metadata on the first
# validator it builds, about 10 ms of a first request; TixPilot uses none.
RUNTIME_ENVIRONMENT = {"PYDANTIC_DISABLE_PLUGINS": "__all__"}

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR = REPO_ROOT / "functions"
SHARED_LAYER_DIR = REPO_ROOT / "layers" / "shared"
LOCK_FILE = REPO_ROOT / "uv.lock"
# Where infra/cdk/dependency_layer.py builds the third-party layer (git-ignored, reused).
DEPENDENCY_LAYER_BUILD_DIR = REPO_ROOT / ".build" / "dependency-layer"
COMPILED_CODE_BUILD_DIR = REPO_ROOT / ".build" / "compiled"  # our code with its bytecode
ASSET_EXCLUDES = ["__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", "tests"]

HANDLER = "handler.lambda_handler"

CONTEXT_ENVIRONMENTS = "tixpilot:environments"
CONTEXT_ENV = "env"
SYNTH_ENV_VAR = "TIXPILOT_SYNTH_ENV"
DEFAULT_ENV = "dev"

ACCESS_LOGS_BUCKET = "access-logs"  # infrastructure only: S3 server access logs of every bucket
RAW_EMAIL_BUCKET = "raw-email"  # the id in infra.definitions.BUCKETS that SES delivers into

# SES writes each message to <bucket>/inbound/<SES message id>, where the intake function reads it:
# one prefix, declared where the app code uses it.
INBOUND_PREFIX = RAW_PREFIX
INTAKE_DLQ = "intake-dlq"  # queue_name() purpose of the intake function's dead-letter queue

# Environment variables the functions read (see tixpilot.settings).
ENV_VAR_ENV = "TIXPILOT_ENV"


def bucket_env_var(bucket_id: str) -> str:
    """`raw-email` -> `TIXPILOT_RAW_EMAIL_BUCKET`: the deployed bucket's name, for the app code."""
    return f"TIXPILOT_{bucket_id.upper().replace('-', '_')}_BUCKET"


def stack_name(env: str, concern: str) -> str:
    return f"{STACK_PREFIX}-{env}-{concern}"


def table_name(env: str, table_id: str) -> str:
    return f"{PROJECT}-{env}-{table_id}"


def function_name(env: str, function_id: str) -> str:
    return f"{PROJECT}-{env}-{function_id}"


def bucket_name(env: str, bucket_id: str, account: str, region: str) -> str:
    """`tixpilot-<env>-<bucket id>-<account>-<region>`; account may be the stack's unresolved token."""
    return f"{PROJECT}-{env}-{bucket_id}-{account}-{region}"


def api_name(env: str) -> str:
    return f"{PROJECT}-{env}-api"


def receipt_rule_set_name(env: str) -> str:
    return f"{PROJECT}-{env}-inbound"


def receipt_rule_name(env: str) -> str:
    return f"{PROJECT}-{env}-receipts"


def queue_name(env: str, purpose: str) -> str:
    return f"{PROJECT}-{env}-{purpose}"


def dead_letter_queue_name(env: str, queue_id: str) -> str:
    return f"{PROJECT}-{env}-{queue_id}-dlq"


def secret_name(env: str, secret_id: str) -> str:
    """`tixpilot-<env>-<secret id>`, as tixpilot.settings.Settings.secret_name derives it."""
    return f"{PROJECT}-{env}-{secret_id}"


def key_alias(env: str, key_id: str) -> str:
    """`alias/tixpilot-<env>-<key id>`, as tixpilot.settings.Settings.key_alias derives it."""
    return f"alias/{PROJECT}-{env}-{key_id}"


def topic_name(env: str) -> str:
    return f"{PROJECT}-{env}-alarms"
