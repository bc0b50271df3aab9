"""Pointing this process's AWS clients at a local emulator for a while, and back."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

_SET = (
    "AWS_ENDPOINT_URL",
    "TIXPILOT_ENV",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
)


@contextmanager
def emulator_environment(endpoint: str) -> Iterator[None]:
    """Inside the block, tixpilot's clients and settings use `endpoint` and the `bench`
    environment (fake credentials where none are set); after it, the variables are as they
    were and the cached clients and settings are dropped again."""
    from tixpilot import aws
    from tixpilot.settings import get_settings

    saved = {k: os.environ.get(k) for k in _SET}
    os.environ.update(AWS_ENDPOINT_URL=endpoint, TIXPILOT_ENV="bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    aws.reset()
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        aws.reset()
        get_settings.cache_clear()
