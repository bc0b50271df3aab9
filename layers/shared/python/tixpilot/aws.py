"""Lazily created, per-container boto3 clients.

Nothing is created at import time: the first request that needs DynamoDB pays for the client,
and every later one reuses it. `AWS_ENDPOINT_URL` (honoured by botocore itself) points them at
the local emulator.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient  # pragma: no cover


@cache
def client(service: str) -> Any:
    import boto3  # deferred: most of a cold start is botocore's import

    from tixpilot.settings import get_settings

    return boto3.session.Session().client(service, region_name=get_settings().region)


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")
