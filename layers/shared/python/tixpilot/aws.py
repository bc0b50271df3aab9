"""Lazily created, per-container boto3 clients.

Nothing is created at import time: the first request that needs DynamoDB pays for the client,
and every later one reuses it. `AWS_ENDPOINT_URL` (honoured by botocore itself) points them at
the local emulator.

All clients come from one session: a session loads botocore's endpoint rules and partition data
(a few hundred kilobytes of JSON) once, so a second client costs a service model, not that load
again (about 0.1 s of a cold start: bench/cold_start.py). A session is not safe to create
clients from on several threads at once, hence the lock; the clients themselves are.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import boto3  # pragma: no cover
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover

_lock = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    import boto3  # deferred: most of a cold start is botocore's import

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    from tixpilot.settings import get_settings

    with _lock:
        return _session().client(service, region_name=get_settings().region)


def reset() -> None:
    """Forget the session and its clients (another endpoint or credentials, a SnapStart restore):
    the next `client()` starts a new session."""
    with _lock:
        client.cache_clear()
        _session.cache_clear()


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")
