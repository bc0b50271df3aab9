"""Make moto's DynamoDB emulate DynamoDB's isolation under concurrent requests.

moto runs a transaction by snapshotting whole tables and, when a condition fails, restoring the
snapshots: a losing transaction can thereby undo writes that other requests committed in the
meantime (for example the winning receipt's purchase, so one order ends up as two purchases).
Real DynamoDB isolates transactions; serializing moto's DynamoDB requests restores that, at no
real cost (moto is bound by one interpreter lock anyway).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.RLock()
_applied = False


def serialize_dynamodb() -> None:
    """Idempotent: every DynamoDB request to moto in this process runs under one lock."""
    global _applied
    if _applied:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _applied = True
