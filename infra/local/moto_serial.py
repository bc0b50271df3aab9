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
    _roll_back_items_not_tables()


def _roll_back_items_not_tables() -> None:
    """moto rolls a failed transaction back by deep-copying every table it touches before it
    starts, and the copies it swaps in leak: ~1.3 MB per failed transaction on a table of 2,000
    items, tens of GB over a contention benchmark. Instead, keep a copy of just the items the
    transaction names and put those back on failure. Sound only because the lock above lets no
    other DynamoDB request in between."""
    import copy
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    # moto's own snapshot (and swap back) of a whole Table becomes a no-op; items are restored below
    models.copy = types.SimpleNamespace(deepcopy=deepcopy)  # type: ignore[assignment]
    original = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        saved = []
        for entry in transact_items:
            if len(entry) != 1:
                continue  # malformed: moto refuses it before changing anything
            op_type, op = next(iter(entry.items()))
            table = self.tables.get(op.get("TableName"))
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            if table is None or not key or table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.range_key_attr and range_key is None:
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(table.get_item(hash_key, range_key))))
        try:
            return original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in saved:
                if item is None:
                    table.delete_item(hash_key, range_key)
                elif range_key is None:
                    table.items[hash_key] = item
                else:
                    table.items[hash_key][range_key] = item
            raise

    models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def start_emulator(host: str, port: int) -> Any:
    """moto in server mode as every part of TixPilot runs it (local stack, tests, benchmarks):
    DynamoDB requests isolated as in DynamoDB, its slowest spots and its dispatcher's sped up
    (infra/local/moto_speed),
    no per-request access log. Returns the started ThreadedMotoServer; call .stop() when done."""
    import logging

    from moto.server import ThreadedMotoServer

    from infra.local.moto_speed import speed_up_dispatch, speed_up_dynamodb

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    serialize_dynamodb()
    speed_up_dynamodb()
    speed_up_dispatch()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    return server


class EmulatorProcess:
    """The same emulator (start_emulator) in a child process, for the benchmarks: moto's CPU work
    then runs beside the caller's instead of taking turns with it for one interpreter lock (on
    two cores, seeding 100k purchases took ~145 s in one process, ~100 s this way). The child
    ends when .stop() is called or when this process ends (it waits for its stdin to close)."""

    def __init__(self, host: str, port: int, timeout: float = 60.0) -> None:
        import socket
        import subprocess
        import sys
        import time
        from pathlib import Path

        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.local.moto_serial", host, str(port)],
            cwd=Path(__file__).resolve().parents[2],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the emulator did not start on {host}:{port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        import subprocess

        if self.process.stdin and not self.process.stdin.closed:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


if __name__ == "__main__":  # EmulatorProcess's child: python -m infra.local.moto_serial HOST PORT
    import sys

    server = start_emulator(sys.argv[1], int(sys.argv[2]))
    sys.stdin.read()
    server.stop()
