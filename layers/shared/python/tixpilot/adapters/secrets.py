"""Secrets Manager: a secret's value by its derived name, read once per container."""

from __future__ import annotations

import threading
from typing import Any

from tixpilot import aws
from tixpilot.settings import get_settings


class SecretValue:
    """The value of `tixpilot-<env>-<purpose>` (the CDK app generates it; the local stack too).
    One GetSecretValue on first use; a container that outlives a rotation keeps the old value
    until it is recycled."""

    def __init__(self, purpose: str, client: Any | None = None) -> None:
        self.purpose = purpose
        self._client = client
        self._value: bytes | None = None
        self._lock = threading.Lock()

    def get(self) -> bytes:
        with self._lock:
            if self._value is None:
                client = self._client or aws.client("secretsmanager")
                response = client.get_secret_value(SecretId=get_settings().secret_name(self.purpose))
                self._value = str(response["SecretString"]).encode()
            return self._value
